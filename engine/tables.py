"""Read a caseload given as tables: a folder of Parquet or CSV files, one table per record part.

``households`` and ``members`` are required; ``incomes``, ``expenses``, ``events`` and
``requests`` are optional. Each may be one file (``members.parquet``, ``members.csv``)
or a folder of part files. Rows are joined on ``household_id`` (and ``member_id``) into
CONTRACT records, which are then validated like any other record, so a table caseload
and a JSON Lines caseload mean the same. Amounts are read as text (CSV) or decimals
(Parquet); a binary float amount is read from its shortest text, as in JSON.

Columns (null or absent optional columns take the record's documented defaults):

- households: id, hukou, registered_poor, lifted_out, tekun, children_support_sufficient,
  dibao_since, monitored_since
- members: household_id, id, birth_date, labour_capacity, disability_grade,
  disability_category, disability_certificate, seriously_ill, employed, applies_single_person
- incomes, expenses: household_id, member_id, kind, amount, per
- events: household_id, kind, date, cause, income_before, income_after, per (the last three
  for income_fell events only)
- requests: household_id, kind, amount, member
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from engine.diagnostics import Diagnostic, DiagnosticError, Span
from engine.spreadsheets import read_csv, read_workbook, whole_number_text

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # table → (required, optional)
    "households": (("id", "hukou"), ("registered_poor", "lifted_out", "tekun", "children_support_sufficient",
                                     "dibao_since", "monitored_since", "tekun_support",
                                     "current_benefit_monthly")),
    "members": (("household_id", "id", "birth_date", "labour_capacity"), (
        "disability_grade", "disability_category", "disability_certificate", "seriously_ill", "employed",
        "applies_single_person")),
    "incomes": (("household_id", "member_id", "kind", "amount", "per"), ()),
    "expenses": (("household_id", "member_id", "kind", "amount", "per"), ("level",)),
    "events": (("household_id", "kind", "date"), ("cause", "income_before", "income_after", "per")),
    "requests": (("household_id", "kind"), ("amount", "member")),
}
EVENT_INCOMES = ("income_before", "income_after", "per")
STATUS = ("registered_poor", "lifted_out", "tekun", "children_support_sufficient", "dibao_since", "monitored_since",
          "tekun_support", "current_benefit_monthly")
MEMBER_FLAGS = ("seriously_ill", "employed", "applies_single_person")
_STATUS_FLAGS = ("registered_poor", "lifted_out", "tekun", "children_support_sufficient")


def find_table(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.parquet", folder / f"{name}.csv", folder / name):
        if candidate.exists():
            return candidate
    return None


def read_table(path: Path, name: str, encoding: str | None = None) -> pa.Table:
    """One table, every column as read; CSV columns as text (in ``encoding``) so amounts stay exact."""
    try:
        if path.suffix == ".csv":
            table = read_csv(path, encoding)
        else:
            fmt = "csv" if path.is_dir() and any(path.glob("*.csv")) else "parquet"
            table = ds.dataset(path, format=fmt).to_table()
    except (pa.ArrowInvalid, OSError) as error:
        raise DiagnosticError([Diagnostic("E-TABLE", f"cannot read the {name} table: {error}",
                                          Span(str(path), 1, 1))]) from None
    check_columns(table.column_names, name, Span(str(path), 1, 1))
    return table


def checked_columns(table: pa.Table, name: str, where: str) -> pa.Table:
    """The table, if it has the required columns and no unknown one."""
    check_columns(table.column_names, name, Span(where, 1, 1))
    return table


def check_columns(columns: list[str], name: str, where: Span) -> None:
    """A table's columns: every required one present, none the layout does not know."""
    required, optional = COLUMNS[name]
    missing = [c for c in required if c not in columns]
    unknown = [c for c in columns if c not in required + optional]
    if missing or unknown:
        problems = ([f"missing columns: {', '.join(missing)}"] if missing else []) + (
            [f"unknown columns: {', '.join(unknown)} (allowed: {', '.join(required + optional)})"] if unknown else [])
        raise DiagnosticError([Diagnostic("E-TABLE", f"the {name} table: {'; '.join(problems)}", where)])


def records_from_tables(folder: Path, encoding: str | None = None) -> Iterator[tuple[int, object]]:
    """(row, CONTRACT record) per household row; child rows without a household come out as bad records.

    ``folder`` is a folder of tables, or an Excel workbook (.xlsx) with one sheet per table.
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    sheets = read_workbook(folder, list(COLUMNS)) if folder.suffix.lower() == ".xlsx" else None
    for name in COLUMNS:
        if sheets is not None:
            if name in sheets:
                sheet, where = sheets[name]
                tables[name] = checked_columns(sheet, name, where).to_pylist()
                continue
            if name in ("households", "members"):
                raise DiagnosticError([Diagnostic("E-TABLE", f"{folder}: no {name!r} sheet", Span(str(folder), 1, 1))])
            tables[name] = []
            continue
        path = find_table(folder, name)
        if path is None:
            if name in ("households", "members"):
                raise DiagnosticError([Diagnostic("E-TABLE", f"{folder}: no {name} table ({name}.parquet or "
                                                  f"{name}.csv)", Span(str(folder), 1, 1))])
            tables[name] = []
            continue
        tables[name] = read_table(path, name, encoding).to_pylist()
    return join_tables(tables)


def join_tables(tables: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[int, object]]:
    """Rows of the six tables (absent optional ones empty) joined into CONTRACT records, as ``records_from_tables``."""
    children = _group_children(tables)
    known = set()
    for row, household in enumerate(tables["households"], 1):
        known.add(household.get("id"))
        yield row, _record(household, children)
    members = {(m.get("household_id"), m.get("id")) for m in tables["members"]}
    yield from _orphans(tables, known, members)


def _group_children(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[Any, list[dict[str, Any]]]]:
    grouped: dict[str, dict[Any, list[dict[str, Any]]]] = {}
    for name in ("members", "events", "requests"):
        grouped[name] = defaultdict(list)
        for item in tables[name]:
            grouped[name][item.get("household_id")].append(item)
    for name in ("incomes", "expenses"):
        grouped[name] = defaultdict(list)
        for item in tables[name]:
            grouped[name][(item.get("household_id"), item.get("member_id"))].append(item)
    return grouped


def _record(household: dict[str, Any], children: dict[str, dict[Any, list[dict[str, Any]]]]) -> dict[str, Any]:
    hid = household.get("id")
    record: dict[str, Any] = {"id": hid, "hukou": household.get("hukou")}
    status = {k: _plain(household[k]) for k in STATUS if household.get(k) is not None}
    if status:
        record["status"] = {k: _flag(v) if k in _STATUS_FLAGS else v
                            for k, v in status.items()}
    record["members"] = [_member(m, hid, children) for m in children["members"].get(hid, [])]
    events = [{k: _plain(v) for k, v in e.items() if k != "household_id" and v is not None}
              for e in children["events"].get(hid, [])]
    if events:
        record["events"] = events
    requests = [{k: _plain(v) for k, v in r.items() if k != "household_id" and v is not None}
                for r in children["requests"].get(hid, [])]
    if requests:
        record["requests"] = requests
    return record


def _member(member: dict[str, Any], hid: Any, children: dict[str, dict[Any, list[dict[str, Any]]]]) -> dict[str, Any]:
    mid = member.get("id")
    out: dict[str, Any] = {"id": mid, "birth_date": _plain(member.get("birth_date")),
                           "labour_capacity": member.get("labour_capacity")}
    if member.get("disability_grade") is not None:
        grade = whole_number_text(member["disability_grade"])
        out["disability"] = {"grade": grade,
                             "category": member.get("disability_category"),
                             "certificate": member.get("disability_certificate")}
    for flag in MEMBER_FLAGS:
        if member.get(flag) is not None:
            out[flag] = _flag(member[flag])
    for name in ("incomes", "expenses"):
        flows = [{k: _plain(v) for k, v in f.items() if k not in ("household_id", "member_id") and v is not None}
                 for f in children[name].get((hid, mid), [])]
        if flows:
            out[name] = flows
    return out


@dataclass(frozen=True)
class Orphan:
    """A child row naming a household the households table does not have."""

    household_id: Any
    reason: str


def _orphans(tables: dict[str, list[dict[str, Any]]], known: set[Any],
             members: set[tuple[Any, Any]]) -> Iterator[tuple[int, object]]:
    """Child rows that name no household, or no member of it: each is a bad record, so none is dropped."""
    for name in ("members", "incomes", "expenses", "events", "requests"):
        for row, item in enumerate(tables[name], 1):
            household = item.get("household_id")
            if household not in known:
                yield row, Orphan(household, f"{name} row {row} names household {household!r}, which is not in "
                                  "the households table")
            elif name in ("incomes", "expenses") and (household, item.get("member_id")) not in members:
                yield row, Orphan(household, f"{name} row {row} names member {item.get('member_id')!r}, who is "
                                  f"not a member of household {household!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def tables_from_records(records: list[dict[str, Any]]) -> dict[str, pa.Table]:
    """CONTRACT records as the six tables (the inverse of ``records_from_tables``)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
    for record in records:
        hid = record["id"]
        status = record.get("status") or {}
        rows["households"].append({"id": hid, "hukou": record.get("hukou"),
                                   **{k: _text(status.get(k)) if k == "current_benefit_monthly" else status.get(k)
                                      for k in STATUS}})
        for member in record.get("members", []):
            disability = member.get("disability") or {}
            rows["members"].append({
                "household_id": hid, "id": member["id"], "birth_date": member.get("birth_date"),
                "labour_capacity": member.get("labour_capacity"), "disability_grade": disability.get("grade"),
                "disability_category": disability.get("category"),
                "disability_certificate": disability.get("certificate"),
                **{flag: member.get(flag) for flag in MEMBER_FLAGS}})
            for name in ("incomes", "expenses"):
                rows[name] += [{"household_id": hid, "member_id": member["id"], "kind": f["kind"],
                                "amount": str(f["amount"]), "per": f["per"],
                                **({"level": f.get("level")} if name == "expenses" else {})}
                               for f in member.get(name, [])]
        rows["events"] += [{"household_id": hid, "kind": e["kind"], "date": e["date"], "cause": e.get("cause"),
                            **{k: None if e.get(k) is None else str(e[k]) for k in EVENT_INCOMES}}
                           for e in record.get("events", [])]
        rows["requests"] += [{"household_id": hid, "kind": r["kind"], "amount": r.get("amount"),
                              "member": r.get("member")} for r in record.get("requests", [])]
    tables = {}
    for name, items in rows.items():
        required, optional = COLUMNS[name]
        columns = {c: [item.get(c) for item in items] for c in required + optional}
        tables[name] = pa.table({c: pa.array(v, _arrow_type(c)) for c, v in columns.items()})
    return tables


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _arrow_type(column: str) -> pa.DataType:
    if column in ("registered_poor", "lifted_out", "tekun", "children_support_sufficient", *MEMBER_FLAGS):
        return pa.bool_()
    if column == "disability_grade":
        return pa.int64()
    return pa.string()


def write_tables(records: list[dict[str, Any]], folder: Path, fmt: str = "parquet") -> None:
    """Write records as tables in a folder (``parquet`` or ``csv``)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables_from_records(records).items():
        if fmt == "csv":
            pacsv.write_csv(table, folder / f"{name}.csv")
        else:
            pq.write_table(table, folder / f"{name}.parquet")
