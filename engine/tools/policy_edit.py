"""Edit parameter histories in policy files: what would change, and the change made in place.

``changes`` compares histories read from elsewhere (a workbook) with a region's
parameters, value by value (matched by the day each starts): a value added, removed,
or a field of it changed. ``apply`` writes those parameters' ``values:`` lists back
into the YAML files that define them, touching nothing else: every other line of the
file (comments, notes, the other parameters, the way each is wrapped) stays as it
was, and so does every value that did not change. A changed value is written in the
files' own style (``- from:``, ``to:``, ``value:``, ``source: {...}``, ``note:``).
Before anything is written the edited tree is loaded and checked in a temporary copy;
a problem the edit brings stops it, and each file is then replaced atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.i18n import tr
from engine.base.render import Column, Table
from engine.base.yaml_source import LoadedYaml, load_yaml
from engine.language import types as t
from engine.runtime.library import PolicyLibrary, _with_unit
from engine.tools.params import History, ValueRow, citation_fields, history_of, value_row

FIELDS = ("to", "value", "must_supply", "doc", "clause", "rule", "confidence", "quote", "note")


@dataclass
class Change:
    parameter: str
    start: date
    field: str  # a field name, or "value added" / "value removed"
    old: str = ""
    new: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "from": self.start.isoformat(), "field": self.field, "old": self.old,
                "new": self.new}


def normalised(library: PolicyLibrary, region: str, imported: list[History]) -> list[History]:
    """Imported histories with bare numbers given their parameter's unit, checked to be the region's parameters."""
    chain = library.region(region).chain
    unknown = [h.name for h in imported if h.name not in chain.parameters]
    if unknown:
        raise DiagnosticError([Diagnostic("E-PARAMETER", f"{region} has no parameter {name!r} (a workbook edits the "
                                          "values of existing parameters)") for name in unknown])
    for history in imported:
        type_ = chain.parameters[history.name].type
        for row in history.values:
            if row.value is not None and isinstance(type_, t.Money):
                row.value = _with_unit(row.value, type_)
    return imported


def changes(library: PolicyLibrary, region: str, imported: list[History]) -> list[Change]:
    chain = library.region(region).chain
    found: list[Change] = []
    for history in imported:
        current = {row.start: row for row in history_of(chain.parameters[history.name]).values}
        wanted = {row.start: row for row in history.values}
        for start in sorted(set(current) | set(wanted)):
            before, after = current.get(start), wanted.get(start)
            if before is None:
                assert after is not None
                found.append(Change(history.name, start, "value added", "", _summary(after)))
            elif after is None:
                found.append(Change(history.name, start, "value removed", _summary(before), ""))
            else:
                found += [Change(history.name, start, name, old, new) for name, old, new in _differences(before, after)]
    return found


def _fields(row: ValueRow) -> dict[str, str]:
    return {"to": row.end.isoformat() if row.end else "", "value": row.value or "",
            "must_supply": (row.must_supply or "").strip(), **{k: row.source.get(k, "").strip() for k in
                                                                ("doc", "clause", "rule", "confidence", "quote")},
            "note": " ".join((row.note or "").split())}


def _differences(before: ValueRow, after: ValueRow) -> list[tuple[str, str, str]]:
    old, new = _fields(before), _fields(after)
    return [(name, old[name], new[name]) for name in FIELDS if old[name] != new[name]]


def _summary(row: ValueRow) -> str:
    shown = row.value if row.value is not None else f"must be supplied: {row.must_supply}"
    return f"{shown} ({row.start} – {row.end or 'open'}; {row.source.get('doc', '')} {row.source.get('clause', '')})"


def changes_table(found: list[Change]) -> Table:
    table = Table([Column("parameter", "parameter"), Column("from", "from"), Column("field", "field"),
                   Column("old", "old"), Column("new", "new")], when_empty=tr("no changes"))
    for change in found:
        table.add(parameter=change.parameter, **{"from": change.start.isoformat()}, field=change.field,
                  old=change.old, new=change.new)
    return table


# --- writing -------------------------------------------------------------------------------------


def apply(library: PolicyLibrary, region: str, imported: list[History], found: list[Change]) -> list[Path]:
    """Write the changed parameters' values into their files; the files written."""
    chain = library.region(region).chain
    touched = {c.parameter for c in found}
    by_file: dict[Path, list[History]] = {}
    for history in imported:
        if history.name in touched:
            by_file.setdefault(Path(chain.parameters[history.name].span.file), []).append(history)
    texts = {path: _edited(path, edits) for path, edits in by_file.items()}
    _check_in_a_copy(library, region, texts)
    for path, text in texts.items():
        _write_atomically(path, text)
    return sorted(texts)


def _edited(path: Path, edits: list[History]) -> str:
    loaded = load_yaml(path, name=str(path))
    lines = loaded.text.splitlines(keepends=True)
    spans = sorted(((_values_block(loaded, h.name), h) for h in edits), key=lambda item: -item[0].first)
    for block, history in spans:  # from the bottom up, so line numbers above stay right
        lines[block.first - 1: block.last] = _new_block(lines, block, history)
    return "".join(lines)


@dataclass
class _Block:
    """A parameter's ``values:`` as written: its items' lines, rows and style."""

    items: list[tuple[int, int, ValueRow]]  # (first line, last line with the blank or comment lines after it, row)
    column: int  # where an item's keys start (list form) or its date key (keyed form), 1-based
    keyed: bool
    default: dict[str, str] | None  # the parameter's own `source:`, cited by values that give none

    @property
    def first(self) -> int:
        return self.items[0][0]

    @property
    def last(self) -> int:
        return self.items[-1][1]


def _values_block(loaded: LoadedYaml, name: str) -> _Block:
    """The parameter's values as the loader reads them, with the lines each was written on."""
    from engine.policy.dated_values import read_values
    from engine.policy.policy_files import LayerBuilder

    problems: list[Diagnostic] = []
    path = ("parameters", name)
    document: Any = loaded.data  # a policy file's plain data, already read as one
    data = document["parameters"][name]
    builder = LayerBuilder("edit", Path(loaded.file).parent, problems)
    values = read_values(builder, loaded, path)
    keyed = isinstance(data["values"], dict)
    if problems or len(values) != len(data["values"]):
        raise DiagnosticError(problems)
    default = citation_fields(builder.citation(loaded, (*path, "source"))) if isinstance(data.get("source"), dict) \
        else None
    places = [loaded.key_span((*path, "values", key)) for key in data["values"]] if keyed else \
        [loaded.span((*path, "values", index)) for index in range(len(values))]
    ends = [loaded.span((*path, "values", key)) for key in data["values"]] if keyed else places
    if places[0].line == loaded.key_span((*path, "values")).line:
        raise DiagnosticError([Diagnostic("E-PARAMS", f"{name}: its values are written on the line of `values:`; "
                                          "write one value per line to import into them", places[0])])
    items = []
    for index, (value, place, end) in enumerate(zip(values, places, ends, strict=True)):
        last = places[index + 1].line - 1 if index + 1 < len(places) else (end.end_line or end.line)
        items.append((place.line, last, value_row(value)))
    return _Block(items, places[0].column, keyed, default)


def _new_block(lines: list[str], block: _Block, history: History) -> list[str]:
    """The values as imported: an unchanged value keeps its lines as written, a new or changed one is written anew
    in the block's style. Values that leave a gap cannot be keyed by start date: they are written as a list."""
    rows = sorted(history.values, key=lambda r: r.start)
    keyed = block.keyed and _contiguous(rows)
    column = block.column if keyed or not block.keyed else block.column + 2
    originals = {row.start: (first, last, row) for first, last, row in block.items}
    out: list[str] = []
    for index, row in enumerate(rows):
        kept = originals.get(row.start)
        last = index == len(rows) - 1
        if kept is not None and keyed == block.keyed and not _text_differs(kept[2], row, keyed and not last):
            out += lines[kept[0] - 1: kept[1]]
        elif keyed:
            out += [line + "\n" for line in emit_keyed(row, column, block.default, last)]
        else:
            out += [line + "\n" for line in emit_value(row, column, block.default)]
    return out


def _contiguous(rows: list[ValueRow]) -> bool:
    """Whether each value ends the day before the next starts (what the keyed form can say)."""
    return all(row.end is not None and row.end + timedelta(days=1) == after.start
               for row, after in pairwise(rows))


def _text_differs(before: ValueRow, after: ValueRow, end_implied: bool = False) -> bool:
    old, new = _fields(before), _fields(after)
    old["value"] = _canonical_value(old["value"])
    new["value"] = _canonical_value(new["value"])
    if end_implied:
        old["to"] = new["to"] = ""
    return old != new


def _canonical_value(text: str) -> str:
    if not text:
        return text
    from engine.language.formatter import format_expression
    from engine.language.parser import TextLocator, parse_expression

    try:
        return format_expression(parse_expression(text, TextLocator("value", text)))
    except DiagnosticError:
        return text


def emit_value(row: ValueRow, column: int, default: dict[str, str] | None = None) -> list[str]:
    """One dated value in the list form (``- from:``); ``column`` is where its keys start (1-based)."""
    pad = " " * (column - 1)
    out = [f"{pad[:-2]}- from: {row.start.isoformat()}"]
    if row.end is not None:
        out.append(f"{pad}to: {row.end.isoformat()}")
    return out + _value_lines(row, pad, default)


def emit_keyed(row: ValueRow, column: int, default: dict[str, str] | None, last: bool) -> list[str]:
    """One value keyed by its start date; ``column`` is where the date starts. The short form
    (``2017-07-01: 3210 yuan/year``) when the parameter's source cites it and nothing else is said."""
    pad = " " * (column - 1)
    head = f"{pad}{row.start.isoformat()}:"
    ends = last and row.end is not None
    if row.value is not None and not row.note and not ends and default is not None and _cited(row) == default:
        return [f"{head} {value_text(row.value)}"]
    out = [head]
    if ends:
        assert row.end is not None
        out.append(f"{pad}  to: {row.end.isoformat()}")
    return out + _value_lines(row, pad + "  ", default)


def _cited(row: ValueRow) -> dict[str, str]:
    return {k: row.source[k] for k in ("doc", "clause", "rule", "confidence", "quote") if row.source.get(k)}


def _value_lines(row: ValueRow, pad: str, default: dict[str, str] | None) -> list[str]:
    out = [f"{pad}value: {value_text(row.value)}" if row.value is not None else
           f"{pad}must_supply: {scalar(row.must_supply or '')}"]
    if _cited(row) != default:
        out += wrapped(f"{pad}source: ", _cited(row))
    if row.note:
        out.append(f"{pad}note: {scalar(' '.join(row.note.split()))}")
    return out


def value_text(text: str) -> str:
    """A value as the policy files write it: a set of texts as a YAML list (``[medical, education]``), any other
    constant as a scalar."""
    from engine.language import syntax as s
    from engine.language.parser import TextLocator, parse_expression

    try:
        node = parse_expression(text, TextLocator("value", text))
    except DiagnosticError:
        return scalar(text)
    if isinstance(node, s.SetLiteral) and all(isinstance(i, s.Literal) and i.kind == "text" for i in node.items):
        items = [scalar(str(i.value)) for i in node.items if isinstance(i, s.Literal)]
        if all(not item.startswith(("'", '"')) for item in items):
            return "[" + ", ".join(items) + "]"
    return scalar(text)


def scalar(text: str) -> str:
    """A text as a one-line YAML scalar: plain where YAML reads it back as the same text, else quoted."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=1_000_000, default_flow_style=True)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def wrapped(head: str, mapping: dict[str, str], width: int = 120) -> list[str]:
    """``source: {doc: …, clause: …}``, continued under its first key when a line would pass ``width`` columns."""
    from rich.cells import cell_len

    entries = [yaml.safe_dump({k: v}, allow_unicode=True, width=1_000_000, default_flow_style=True).strip()[1:-1]
               for k, v in mapping.items()]
    lines = [head + "{"]
    for index, entry in enumerate(entries):
        text = entry + ("}" if index == len(entries) - 1 else ",")
        if index and cell_len(lines[-1]) + 1 + cell_len(text) > width:
            lines.append(" " * (len(head) + 1) + text)
        else:
            lines[-1] += ("" if index == 0 else " ") + text
    return lines


def _check_in_a_copy(library: PolicyLibrary, region: str, texts: dict[Path, str]) -> None:
    """Load and check the tree with the edited files; problems the edit brings stop it."""
    root = library.root
    before = {d.one_line() for d in library.problems_of(region)}
    with tempfile.TemporaryDirectory(prefix="dibao-import-") as folder:
        copy = Path(folder) / "policies"
        shutil.copytree(root, copy)
        for path, text in texts.items():
            (copy / path.resolve().relative_to(root)).write_text(text, encoding="utf-8")
        checked = PolicyLibrary.open(copy)
        new = [d for d in checked.problems_of(region) if d.one_line().replace(str(copy), str(root)) not in before]
        if new:
            raise DiagnosticError([_relocated(d, copy, root) for d in new])


def _relocated(diagnostic: Diagnostic, copy: Path, root: Path) -> Diagnostic:
    from dataclasses import replace

    from engine.policy.policy_files import display_name

    if diagnostic.span is None:
        return diagnostic
    try:
        inside = Path(diagnostic.span.file).resolve().relative_to(copy.resolve())
    except ValueError:
        return diagnostic
    where = replace(diagnostic.span, file=display_name(root / inside))
    return replace(diagnostic, span=where, message=f"the import would give: {diagnostic.message}")


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
