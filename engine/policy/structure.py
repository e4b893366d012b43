"""Structure: a policy file checked against the policy JSON Schema, each problem in words.

``schema_problems`` validates one loaded YAML document and turns each JSON Schema error
into a located diagnostic (the line and column of the offending key or value, what was
expected, a did-you-mean for a misspelt key, and what a value key misplaced under the
wrong parent means). ``engine.policy.policy_files`` runs it on every file of a tree, and
local parameter files go through the same check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

from engine.base.diagnostics import Diagnostic, did_you_mean
from engine.base.yaml_source import LoadedYaml
from engine.policy.schema import POLICY_SCHEMA

Path_ = tuple[str | int, ...]
_VALIDATOR = jsonschema.Draft202012Validator(POLICY_SCHEMA)


def schema_problems(doc: LoadedYaml, validator: jsonschema.protocols.Validator = _VALIDATOR,
                    what: str = "a policy file is a mapping with policy, sources, parameters and rules",
                    ) -> Iterator[Diagnostic]:
    """The document's departures from a JSON Schema, each located at its YAML node."""
    if not isinstance(doc.data, dict):
        yield Diagnostic("E-SCHEMA", what, doc.span(()))
        return
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    misplaced = {tuple(e.absolute_path): str(e.instance) for e in errors if _is_key_error(e)
                 and e.absolute_path and e.absolute_path[-1] == "values" and str(e.instance) in VALUE_KEYS}
    for path, key in misplaced.items():
        yield _misplaced_key(doc, path, key)
    for error in errors:
        if not any(tuple(error.absolute_path)[:len(path)] == path for path in misplaced):
            yield _schema_diagnostic(doc, error)


VALUE_KEYS = ("value", "must_supply", "source", "note", "to")


def _misplaced_key(doc: LoadedYaml, path: Path_, key: str) -> Diagnostic:
    """A value's key written at the column of the dates of keyed values: one message, not one per consequence."""
    where = doc.key_span((*path, key))
    dates = [k for k in value_at(doc.data, path) if k not in VALUE_KEYS]
    above = [k for k in dates if doc.key_span((*path, k)).line < where.line]
    owner = f"the value from {above[-1]}" if above else "the value above"
    return Diagnostic("E-YAML", f"indentation: `{key}:` is at column {where.column}, the column of the dates of "
                      f"{path[-2]}'s values, so YAML reads it as a date of its own; indent it to column "
                      f"{where.column + 2} to make it part of {owner}", where)


def path_text(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the file"


def _schema_diagnostic(doc: LoadedYaml, error: jsonschema.ValidationError) -> Diagnostic:
    path: Path_ = tuple(error.absolute_path)
    where = path_text(path)
    validator = error.validator
    if _is_key_error(error):
        key = str(error.instance)
        return Diagnostic("E-SCHEMA", f"{where}: {key!r} is not {_pattern_meaning(str(error.validator_value))}",
                          doc.key_span((*path, key)))
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else ""
        hint = did_you_mean(key, allowed) if allowed else None
        known = f"; allowed here: {', '.join(sorted(allowed))}" if allowed else ""
        return Diagnostic("E-SCHEMA", f"{where}: unknown key {key!r}{known}", doc.key_span((*path, key)),
                          suggestion=hint)
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return Diagnostic("E-SCHEMA", f"{where}: missing key {missing!r}", doc.key_span(path))
    if validator == "oneOf":
        return Diagnostic("E-SCHEMA", f"{where}: {_one_of_message(path)}", doc.key_span(path))
    if validator == "type":
        return Diagnostic("E-SCHEMA", f"{where}: must be {_kinds(error.validator_value)}, not "
                          f"{_kind_of(error.instance)}", doc.span(path))
    if validator == "pattern":
        meaning = _pattern_meaning(str(error.validator_value))
        return Diagnostic("E-SCHEMA", f"{where}: {error.instance!r} is not {meaning}", doc.span(path))
    if validator == "enum":
        choices = [str(v) for v in error.validator_value]
        return Diagnostic("E-SCHEMA", f"{where}: {error.instance!r} is not one of: {', '.join(choices)}",
                          doc.span(path), suggestion=did_you_mean(str(error.instance), choices))
    if validator == "minItems":
        return Diagnostic("E-SCHEMA", f"{where}: must not be empty", doc.span(path))
    return Diagnostic("E-SCHEMA", f"{where}: {error.message}", doc.span(path))


def _is_key_error(error: jsonschema.ValidationError) -> bool:
    return "propertyNames" in list(error.schema_path)


def _one_of_message(path: Path_) -> str:
    if len(path) >= 2 and path[-2] == "values":
        return "a dated value needs exactly one of `value` or `must_supply`"
    if len(path) >= 2 and path[-2] == "variants":
        return "a variant needs exactly one of `expr` or `table`"
    if len(path) >= 2 and path[-2] == "table":
        return "a table row is either `when` + `then`, or `else`"
    if len(path) == 2 and path[0] == "rules":
        return "a rule needs `expr` and `source`, or `table` and `source`, or `variants` (and only one of these)"
    return "does not match any allowed form"


def _kinds(expected: object) -> str:
    names = {"string": "text", "object": "a mapping", "array": "a list", "number": "a number",
             "boolean": "true or false", "integer": "a whole number"}
    if isinstance(expected, list):
        return " or ".join(names.get(str(e), str(e)) for e in expected)
    return names.get(str(expected), str(expected))


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "text"
    return "a number"


def _pattern_meaning(pattern: str) -> str:
    if "\\d{4}" in pattern:
        return "a date written YYYY-MM-DD"
    if "\\d{6}" in pattern:
        return "a 6-digit administrative code"
    if "[A-Z]" in pattern:
        return "a rule catalogue id like H5"
    return "a name of lower-case words joined by dots (e.g. dibao.standard_annual)"


def value_at(data: object, path: Path_) -> Any:
    """The value at a path, or None where the path stops (optional keys)."""
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data
