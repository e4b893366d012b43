"""The fast acceptance test of a household record, derived from the one schema.

Most records a service or a batch meets are valid. ``plainly_read(record, schema)`` says,
without building any message, whether a record passes every rule: the cerberus schema of
``engine.household.schema`` compiled once into nested predicates (each field's type as the
validator's own type table defines it, ``required``, ``nullable``, ``allowed``, ``empty``,
``regex``, ``min``/``max``, ``minlength``/``maxlength`` and the same ``check_with`` value
parsers), then the same cross-field rules the full validator runs. It has no rules of its own:
a rule added to the schema is checked here without being written again. A record it does not
accept goes through the full validator, which names each problem; a test keeps the two in
agreement.

For a record it accepts it hands on what the value parsers read (``Parsed``: per parser, the
parsed value by the identity of the raw value in the record), so the household is built without
parsing an amount or a date a second time. Each predicate is specialised when it is compiled
(a field's rules joined into one closure, the common concrete types tested before the general
``isinstance``), so a valid record costs a few calls per field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from engine.household.problems import cross_field_problems
from engine.household.schema import RecordSchema, RecordValidator
from engine.household.values import PARSERS, Invalid, Parsed, check_name

Check = Callable[[Any, Parsed], bool]

#: The value checks the schema names in ``check_with`` (the validator's ``_check_with_*`` methods call the same):
#: the parsers, whose values are handed on, and the checks that only say yes or no.
VALUE_CHECKS: dict[str, Callable[[object], object]] = {**PARSERS, "name": check_name}
#: Rules that only describe (messages, the vocabulary a field's values come from).
_DESCRIPTIVE = frozenset({"meta"})
#: Concrete types tested by identity before the general ``isinstance`` of a field's type.
_CONCRETE = (dict, list, tuple, str, int, bool, float, Decimal, dt.date, dt.datetime)
_COMPILED: dict[RecordSchema, Check] = {}
_CAUGHT = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)


def plainly_read(record: object, schema: RecordSchema) -> Parsed | None:
    """What the value parsers read from ``record`` when it passes every rule of ``schema`` and every
    cross-field rule; None for any other record."""
    check = _COMPILED.get(schema)
    if check is None:
        check = _COMPILED.setdefault(schema, compile_rules(schema.root))
    parsed: Parsed = {name: {} for name in PARSERS}
    try:
        if (isinstance(record, Mapping) and check(record, parsed)
                and next(iter(cross_field_problems(record, schema)), None) is None):
            return parsed
    except _CAUGHT:
        pass
    return None


def plainly_valid(record: object, schema: RecordSchema) -> bool:
    """True only for a record that passes every rule of ``schema`` and every cross-field rule."""
    return plainly_read(record, schema) is not None


def compile_rules(rules: Mapping[str, Any]) -> Check:
    """A predicate for one value under ``rules`` (a value that is present; see ``_Compiler.fields`` for absent
    ones), compiled to Python: each object's fields are tested inline in one function, so a valid field costs no
    call of its own unless it has a value parser or holds an object or list."""
    compiler = _Compiler()
    test = compiler.value(rules)
    return compiler.function("value", [f"return {test}"])


class _Compiler:
    """Writes the predicates of a schema as Python source: one function per object and per list."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_MISSING": _MISSING}
        self.count = 0

    def constant(self, value: object) -> str:
        """A name in the generated code for ``value``."""
        self.count += 1
        name = f"_k{self.count}"
        self.namespace[name] = value
        return name

    def function(self, argument: str, body: list[str]) -> Check:
        """A function of ``(argument, parsed)`` with ``body``, compiled and returned."""
        self.count += 1
        name = f"_f{self.count}"
        lines = [f"def {name}({argument}, parsed):", *(f"    {line}" for line in body)]
        exec(compile("\n".join(lines), f"<household schema {name}>", "exec"), self.namespace)
        check: Check = self.namespace[name]
        return check

    def value(self, rules: Mapping[str, Any], name: str = "value") -> str:
        """An expression true when the present value ``name`` passes ``rules``."""
        unknown = set(rules) - _HANDLED - _DESCRIPTIVE
        if unknown:  # a rule the schema gained that this compiler does not know: never accept without checking it
            raise ValueError(f"the fast path does not know the schema rules {sorted(unknown)}")
        tests = [self.type_test(rules["type"], name)]
        tests += [make(self, rules, name) for key, make in _RULES.items() if key in rules]
        test = " and ".join(tests)
        return f"({name} is None or ({test}))" if rules.get("nullable", False) else f"({test})"

    def type_test(self, type_name: str, name: str) -> str:
        """The field's type as the validator's type table defines it; common concrete types first."""
        definition = RecordValidator.types_mapping[type_name]
        included, excluded = tuple(definition.included_types), tuple(definition.excluded_types)
        exact = frozenset(kind for kind in _CONCRETE
                          if issubclass(kind, included) and not (excluded and issubclass(kind, excluded)))
        general = f"isinstance({name}, {self.constant(included)})"
        if excluded:
            general += f" and not isinstance({name}, {self.constant(excluded)})"
        return f"(type({name}) in {self.constant(exact)} or ({general}))"

    def fields(self, fields: Mapping[str, Mapping[str, Any]]) -> Check:
        """An object: its required fields present, no field the schema does not name, each field valid."""
        known = frozenset(fields)
        required = frozenset(key for key, rules in fields.items() if rules.get("required", False))
        body = ["keys = value.keys()",
                f"if not (keys <= {self.constant(known)} and keys >= {self.constant(required)}):",
                "    return False"]
        for key, rules in fields.items():
            body += [f"item = value.get({key!r}, _MISSING)",
                     f"if item is not _MISSING and not {self.value(rules, 'item')}:",
                     "    return False"]
        return self.function("value", [*body, "return True"])

    def items(self, rules: Mapping[str, Any]) -> Check:
        """A list: each item valid."""
        return self.function("values", ["for item in values:",
                                        f"    if not {self.value(rules, 'item')}:",
                                        "        return False",
                                        "return True"])


class _Missing:
    """Stands for a field the object does not have."""


_MISSING = _Missing()


def _allowed(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"{name} in {compiler.constant(frozenset(rules['allowed']))}"


def _not_empty(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return "True" if rules["empty"] else f"len({name}) > 0"


def _regex(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"{compiler.constant(re.compile(rules['regex']))}.fullmatch({name}) is not None"


def _min(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"{name} >= {compiler.constant(rules['min'])}"


def _max(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"{name} <= {compiler.constant(rules['max'])}"


def _min_length(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"len({name}) >= {compiler.constant(rules['minlength'])}"


def _max_length(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"len({name}) <= {compiler.constant(rules['maxlength'])}"


def _with(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    return f"{compiler.constant(_check_with(rules))}({name}, parsed)"


def _inner(compiler: _Compiler, rules: Mapping[str, Any], name: str) -> str:
    inner = compiler.fields(rules["schema"]) if rules["type"] == "dict" else compiler.items(rules["schema"])
    return f"{compiler.constant(inner)}({name}, parsed)"


def _check_with(rules: Mapping[str, Any]) -> Check:
    name = rules["check_with"]
    parse = VALUE_CHECKS[name]
    if name not in PARSERS:
        def check(value: Any, _parsed: Parsed) -> bool:
            try:
                parse(value)
            except Invalid:
                return False
            return True

        return check

    def read(value: Any, parsed: Parsed) -> bool:
        try:
            parsed[name][id(value)] = parse(value)
        except Invalid:
            return False
        return True

    return read


_RULES: dict[str, Callable[[_Compiler, Mapping[str, Any], str], str]] = {
    "allowed": _allowed, "empty": _not_empty, "regex": _regex, "min": _min, "max": _max,
    "minlength": _min_length, "maxlength": _max_length, "check_with": _with, "schema": _inner,
}
_HANDLED = frozenset({*_RULES, "type", "nullable", "required"})
