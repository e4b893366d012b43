"""The examples in ``docs/language.md`` are real: they parse, check, and print what the page says.

The page marks its examples by the info string of their fenced blocks:

* ```` ```dibao ```` — an expression that must parse and check clean (```` ```dibao member ````
  for a member-scope rule), with the names declared in the page's block that starts with
  ``# Names the examples on this page use``;
* ```` ```dibao-error ```` followed by a ```` ```text ```` block — an expression and the exact
  lines the engine prints for it (it is also evaluated, for run-time errors, on the
  page's example household and date);
* ```` ```yaml ```` holding ``rules:`` followed by a ```` ```text ```` block — rules checked
  together, and the messages they give (without the location, which is in the YAML file).

Besides, each example of the built-in functions' table must equal the value shown beside
it, and the page must name every built-in function, every household name and field, and
every diagnostic code of the language.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_cases import EXPRESSION, definitions_of, run_expression

from engine.base.diagnostics import DiagnosticError
from engine.language.builtins import AGGREGATES, BUILTINS
from engine.language.checker import check_expression, check_program
from engine.language.fields import HOUSEHOLD_NAMES, RECORD_FIELDS
from engine.language.parser import TextLocator, parse_expression
from engine.policy.member_names import explicit

PAGE = Path(__file__).resolve().parents[2] / "docs" / "language.md"
NAMES_MARK = "# Names the examples on this page use"
EXAMPLE_DATE = date(2021, 6, 15)
EXAMPLE_HOUSEHOLD = {
    "id": "HB-0002",
    "hukou": "hebi",
    "members": [{"id": "p1", "birth_date": "1958-04-01", "labour_capacity": "partial"}],
}
CODES = ["E-SYNTAX", "E-LIMIT", "E-DATE", "E-NAME", "E-FIELD", "E-FUNCTION", "E-ARITY", "E-TYPE", "E-PERIOD",
         "E-ENUM", "E-TABLE-UNREACHABLE", "E-TABLE-FALLBACK", "E-DIVISION", "E-CYCLE", "E-SCOPE", "E-EVAL"]
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[int, str, str]]:
    """(line, info string, body) of every fenced block of the page."""
    text = PAGE.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(text)]


def page_definitions() -> dict[str, Any]:
    """The names declared for the examples, as ``defs`` of the data-driven cases."""
    found = [body for _, info, body in blocks() if info == "yaml" and body.startswith(NAMES_MARK)]
    assert len(found) == 1, f"the page has one yaml block starting with {NAMES_MARK!r}"
    data = yaml.safe_load(found[0])
    defs: dict[str, Any] = {}
    for name, spec in data["parameters"].items():
        defs[name] = {"type": spec["type"], "kind": "parameter", "expr": str(spec["value"])}
    for name, spec in data["rules"].items():
        defs[name] = {"type": spec["type"], "expr": spec["expr"], "scope": spec.get("scope", "household")}
    return defs


def examples() -> list[Any]:
    found = [(line, info, body) for line, info, body in blocks() if info.split()[:1] == ["dibao"]]
    return [pytest.param(info, body, id=f"line {line}") for line, info, body in found]


def error_examples() -> list[Any]:
    found = blocks()
    pairs = []
    for (line, info, body), following in pairwise(found):
        if following[1] != "text":
            continue
        if info == "dibao-error" or (info == "yaml" and body.lstrip().startswith("rules:")):
            pairs.append(pytest.param(info, body, following[2], id=f"line {line}"))
    return pairs


def test_the_names_block_checks() -> None:
    defs = page_definitions()
    assert not check_program(definitions_of(defs)).diagnostics


@pytest.mark.parametrize(("info", "body"), examples())
def test_example_parses_and_checks(info: str, body: str) -> None:
    text = body.rstrip("\n")
    scope = "member" if "member" in info.split()[1:] else "household"
    node = parse_expression(text, TextLocator(EXPRESSION, text))
    defs = page_definitions()
    if scope == "member":  # member-relative names, as a policy's chain reads them
        node = explicit(node, frozenset(name for name, spec in defs.items() if spec.get("scope") == "member"))
    _, result = check_expression(node, definitions_of(defs), scope=scope)
    assert not result.diagnostics, "\n".join(d.one_line() for d in result.diagnostics)


@pytest.mark.parametrize(("info", "body", "printed"), error_examples())
def test_error_example_prints_what_the_page_says(info: str, body: str, printed: str) -> None:
    expected = [line for line in printed.splitlines() if line.strip()]
    if info == "yaml":
        rules = yaml.safe_load(body)["rules"]
        defs = {name: {"type": spec["type"], "expr": spec["expr"]} for name, spec in rules.items()}
        diagnostics = check_program(definitions_of(defs)).diagnostics
        actual = [d.one_line().split(": ", 1)[1] for d in diagnostics]
    else:
        try:
            run_expression(body.rstrip("\n"), defs=page_definitions(), as_of=EXAMPLE_DATE,
                           household=EXAMPLE_HOUSEHOLD)
        except DiagnosticError as error:
            actual = [d.one_line() for d in error.diagnostics]
        else:
            pytest.fail(f"no diagnostic for {body!r}")
    assert actual == expected


_ROW = re.compile(r"^\| `(?P<signature>[a-z_]+\([^`]*\))` \|[^|]*\| `(?P<example>[^`]+)` \| (?P<value>[^|]*)\|$",
                  re.MULTILINE)


def function_rows() -> list[Any]:
    rows = [m.groupdict() for m in _ROW.finditer(PAGE.read_text(encoding="utf-8"))]
    return [pytest.param(row["example"], row["value"].strip(), id=row["signature"]) for row in rows]


@pytest.mark.parametrize(("example", "value"), function_rows())
def test_function_example_gives_the_value_shown(example: str, value: str) -> None:
    shown = re.match(r"`([^`]+)`", value)
    text = f"({example}) == ({shown.group(1)})" if shown else example
    _, result = run_expression(text, defs=page_definitions(), as_of=EXAMPLE_DATE, household=EXAMPLE_HOUSEHOLD)
    if shown:
        assert result is True, f"{example} is not {shown.group(1)}"


def test_every_function_has_a_row() -> None:
    assert {row.id for row in function_rows()} == {b.signature for b in BUILTINS.values()}


def test_every_error_code_has_an_example() -> None:
    text = PAGE.read_text(encoding="utf-8")
    shown = "\n".join(printed for _, _, printed in (p.values for p in error_examples()))
    for code in CODES:
        assert f"### {code}" in text, f"no section for {code}"
        assert f"[{code}]" in shown, f"no example message for {code}"


def test_every_function_field_and_name_is_documented() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, builtin in BUILTINS.items():
        assert f"`{builtin.signature}`" in text, f"built-in {name} is not in the table"
    for name in AGGREGATES:
        assert f"`{name}(" in text, f"aggregation {name} is not documented"
    for name in HOUSEHOLD_NAMES:
        assert f"`{name}`" in text, f"household name {name} is not documented"
    for record, fields in RECORD_FIELDS.items():
        for field in fields:
            assert f"`{field}`" in text, f"{record} field {field} is not documented"
