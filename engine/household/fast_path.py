"""The fast acceptance test of a household record, derived from the one schema.

Most records a service or a batch meets are valid. ``plainly_valid(record, schema)`` says,
without building any message, whether a record passes every rule: the cerberus schema of
``engine.household.schema`` compiled once into nested predicates (each field's type as the
validator's own type table defines it, ``required``, ``nullable``, ``allowed``, ``empty``,
``regex``, ``min``/``max``, ``minlength``/``maxlength`` and the same ``check_with`` value
parsers), then the same cross-field rules the full validator runs. It has no rules of its own:
a rule added to the schema is checked here without being written again. A record it does not
accept goes through the full validator, which names each problem; a test keeps the two in
agreement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from engine.household.problems import cross_field_problems
from engine.household.schema import RecordSchema, RecordValidator
from engine.household.values import Invalid, check_name, parse_amount, parse_date

Check = Callable[[Any], bool]

#: The value parsers the schema names in ``check_with`` (the validator's ``_check_with_*`` methods call the same).
VALUE_CHECKS: dict[str, Callable[[object], object]] = {"amount": parse_amount, "date": parse_date, "name": check_name}
#: Rules that only describe (messages, the vocabulary a field's values come from).
_DESCRIPTIVE = frozenset({"meta"})
_COMPILED: dict[RecordSchema, Check] = {}


def plainly_valid(record: object, schema: RecordSchema) -> bool:
    """True only for a record that passes every rule of ``schema`` and every cross-field rule."""
    check = _COMPILED.get(schema)
    if check is None:
        check = _COMPILED.setdefault(schema, compile_rules(schema.root))
    try:
        return (isinstance(record, Mapping) and check(record)
                and next(iter(cross_field_problems(record, schema)), None) is None)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        return False


def compile_rules(rules: Mapping[str, Any]) -> Check:
    """A predicate for one value under ``rules`` (a value that is present; see ``_fields`` for absent ones)."""
    unknown = set(rules) - _HANDLED - _DESCRIPTIVE
    if unknown:  # a rule the schema gained that this compiler does not know: never accept without checking it
        raise ValueError(f"the fast path does not know the schema rules {sorted(unknown)}")
    definition = RecordValidator.types_mapping[rules["type"]]
    included, excluded = tuple(definition.included_types), tuple(definition.excluded_types)
    nullable = bool(rules.get("nullable", False))
    checks = [make(rules) for key, make in _RULES.items() if key in rules]

    if len(checks) == 1:  # most fields have one rule besides their type: call it without a loop
        only = checks[0]

        def check_one(value: Any) -> bool:
            if value is None:
                return nullable
            if not isinstance(value, included) or (excluded and isinstance(value, excluded)):
                return False
            return only(value)

        return check_one

    def check(value: Any) -> bool:
        if value is None:
            return nullable
        if not isinstance(value, included) or (excluded and isinstance(value, excluded)):
            return False
        return all(each(value) for each in checks)

    return check


def _allowed(rules: Mapping[str, Any]) -> Check:
    allowed = frozenset(rules["allowed"])
    return lambda value: value in allowed


def _not_empty(rules: Mapping[str, Any]) -> Check:
    if rules["empty"]:
        return lambda _value: True
    return lambda value: len(value) > 0


def _regex(rules: Mapping[str, Any]) -> Check:
    pattern = re.compile(rules["regex"])
    return lambda value: pattern.fullmatch(value) is not None


def _min(rules: Mapping[str, Any]) -> Check:
    least = rules["min"]
    return lambda value: bool(value >= least)


def _max(rules: Mapping[str, Any]) -> Check:
    most = rules["max"]
    return lambda value: bool(value <= most)


def _min_length(rules: Mapping[str, Any]) -> Check:
    least = rules["minlength"]
    return lambda value: len(value) >= least


def _max_length(rules: Mapping[str, Any]) -> Check:
    most = rules["maxlength"]
    return lambda value: len(value) <= most


def _check_with(rules: Mapping[str, Any]) -> Check:
    parse = VALUE_CHECKS[rules["check_with"]]

    def check(value: Any) -> bool:
        try:
            parse(value)
        except Invalid:
            return False
        return True

    return check


def _inner(rules: Mapping[str, Any]) -> Check:
    if rules["type"] == "dict":
        return _fields(rules["schema"])
    item = compile_rules(rules["schema"])

    return lambda values: all(map(item, values))


def _fields(fields: Mapping[str, Mapping[str, Any]]) -> Check:
    """An object: its required fields present, no field the schema does not name, each field valid."""
    checks = {key: compile_rules(rules) for key, rules in fields.items()}
    required = tuple(key for key, rules in fields.items() if rules.get("required", False))

    def check(value: Mapping[Any, Any]) -> bool:
        for key in required:
            if key not in value:
                return False
        for key, item in value.items():
            each = checks.get(key)
            if each is None or not each(item):
                return False
        return True

    return check


_RULES: dict[str, Callable[[Mapping[str, Any]], Check]] = {
    "allowed": _allowed, "empty": _not_empty, "regex": _regex, "min": _min, "max": _max,
    "minlength": _min_length, "maxlength": _max_length, "check_with": _check_with, "schema": _inner,
}
_HANDLED = frozenset({*_RULES, "type", "nullable", "required"})
