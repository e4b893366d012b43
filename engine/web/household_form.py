"""The calculator's household form: form fields ↔ a household record, and errors back to fields.

Each input is named by the record path it fills (``members[0].incomes[1].amount``), so a
validation message, which names the same path, is shown beside the input it concerns.
Rows left empty are dropped from the record; since that shifts list positions, the
record's paths are translated back to the form's before errors are placed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.base.diagnostics import Diagnostic

MEMBER_SLOTS = 1
INCOME_SLOTS = 3
EXPENSE_SLOTS = 2
EVENT_SLOTS = 3
REQUEST_SLOTS = 2
MAX_MEMBER_SLOTS = 12

STATUS_FLAGS = ("registered_poor", "lifted_out", "tekun", "children_support_sufficient")
STATUS_DATES = ("dibao_since", "monitored_since")
MEMBER_FLAGS = ("seriously_ill", "employed", "applies_single_person")

_STEP = re.compile(r"([A-Za-z_]\w*)(?:\[(\d+)\])?")
_PATH = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*): ")


@dataclass
class FormRecord:
    """A record built from a form, and how its list positions map back to the form's."""

    record: dict[str, Any]
    positions: dict[str, list[int]] = field(default_factory=dict)

    def form_path(self, path: str) -> str:
        """``members[0].incomes[0].amount`` in the record → the name of the form input it came from."""
        steps, prefix = [], ""
        for name, index in _STEP.findall(path):
            key = f"{prefix}.{name}" if prefix else name
            if index:
                shown = self.positions.get(key, [])
                position = int(index)
                index = str(shown[position]) if position < len(shown) else index
                prefix = f"{key}[{index}]"
                steps.append(f"{name}[{index}]")
            else:
                prefix = key
                steps.append(name)
        return ".".join(steps)


def record_from_form(form: Mapping[str, str]) -> FormRecord:
    """The household record the form describes (empty inputs and empty rows left out)."""
    tree: dict[str, Any] = {}
    for name, value in form.items():
        value = value.strip()
        if value and _STEP.fullmatch(name.split(".")[0]) and _is_record_field(name):
            _put(tree, name, value)
    built = FormRecord({})
    built.record = _clean(tree, "", built.positions)
    return built


def field_errors(diagnostics: list[Diagnostic], built: FormRecord | None) -> tuple[dict[str, list[str]], list[str]]:
    """Messages by form input name, and the rest (those that name no input of the form)."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for diagnostic in diagnostics:
        match = _PATH.match(diagnostic.message)
        if match and built is not None:
            name = built.form_path(match.group(1))
            by_field.setdefault(name, []).append(diagnostic.message[match.end():])
        else:
            general.append(diagnostic.message)
    return by_field, general


def form_from_record(record: Mapping[str, Any]) -> dict[str, str]:
    """The form's inputs filled from a record (to edit a pasted or uploaded household)."""
    filled: dict[str, str] = {}
    _flatten(record, "", filled)
    return filled


def member_slots(form: Mapping[str, str]) -> int:
    """How many member fieldsets to show: the highest member position used, plus one on "add"."""
    used = [int(m.group(1)) for name in form if (m := re.match(r"members\[(\d+)\]", name))]
    count = max(used, default=-1) + 1
    wanted = count + 1 if form.get("add_member") else count
    return min(max(wanted, MEMBER_SLOTS, _int(form.get("member_slots"))), MAX_MEMBER_SLOTS)


_RECORD_ROOTS = ("id", "hukou", "members", "status", "events", "requests")


def _is_record_field(name: str) -> bool:
    return name.split(".")[0].split("[")[0] in _RECORD_ROOTS


def _put(tree: dict[str, Any], name: str, value: str) -> None:
    steps = _STEP.findall(name)
    node: Any = tree
    for position, (key, index) in enumerate(steps):
        last = position == len(steps) - 1
        if index:
            items = node.setdefault(key, {})
            if last:
                items[int(index)] = value
            else:
                node = items.setdefault(int(index), {})
        elif last:
            node[key] = value
        else:
            node = node.setdefault(key, {})


def _clean(node: Any, prefix: str, positions: dict[str, list[int]]) -> Any:
    """Index maps become lists in order, empty rows dropped; flags become booleans."""
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and all(isinstance(k, int) for k in value):
            kept = [i for i in sorted(value) if _filled(value[i])]
            positions[path] = kept
            result[key] = [_clean(value[i], f"{path}[{i}]", positions) for i in kept]
        elif isinstance(value, dict):
            cleaned = _clean(value, path, positions)
            if cleaned:
                result[key] = cleaned
        else:
            result[key] = _typed(key, value)
    return result


def _filled(row: Any) -> bool:
    """A row counts when it has something besides a default period (``per`` alone is no income)."""
    if not isinstance(row, dict):
        return bool(row)
    return any(k != "per" and (_filled(v) if isinstance(v, dict) else bool(v)) for k, v in row.items())


def _typed(key: str, value: str) -> Any:
    if key in STATUS_FLAGS or key in MEMBER_FLAGS:
        return value.lower() in ("on", "true", "1", "yes")
    if key == "grade" and value.isdigit():
        return int(value)
    return value


def _flatten(value: Any, prefix: str, filled: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), filled)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", filled)
    elif isinstance(value, bool):
        if value:
            filled[prefix] = "on"
    elif value is not None:
        filled[prefix] = str(value)


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0
