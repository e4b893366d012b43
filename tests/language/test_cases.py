"""Data-driven cases of the rules language: ``good/*.yaml`` and ``bad/*.yaml`` (see README.md).

A good case gives an expression, the type the checker must infer and the exact value the
interpreter must compute; a bad case gives an expression and the located diagnostic it
must produce (code, a part of the message, line and column). Every case runs the whole
pipeline a policy expression goes through: parse (``TextLocator``) → check
(``check_expression`` for the expression, ``check_program`` for its helper definitions)
→ compile (``Program``) → evaluate on a validated household.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.yaml_source import load_yaml
from engine.household.record import validate_household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import AGGREGATES, BUILTINS, Duration
from engine.language.checker import check_expression, check_program
from engine.language.constants import constant_value
from engine.language.definitions import Definition
from engine.language.formatter import format_expression
from engine.language.parser import TextLocator, parse_expression
from engine.policy.resolve import RuleCode
from engine.runtime.interpreter import Program

HERE = Path(__file__).parent
EXPRESSION = "<expression>"
DEFAULT_DATE = date(2021, 6, 15)
DEFAULT_HOUSEHOLD: dict[str, Any] = {
    "id": "LANG-1",
    "hukou": "hebi",
    "members": [{"id": "p1", "birth_date": "1980-01-01", "labour_capacity": "full"}],
}

COMMON_KEYS = {"name", "expr", "note", "defs", "date", "household", "scope", "member", "xfail"}
GOOD_KEYS = COMMON_KEYS | {"type", "value", "canonical_xfail"}
BAD_KEYS = COMMON_KEYS | {"code", "message", "line", "column", "where", "suggestion", "expected_type"}
DEF_KEYS = {"type", "expr", "kind", "scope"}


# --- the pipeline -------------------------------------------------------------------


def expression_text(raw: object) -> str:
    """An ``expr``: a string, or ``{repeat, times, before, after}`` for very long expressions."""
    if isinstance(raw, str):
        return raw
    assert isinstance(raw, dict) and set(raw) <= {"repeat", "times", "before", "after"}, raw
    return str(raw.get("before", "")) + str(raw["repeat"]) * int(raw["times"]) + str(raw.get("after", ""))


def definitions_of(defs: Mapping[str, Any] | None) -> dict[str, Definition]:
    """Helper parameters and rules, each parsed with its own name as the file of its spans."""
    definitions: dict[str, Definition] = {}
    problems: list[Diagnostic] = []
    for name, spec in (defs or {}).items():
        assert set(spec) <= DEF_KEYS and {"type", "expr"} <= set(spec), (name, spec)
        declared = t.parse_type(str(spec["type"]))
        assert declared is not None, f"{name}: unknown type {spec['type']!r}"
        kind = spec.get("kind", "rule")
        assert kind in ("rule", "parameter"), kind
        text = str(spec["expr"])
        try:
            body = parse_expression(text, TextLocator(name, text))
        except DiagnosticError as error:
            problems.extend(error.diagnostics)
            continue
        nonzero = kind == "parameter" and isinstance(body, s.Literal) and body.value != 0
        definitions[name] = Definition(name, kind, declared, Span(name, 1, 1), (body,),
                                       spec.get("scope", "household"), nonzero)
    if problems:
        raise DiagnosticError(problems)
    return definitions


def run_expression(text: str, *, defs: Mapping[str, Any] | None = None, expected_type: str | None = None,
                   as_of: date = DEFAULT_DATE, household: Mapping[str, Any] | None = None,
                   scope: str = "household", member: str | None = None) -> tuple[t.Type, Any]:
    """Parse, check, compile and evaluate one expression: its type and exact value.

    Raises ``DiagnosticError`` (``EvaluationError`` at run time) with the diagnostics of the
    first stage that found a problem; any other exception is a bug in the engine.
    """
    definitions = definitions_of(defs)
    node = parse_expression(text, TextLocator(EXPRESSION, text))
    expected = t.parse_type(expected_type) if expected_type is not None else None
    assert expected_type is None or expected is not None, f"unknown type {expected_type!r}"
    checked_node, checked = check_expression(node, definitions, expected, scope)
    found = s.type_of(checked_node)
    program_check = check_program(definitions)
    problems = [d for d in checked.diagnostics + program_check.diagnostics if d.severity == "error"]
    if problems:
        raise DiagnosticError(problems)
    bodies = program_check.bodies
    parameters = {name: constant_value(bodies[name][0])
                  for name, d in definitions.items() if d.kind == "parameter"}
    rules = {name: RuleCode(name, d.type, bodies[name][0], d.scope) for name, d in definitions.items()
             if d.kind == "rule"}
    rules[EXPRESSION] = RuleCode(EXPRESSION, found, checked_node, scope)
    program = Program(rules, parameters)
    record = validate_household(dict(household) if household is not None else DEFAULT_HOUSEHOLD)
    values, members = program.evaluate(record, as_of, [EXPRESSION])
    if scope == "member":
        return found, members[member or record.members[0].id][EXPRESSION]
    return found, values[EXPRESSION]


# --- expected values --------------------------------------------------------------------


def _exact(raw: object, what: str) -> Fraction:
    """An expected number: a quoted decimal (``"267.50"``), or a fraction (``"1070/3"``) when its decimals never end."""
    assert isinstance(raw, str), f"write {what} values as quoted exact numbers (\"267.50\", \"1070/3\"), not {raw!r}"
    return Fraction(raw)


def same_value(actual: Any, expected: object, type_: t.Type) -> bool:
    """Is ``actual`` (a value the interpreter computed) exactly the YAML ``expected`` of ``type_``?"""
    if type_ == t.INT:
        assert isinstance(expected, int) and not isinstance(expected, bool), f"an int value is a YAML int: {expected!r}"
        return type(actual) is int and actual == expected
    if isinstance(type_, t.Money) or type_ in (t.NUMBER, t.RATE):
        wanted = _exact(expected, str(type_))
        exact = isinstance(actual, (int, Decimal, Fraction)) and not isinstance(actual, bool)
        return exact and Fraction(actual) == wanted
    if type_ == t.BOOL:
        assert isinstance(expected, bool), f"a bool value is true or false: {expected!r}"
        return actual is expected
    if type_ == t.DATE:
        return type(actual) is date and actual == date.fromisoformat(str(expected))
    if t.is_text(type_):
        return isinstance(actual, str) and actual == expected
    if isinstance(type_, t.Duration):
        return isinstance(actual, Duration) and type(actual.count) is int and show(actual, type_) == expected
    if isinstance(type_, t.ListOf):
        assert isinstance(expected, list), f"a list value is a YAML list: {expected!r}"
        return isinstance(actual, (tuple, list)) and len(actual) == len(expected) and all(
            same_value(a, e, type_.element) for a, e in zip(actual, expected, strict=True))
    if isinstance(type_, t.SetOf):
        assert isinstance(expected, list), f"a set value is a YAML list: {expected!r}"
        if not isinstance(actual, frozenset) or len(actual) != len(expected):
            return False
        element = type_.element if type_.element != t.ANY else t.TEXT
        return all(any(same_value(a, e, element) for a in actual) for e in expected)
    raise AssertionError(f"no expected-value convention for {type_}")


def show(value: Any, type_: t.Type | None = None) -> str:
    """A value as a case file would write it, with its Python type when that matters."""
    if isinstance(value, Duration):
        return f"{value.count} {value.unit.replace('_', ' ')}"
    if isinstance(value, (Decimal, Fraction)):
        return f"{type(value).__name__} {value}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list, frozenset)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


# --- loading case files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    raw: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def run(self, text: str | None = None) -> tuple[t.Type, Any]:
        """Run the case's expression (or ``text`` in its place) with the case's definitions and household."""
        raw = self.raw
        return run_expression(
            expression_text(raw["expr"]) if text is None else text, defs=raw.get("defs"),
            expected_type=raw.get("expected_type"),
            as_of=date.fromisoformat(str(raw.get("date", DEFAULT_DATE))), household=raw.get("household"),
            scope=raw.get("scope", "household"), member=raw.get("member"))


def load_cases(folder: str, keys: set[str], required: set[str]) -> Iterator[Case]:
    for path in sorted((HERE / folder).glob("*.yaml")):
        loaded = load_yaml(path)
        assert isinstance(loaded.data, dict) and isinstance(loaded.data.get("cases"), list), f"{path}: a `cases:` list"
        for index, raw in enumerate(loaded.data["cases"]):
            span = loaded.span(("cases", index))
            where = f"{path.relative_to(HERE)}:{span.line}"
            assert isinstance(raw, dict), f"{where}: a case is a mapping"
            assert set(raw) <= keys, f"{where}: unknown keys {sorted(set(raw) - keys)}"
            assert required <= set(raw), f"{where}: missing keys {sorted(required - set(raw))}"
            yield Case(str(path.relative_to(HERE)), span.line, raw)


def params(cases: list[Case]) -> list[Any]:
    """One pytest parameter per case; a case with ``xfail: <the engine's problem>`` must fail."""
    return [pytest.param(case, id=f"{case.where} {case.raw['name']}", marks=[
        pytest.mark.xfail(strict=True, reason=case.raw["xfail"])] if "xfail" in case.raw else [])
        for case in cases]


GOOD = list(load_cases("good", GOOD_KEYS, {"name", "expr", "type", "value"}))
BAD = list(load_cases("bad", BAD_KEYS, {"name", "expr", "code", "message", "line", "column"}))


# --- the tests ------------------------------------------------------------------------------


def test_there_are_enough_cases() -> None:
    assert len(GOOD) + len(BAD) >= 150
    names = [(case.file, case.raw["name"]) for case in GOOD + BAD]
    assert len(names) == len(set(names)), "case names are unique within a file"


CODES = ("E-SYNTAX", "E-LIMIT", "E-DATE", "E-NAME", "E-FIELD", "E-FUNCTION", "E-ARITY", "E-TYPE", "E-PERIOD",
         "E-ENUM", "E-TABLE-UNREACHABLE", "E-TABLE-FALLBACK", "E-CYCLE", "E-DIVISION", "E-SCOPE", "E-EVAL")
OPERATORS = (" + ", " - ", " * ", " / ", "-(", " == ", " != ", " < ", " <= ", " > ", " >= ", " and ", " or ", "not ",
             " in ", " not in ", "if ", "cases", " where ", " else ", "exists ")


def test_the_cases_cover_the_language() -> None:
    good = [expression_text(case.raw["expr"]) for case in GOOD if "xfail" not in case.raw]
    for name in [*BUILTINS, *AGGREGATES]:
        assert any(f"{name}(" in text for text in good), f"no good case calls {name}"
    for operator in OPERATORS:
        assert any(operator in text for text in good), f"no good case uses {operator.strip()!r}"
    for code in CODES:
        count = sum(1 for case in BAD if case.raw["code"] == code and "xfail" not in case.raw)
        assert count >= 2, f"{code} has {count} bad cases"


@pytest.mark.parametrize("case", params(GOOD))
def test_good_case(case: Case) -> None:
    try:
        found, value = case.run()
    except DiagnosticError as error:
        pytest.fail(f"{case.where}: expected a value, got\n{error}")
    assert str(found) == case.raw["type"], f"{case.where}: type {found}, expected {case.raw['type']}"
    assert same_value(value, case.raw["value"], found), \
        f"{case.where}: value {show(value, found)}, expected {case.raw['value']!r}"
    text = expression_text(case.raw["expr"])
    canonical = format_expression(parse_expression(text))
    assert format_expression(parse_expression(canonical)) == canonical, f"{case.where}: the formatter is not stable"


@pytest.mark.parametrize("case", [pytest.param(case, id=f"{case.where} {case.raw['name']}", marks=[
    pytest.mark.xfail(strict=True, reason=case.raw["canonical_xfail"])] if "canonical_xfail" in case.raw else [])
    for case in GOOD if "xfail" not in case.raw])
def test_good_case_canonical_form(case: Case) -> None:
    """The formatter's canonical form of a good case has the same type and value."""
    canonical = format_expression(parse_expression(expression_text(case.raw["expr"])))
    found, value = case.run(canonical)
    assert str(found) == case.raw["type"] and same_value(value, case.raw["value"], found), \
        f"{case.where}: the canonical form {canonical!r} gives {show(value)} of type {found}"


@pytest.mark.parametrize("case", params(BAD))
def test_bad_case(case: Case) -> None:
    raw = case.raw
    try:
        found, value = case.run()
    except DiagnosticError as error:
        diagnostics = error.diagnostics
    else:
        pytest.fail(f"{case.where}: expected {raw['code']}, got a value {show(value)} of type {found}")
    assert all(d.span is not None for d in diagnostics), f"{case.where}: every diagnostic is located"
    file = raw.get("where", EXPRESSION)
    matching = [d for d in diagnostics if d.code == raw["code"] and raw["message"] in d.message]
    assert matching, f"{case.where}: no {raw['code']} containing {raw['message']!r} in\n{DiagnosticError(diagnostics)}"
    located = [d for d in matching if d.span is not None
               and (d.span.file, d.span.line, d.span.column) == (file, raw["line"], raw["column"])]
    assert located, f"{case.where}: expected at {file}:{raw['line']}:{raw['column']}, got\n" + \
        "\n".join(d.one_line() for d in matching)
    if "suggestion" in raw:
        assert any(d.suggestion == raw["suggestion"] for d in located), \
            f"{case.where}: expected the suggestion {raw['suggestion']!r}, got {[d.suggestion for d in located]}"
