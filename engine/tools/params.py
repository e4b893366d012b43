"""Parameters as an officer keeps them: each parameter's dated values with their sources.

``histories`` gives, for a region, every parameter its layers define (the common layer's
too) with every dated value: dates, the value as written, or the reason it must be
supplied, and the citation (document, clause, catalogue id, confidence, quote) and
note. ``on_date`` gives the value each parameter has on one day and whether it must be
supplied then. Both are data first; ``history_table`` and ``on_date_table`` lay them
out for ``dibao params``. The same histories are what ``engine/tools/workbook.py`` writes to
and reads from a spreadsheet.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from engine.base.i18n import tr
from engine.base.render import Column, Table
from engine.language.formatter import format_expression
from engine.policy.policy_model import Citation, DatedValue, Parameter
from engine.policy.resolve import Chain, value_in_force
from engine.runtime.library import PolicyLibrary

SOURCE_KEYS = ("doc", "clause", "rule", "confidence", "quote")


@dataclass
class ValueRow:
    """One dated value, as plain text fields (what a spreadsheet row holds)."""

    start: date
    end: date | None
    value: str | None
    must_supply: str | None
    source: dict[str, str]
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat() if self.end else None,
                "value": self.value, "must_supply": self.must_supply, "source": self.source, "note": self.note}


@dataclass
class History:
    name: str
    type: str
    label: str
    layer: str
    file: str
    values: list[ValueRow] = field(default_factory=list)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"parameter": self.name, "type": self.type, "label": self.label, "layer": self.layer,
                "file": self.file, "note": self.note, "values": [v.as_dict() for v in self.values]}


def citation_fields(citation: Citation) -> dict[str, str]:
    """A citation as the text fields a spreadsheet row holds (``doc``, ``clause``, and those given of the rest)."""
    source = {"doc": citation.doc, "clause": citation.clause}
    for key in ("rule", "confidence", "quote"):
        if getattr(citation, key):
            source[key] = str(getattr(citation, key))
    return source


def value_row(value: DatedValue) -> ValueRow:
    text = format_expression(value.expr) if value.expr is not None else None
    return ValueRow(value.start, value.end, text, value.must_supply, citation_fields(value.source), value.note)


def history_of(parameter: Parameter) -> History:
    return History(parameter.name, str(parameter.type), parameter.label, parameter.layer, parameter.span.file,
                   [value_row(v) for v in sorted(parameter.values, key=lambda v: v.start)], parameter.note)


def chain_of(library: PolicyLibrary, region: str) -> Chain:
    return library.region(region).chain


def histories(library: PolicyLibrary, region: str, name: str | None = None) -> list[History]:
    """Every parameter of the region (or the one named), most general layer first, then by name."""
    chain = chain_of(library, region)
    if name is not None and name not in chain.parameters:
        hint = did_you_mean(name, chain.parameters)
        raise DiagnosticError([Diagnostic("E-PARAMETER", f"{region} has no parameter {name!r}; its parameters are: "
                                          f"{', '.join(sorted(chain.parameters))}", suggestion=hint)])
    order = {layer.key: index for index, layer in enumerate(chain.layers)}
    chosen = [chain.parameters[name]] if name else sorted(chain.parameters.values(),
                                                           key=lambda p: (order.get(p.layer, 0), p.name))
    return [history_of(p) for p in chosen]


def on_date(library: PolicyLibrary, region: str, day: date, name: str | None = None) -> list[dict[str, Any]]:
    """Each parameter's value on ``day``: the value in force, its source, and whether it must be supplied."""
    chain = chain_of(library, region)
    if not chain.span_from <= day <= chain.span_to:
        raise DiagnosticError([Diagnostic("E-SPAN", f"{region} answers for {chain.span_from} – {chain.span_to}; "
                                          f"{day} is outside its span", chain.top.span)])
    rows = []
    for history in histories(library, region, name):
        chosen = value_in_force(chain.parameters[history.name], day)
        row: dict[str, Any] = {"region": region, "parameter": history.name, "label": history.label,
                               "date": day.isoformat()}
        if chosen is None:
            row |= {"value": None, "must_supply": True, "reason": "no value covers this date", "in_force": None,
                    "source": None}
        else:
            shown = value_row(chosen)
            row |= {"value": shown.value, "must_supply": shown.must_supply is not None, "reason": shown.must_supply,
                    "in_force": [shown.start.isoformat(), shown.end.isoformat() if shown.end else None],
                    "source": shown.source}
        rows.append(row)
    return rows


def citation_text(source: dict[str, str] | None) -> str:
    if not source:
        return ""
    tail = f" ({source['rule']})" if source.get("rule") else ""
    return f"{source['doc']} {source['clause']}{tail}"


def history_table(found: list[History]) -> Table:
    table = Table([Column("parameter", "parameter"), Column("from", "from"), Column("to", "to"),
                   Column("value", "value"), Column("source", "source"), Column("confidence", "confidence")])
    for history in found:
        for row in history.values:
            table.add(parameter=history.name, **{"from": row.start.isoformat()}, to=row.end or tr("open"),
                      value=row.value if row.value is not None else f"{tr('must be supplied')}: {row.must_supply}",
                      source=citation_text(row.source), confidence=row.source.get("confidence", ""))
    if len(found) == 1:
        table.after = reading_lines(found[0])
    return table


def reading_lines(history: History) -> list[str]:
    """One parameter's label and reading note (what its values mean), shown below its history."""
    lines = ["", f"{history.name} ({history.label})"]
    if history.note:
        lines += textwrap.wrap(" ".join(history.note.split()), width=96, initial_indent="  ", subsequent_indent="  ")
    return lines


def on_date_table(rows: list[dict[str, Any]]) -> Table:
    table = Table([Column("parameter", "parameter"), Column("value", "value"), Column("in_force", "in force"),
                   Column("source", "source"), Column("confidence", "confidence"),
                   Column("must_supply", "must be supplied")])
    for row in rows:
        dates = row["in_force"]
        shown = row["value"] if row["value"] is not None else f"{tr('must be supplied')}: {row['reason']}"
        table.add(parameter=row["parameter"], value=shown,
                  in_force=f"{dates[0]} – {dates[1] or tr('open')}" if dates else "",
                  source=citation_text(row["source"]), confidence=(row["source"] or {}).get("confidence", ""),
                  must_supply=row["must_supply"])
    if rows:
        table.title = f"{rows[0]['region']} {tr('on')} {rows[0]['date']}"
    return table
