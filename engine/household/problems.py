"""The full validator of a household record: every problem, located and in plain words.

``problems_of(record, schema)`` runs the cerberus schema of ``engine.household.schema`` and
the cross-field rules (duplicate member ids, request members, event causes, levels, status
details, income changes) and turns what they find into ``Problem``s (a path and the words
after it); ``diagnostics_of`` makes them ``E-HOUSEHOLD`` diagnostics placed where each value
is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import cerberus
import cerberus.errors

from engine.base.diagnostics import Diagnostic, FieldPath, Related, Span, did_you_mean
from engine.household.model import CODE, INCOME_CHANGE_KEYS, INCOME_CHANGE_KINDS, MAX_FLOWS, MAX_MEMBERS
from engine.household.schema import SCHEMA, TYPE_WORDS, RecordSchema
from engine.household.values import Invalid, kind_of, parse_amount, show, shown_after

Locate = Callable[[tuple[object, ...]], Span]  # where the value at a path of the record is written

# --------------------------------------------------------------------------------------
# Problems: a path (tuple of keys and indices) and the words after it


class Problem(NamedTuple):
    path: tuple[object, ...]
    message: str
    suggestion: str | None = None
    notes: tuple[str, ...] = ()
    related: tuple[tuple[tuple[object, ...], str], ...] = ()  # other fields involved: path, label


def problems_of(record: object, schema: RecordSchema) -> list[Problem]:
    """Every problem in the record, structural and cross-field, under ``schema``."""
    if not isinstance(record, Mapping):
        notes: tuple[str, ...] = ()
        if isinstance(record, (list, tuple)):
            notes = ("a .json or YAML file holds one household; put many in a .jsonl file",)
        return [Problem((), f"must be an object, not {kind_of(record)}", None, notes)]
    problems: list[Problem] = []
    document = _prepared(record, schema.root, (), problems)
    validator = schema.validator()
    if not validator.validate(document, normalize=False):
        problems.extend(_from_cerberus(error, schema) for error in validator.errors)
    problems.extend(cross_field_problems(record, schema))
    return problems


def cross_field_problems(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    """The problems of the rules relating fields (each looks only where the structure is right)."""
    for check in CROSS_FIELD_CHECKS:
        yield from check(record, schema)


def _prepared(
    value: object, rules: dict[str, Any] | None, path: tuple[object, ...], problems: list[Problem]
) -> object:
    """The part of the record cerberus will see, made safe for it.

    Keys that are not strings are reported and dropped (cerberus sorts its errors by
    path and cannot compare, say, ``None`` with a string). Lists longer than their
    ``maxlength`` are reported and cut, so a small YAML file full of aliases cannot make
    validation take minutes. Values are copied only when something changes.
    """
    if rules is None or "schema" not in rules:
        return value
    inner = rules["schema"]
    if rules["type"] == "dict" and isinstance(value, Mapping):
        kept: dict[str, object] = {}
        changed = type(value) is not dict  # cerberus copies what it checks: plain dicts only
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem((*path, key), "unknown field (field names must be text)"))
                changed = True
                continue
            new = _prepared(item, inner.get(key), (*path, key), problems)
            changed = changed or new is not item
            kept[key] = new
        return kept if changed else value
    if rules["type"] == "array" and isinstance(value, (list, tuple)):
        limit = rules["maxlength"]
        if len(value) > limit:
            problems.append(Problem(path, f"must have at most {limit} items, not {len(value)}"))
            value = value[:limit]
        items = [_prepared(item, inner, (*path, index), problems) for index, item in enumerate(value)]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
    return value


def _from_cerberus(error: Any, schema: RecordSchema) -> Problem:
    """One cerberus leaf error in our words."""
    path = tuple(error.document_path)
    code = error.code
    rules = schema.rules_at(path) or {}
    value = error.value
    if code == cerberus.errors.CUSTOM.code:
        return Problem(path, str(error.info[0]))
    if code == cerberus.errors.REQUIRED_FIELD.code:
        return Problem(path, "is required")
    if code == cerberus.errors.UNKNOWN_FIELD.code:
        parent = schema.rules_at(path[:-1]) or {}
        fields = sorted(parent.get("schema", {}))
        key = path[-1] if path else ""
        hint = did_you_mean(key, fields) if isinstance(key, str) else None
        return Problem(path, "unknown field", hint, (f"allowed fields: {', '.join(fields)}",))
    if code in (cerberus.errors.BAD_TYPE.code, cerberus.errors.NOT_NULLABLE.code):
        return Problem(path, wrong_type(rules.get("type", ""), value))
    if code == cerberus.errors.UNALLOWED_VALUE.code:
        return Problem(path, *unknown_value(value, tuple(rules.get("allowed", ()))))
    if code in (cerberus.errors.MIN_VALUE.code, cerberus.errors.MAX_VALUE.code):
        return Problem(path, out_of_range(rules.get("min"), rules.get("max"), value))
    if code == cerberus.errors.MIN_LENGTH.code:
        if path == ("members",):
            return Problem(path, "must have at least one member")
        return Problem(path, "must not be empty")
    if code == cerberus.errors.EMPTY_NOT_ALLOWED.code:
        return Problem(path, "must not be empty")
    if code == cerberus.errors.REGEX_MISMATCH.code:
        return Problem(path, not_in_form(rules, value))
    return Problem(path, f"is not valid ({error.rule or 'rule'})")


# The words for one value against one rule of the schema; the batch's column-wise rejections
# use the same functions, so a record gets the same message either way.


def wrong_type(type_name: str, value: object) -> str:
    words = TYPE_WORDS.get(type_name, "has the wrong type")
    return f"{words}, not {kind_of(value)}{shown_after(value)}"


def unknown_value(value: object, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """The message and a did-you-mean suggestion."""
    hint = did_you_mean(value, allowed) if isinstance(value, str) else None
    return f"unknown value {show(value)} (allowed: {', '.join(allowed)})", hint


def out_of_range(low: object, high: object, value: object) -> str:
    return f"must be between {low} and {high}, not {show(value)}"


def not_in_form(rules: Mapping[str, Any], value: object) -> str:
    words = rules.get("meta", {}).get("regex", "is not in the expected form")
    return f"{words}, not {show(value)}"


# --------------------------------------------------------------------------------------
# Cross-field checks: each looks only where the structure is right (cerberus reports
# the rest) and yields its problems.


def _items(record: Mapping[Any, Any], field: str) -> list[tuple[int, Mapping[Any, Any]]]:
    """The objects in a top-level list, up to the list's limit (the rest is reported)."""
    items = record.get(field)
    if not isinstance(items, (list, tuple)):
        return []
    limit = SCHEMA[field]["maxlength"]
    return [(i, item) for i, item in enumerate(items[:limit]) if type(item) is dict or isinstance(item, Mapping)]


def _duplicate_member_ids(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, member in _items(record, "members"):
        member_id = member.get("id")
        if not isinstance(member_id, str) or not member_id.strip():
            continue
        if member_id in first:
            yield Problem(
                ("members", index, "id"),
                f"duplicate member id {show(member_id)} (also members[{first[member_id]}])",
                related=((("members", first[member_id], "id"), "the first member with this id"),),
            )
        else:
            first[member_id] = index


def _request_members(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    members = record.get("members")
    if not isinstance(members, (list, tuple)) or not 0 < len(members) <= MAX_MEMBERS:
        return  # reported as a problem with members
    known = [m.get("id") for _, m in _items(record, "members") if isinstance(m.get("id"), str)]
    if len(known) != len(members):
        return  # some member has no usable id: a reference might be meant for it
    for index, request in _items(record, "requests"):
        member = request.get("member")
        if isinstance(member, str) and member and member not in known:
            listed = ", ".join(show(k) for k in known[:10]) or "none"
            yield Problem(
                ("requests", index, "member"),
                f"no member has id {show(member)} (member ids: {listed})",
                did_you_mean(member, [str(k) for k in known]),
            )


def _event_causes(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    for index, event in _items(record, "events"):
        kind = event.get("kind")
        if not isinstance(kind, str) or kind not in schema.event_causes:
            continue
        causes = schema.event_causes[kind]
        cause = event.get("cause")
        path = ("events", index, "cause")
        if causes and cause is None:
            yield Problem(path, f"is required for {kind} events (allowed: {', '.join(causes)})")
        elif not causes and cause is not None:
            yield Problem(path, f"not allowed for {kind} events (they have no causes)")
        elif causes and isinstance(cause, str) and cause not in causes:
            yield Problem(
                path,
                f"unknown cause {show(cause)} for {kind} events (allowed: {', '.join(causes)})",
                did_you_mean(cause, causes),
            )


def _levels(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    """Only an education expense names a level of schooling."""
    for m, member in _items(record, "members"):
        expenses = member.get("expenses")
        if not isinstance(expenses, (list, tuple)):
            continue
        for e, expense in enumerate(expenses[:MAX_FLOWS]):
            if isinstance(expense, Mapping) and expense.get("level") is not None and expense.get("kind") != "education":
                yield Problem(("members", m, "expenses", e, "level"), "only an education expense has a level")


def _status_details(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    """The tekun support arrangement needs a tekun household; a current payment needs one on dibao."""
    status = record.get("status")
    if not isinstance(status, Mapping):
        return
    if status.get("tekun_support") is not None and status.get("tekun") is not True:
        yield Problem(("status", "tekun_support"),
                       "only a tekun household (status.tekun true) has a support arrangement")
    if status.get("current_benefit_monthly") is not None and status.get("dibao_since") is None:
        yield Problem(("status", "current_benefit_monthly"),
                       "only a household on dibao (status.dibao_since set) has a current payment")


def _event_incomes(record: Mapping[Any, Any], schema: RecordSchema) -> Iterator[Problem]:
    """income_fell events carry income_before, income_after and per, with a fall; others none."""
    for index, event in _items(record, "events"):
        kind = event.get("kind")
        if not isinstance(kind, str) or kind not in schema.event_causes:
            continue
        if kind not in INCOME_CHANGE_KINDS:
            for key in INCOME_CHANGE_KEYS:
                if key in event:
                    yield Problem(("events", index, key), f"not allowed for {kind} events (only income_fell has it)")
            continue
        missing = [key for key in INCOME_CHANGE_KEYS if event.get(key) is None]
        for key in missing:
            yield Problem(("events", index, key), f"is required for {kind} events "
                           "(the household's income before and after the fall, per month or per year)")
        if not missing:
            try:
                before, after = parse_amount(event["income_before"]), parse_amount(event["income_after"])
            except Invalid:
                continue  # reported by the schema
            if after >= before:
                yield Problem(("events", index, "income_after"),
                               f"must be below income_before ({before}) in an income_fell event, not {after}")


CROSS_FIELD_CHECKS: tuple[Callable[[Mapping[Any, Any], RecordSchema], Iterator[Problem]], ...] = (
    _duplicate_member_ids, _request_members, _event_causes, _levels, _status_details, _event_incomes)


# --------------------------------------------------------------------------------------
# Words for paths


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _path_text(record: object, path: tuple[object, ...]) -> str:
    """``members[1].incomes[0].amount``; the empty path is ``record``."""
    text = ""
    node: object = record
    for part in path:
        if isinstance(node, (list, tuple)) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if -len(node) <= part < len(node) else None
            continue
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{show(part)}]"
        try:
            node = node.get(part) if isinstance(node, Mapping) else None
        except TypeError:
            node = None
    return text or "record"


def _field_path(record: object, path: tuple[object, ...]) -> FieldPath:
    """The path as data: list indices as ints, every key of an object as text."""
    found: list[str | int] = []
    node: object = record
    for part in path:
        if isinstance(node, (list, tuple)) and isinstance(part, int) and not isinstance(part, bool):
            found.append(part)
            node = node[part] if -len(node) <= part < len(node) else None
            continue
        found.append(part if isinstance(part, str) else show(part))
        try:
            node = node.get(part) if isinstance(node, Mapping) else None
        except TypeError:
            node = None
    return tuple(found)


def path_key(path: tuple[object, ...]) -> tuple[tuple[int, Any], ...]:
    """Sort key: indices numerically, names alphabetically, anything else last."""
    key: list[tuple[int, Any]] = []
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            key.append((0, part))
        elif isinstance(part, str):
            key.append((1, part))
        else:
            key.append((2, show(part)))
    return tuple(key)


def record_id(record: object) -> str | None:
    """The record's ``id`` when it is a usable string, for naming it in batch errors."""
    if isinstance(record, Mapping):
        try:
            value = record.get("id")
        except TypeError:
            return None
        if isinstance(value, str) and value.strip():
            return value
    return None


def id_words(identifier: str) -> str:
    if identifier.isprintable() and len(identifier) <= 60:
        return identifier
    return show(identifier)


def diagnostics_of(
    record: object, problems: list[Problem], source: str, line: int | None, locate: Locate | None = None
) -> list[Diagnostic]:
    span = Span(source, line or 1, 1)
    identifier = record_id(record)
    tail = f" (record {id_words(identifier)})" if identifier is not None else ""
    ordered = sorted(problems, key=lambda p: (path_key(p.path), p.message))
    return [
        Diagnostic(
            CODE,
            f"{_path_text(record, p.path)}: {p.message}{tail}",
            _place(locate, p.path, span),
            notes=p.notes,
            suggestion=p.suggestion,
            path=_field_path(record, p.path),
            related=_related(locate, p.related),
        )
        for p in ordered
    ]


def _related(locate: Locate | None, related: tuple[tuple[tuple[object, ...], str], ...]) -> tuple[Related, ...]:
    """The other fields a problem involves, where the record is read from a file (so has places)."""
    if locate is None:
        return ()
    found = []
    for path, label in related:
        try:
            found.append(Related(locate(path), label))
        except Exception:  # a locator is a reading aid: the problem is still reported
            continue
    return tuple(found)


def _place(locate: Locate | None, path: tuple[object, ...], fallback: Span) -> Span:
    if locate is None:
        return fallback
    try:
        return locate(path)
    except Exception:  # a locator is a reading aid: the problem is still reported at its record
        return fallback


