"""The column-wise validator and the record validator: the same verdicts, and the batch's reasons are the
record validator's words, on the bad-input corpus and on generated records (valid ones and broken ones)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.batch_core import RegionEvaluator
from engine.batch.caseload import Caseload, Rejected
from engine.batch.column_checks import check
from engine.batch.json_lines import read_block
from engine.batch.record_layout import LEVELS
from engine.batch.tables import table_chunks
from engine.household.readers import _jsonl_record
from engine.household.record import household_errors
from engine.household.strategies import households
from engine.runtime.library import PolicyLibrary

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "tests" / "household" / "bad").glob("*.json")) + sorted(
    (ROOT / "tests" / "household" / "good").glob("*.json"))
LIBRARY = PolicyLibrary.open()


def valid(record: object) -> bool:
    return not household_errors(record)


def json_verdicts(records: list[Any]) -> tuple[list[bool], int]:
    """Per record, whether the JSON Lines path accepts it; and how many the column checks judged."""
    block = [(number, json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass"))
             for number, r in enumerate(records, 1)]
    rejected: list[Rejected] = []
    caseload = read_block(block, "<test>", rejected)
    return _verdicts(caseload, rejected, len(records))


def _verdicts(caseload: Caseload, rejected: list[Rejected], count: int, first: int = 1) -> tuple[list[bool], int]:
    accepted = dict.fromkeys(range(first, first + count), False)
    checked = check(caseload)
    for line, bad in zip(caseload.lines, checked.bad | caseload.suspect, strict=True):
        accepted[int(line)] = not bad
    judged = caseload.size if caseload.known is None else 0
    for item in rejected:
        accepted[item.line] = False
    return [accepted[n] for n in sorted(accepted)], judged


def corpus_records() -> list[Any]:
    found = [json.loads(path.read_text(encoding="utf-8")) for path in CORPUS]
    caseload = (ROOT / "examples" / "caseload").glob("*.jsonl")
    return found + [json.loads(line) for path in sorted(caseload) for line in path.read_text().splitlines()[:40]]


def test_the_corpus_gets_the_record_validators_verdicts() -> None:
    records = corpus_records()
    verdicts, judged = json_verdicts(records)
    assert verdicts == [valid(r) for r in records]
    assert judged > len(records) // 2  # most go through the column checks, not around them


def test_the_batch_rejects_the_corpus_in_the_record_validators_words(tmp_path: Path) -> None:
    records = corpus_records()
    evaluator = RegionEvaluator(LIBRARY, "hebi", __import__("datetime").date(2017, 10, 1),
                                {"income.employment_cost_deduction_cap": "100"})
    block = [(n, json.dumps(r, ensure_ascii=False).encode()) for n, r in enumerate(records, 1)]
    early: list[Rejected] = []
    answer = evaluator.answer(read_block(block, "<test>", early))
    reasons = {r.line: r.reason for r in early + answer.rejected}
    found = {r.line: r.diagnostics for r in early + answer.rejected}
    for number, text in block:
        problems = household_errors(_jsonl_record(text, "<test>", number))  # the record as read from its line
        if problems:
            assert reasons[number] == "; ".join(d.message for d in problems)
            assert [_data(d) for d in found[number]] == [_data(d) for d in problems]
    assert answer.household.num_rows + len(reasons) == len(records)


def _data(diagnostic: Any) -> tuple[Any, ...]:
    """What a rejection's diagnostic says: code, message, field path, suggestion, notes."""
    return diagnostic.code, diagnostic.message, diagnostic.path, diagnostic.suggestion, diagnostic.notes


def _batch_diagnostics(caseload: Caseload, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[int, Any], int]:
    """The batch's diagnostics per rejected line, and how many records went to the record validator."""
    import engine.batch.batch_core as core

    asked = []
    real = core.record_problem

    def counted(*args: Any) -> Any:
        asked.append(args)
        return real(*args)

    monkeypatch.setattr(core, "record_problem", counted)
    evaluator = RegionEvaluator(LIBRARY, "hebi", __import__("datetime").date(2017, 10, 1),
                                {"income.employment_cost_deduction_cap": "100", "income.rigid_expenditure_share": "1"})
    answer = evaluator.answer(caseload)
    return {r.line: [_data(d) for d in r.diagnostics] for r in answer.rejected}, len(asked)


# --- generated records, broken in every way a field can be -------------------------------------------------

VALUES: list[Any] = [None, "", " ", "\u3000", "x", "hebi\n", "TRUE", "true", "yes", 0, 1, -1, 5, 2.5, True, False,
                     "2020-02-30", "1899-12-31", "2101-01-01", "2020-1-01", "2020-01-01T00:00", "2000-02-29",
                     "007", "-0", "-0.00", "1.500", "1.5", "1e3", "7,596.38", "1000000000000.01", "1000000000000",
                     "99999999999999999999", [], {}, ["x"], "wages", "shock", "illness", "p1", "p9", "full", "month",
                     "physical", "other", 2, 4]


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a record."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


FULL = {"id": "F1", "hukou": "hebi", "status": {"registered_poor": True, "lifted_out": False, "tekun": False,
                                                "children_support_sufficient": False, "dibao_since": "2020-01-13",
                                                "monitored_since": None},
        "members": [{"id": "p1", "birth_date": "1950-02-28", "labour_capacity": "partial", "seriously_ill": True,
                     "employed": False, "applies_single_person": False,
                     "disability": {"grade": 2, "category": "physical", "certificate": "other"},
                     "incomes": [{"kind": "wages", "amount": "1200.50", "per": "month"}],
                     "expenses": [{"kind": "medical", "amount": "300", "per": "year"}]},
                    {"id": "p2", "birth_date": "2010-06-01", "labour_capacity": "none"}],
        "events": [{"kind": "shock", "date": "2021-03-01", "cause": "illness"},
                   {"kind": "monitoring_application", "date": "2021-04-01"}],
        "requests": [{"kind": "temporary_assistance", "amount": "500", "member": "p2"}]}


BASES = [FULL, {**FULL, "requests": []}, {key: value for key, value in FULL.items() if key != "events"}]


def every_break(value: Any) -> list[Any]:
    """Records with one of their values replaced by ``value`` (or removed)."""
    found: list[Any] = []
    for base in BASES:
        for path in _places(base):
            record = json.loads(json.dumps(base))
            holder: Any = record
            for part in path[:-1]:
                holder = holder[part]
            if value == "<removed>":
                del holder[path[-1]]
            else:
                holder[path[-1]] = value
            found.append(record)
    for number, record in enumerate(found):
        if record.get("id") == "F1":
            record["id"] = f"F{number}"
    return found


@pytest.mark.parametrize("value", [*VALUES, "<removed>"], ids=repr)
def test_every_value_of_every_field_gets_the_record_validators_verdict(tmp_path: Path, value: Any) -> None:
    records = every_break(value)
    expected = [valid(r) for r in records]
    verdicts, _ = json_verdicts(records)
    assert [r for r, a, b in zip(records, verdicts, expected, strict=True) if a != b] == []
    write_csv_tables(records, tmp_path / "t")
    for caseload, _ in table_chunks(tmp_path / "t", 10_000):
        checked = check(caseload)
        held = caseload.records(list(range(caseload.size)))
        assert [r for r, ok in zip(held, ~(checked.bad | caseload.suspect), strict=True) if ok != valid(r)] == []


def _broken(record: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    record = json.loads(json.dumps(record))
    for _ in range(data.draw(st.integers(1, 2), label="changes")):
        path = data.draw(st.sampled_from(_places(record)), label="path")
        holder: Any = record
        for part in path[:-1]:
            holder = holder[part]
        action = data.draw(st.sampled_from(["set", "set", "set", "delete", "add"]), label="action")
        if action == "delete" and isinstance(holder, dict):
            del holder[path[-1]]
        elif action == "add" and isinstance(holder, dict):
            holder[data.draw(st.sampled_from(["extra", "cause", "member", "status", "disability"]))] = \
                data.draw(st.sampled_from(VALUES))
        else:
            holder[path[-1]] = data.draw(st.sampled_from(VALUES), label="value")
    return record


def _records(data: st.DataObject) -> list[dict[str, Any]]:
    records = data.draw(st.lists(households(), min_size=1, max_size=12), label="households")
    for number, record in enumerate(records):
        record["id"] = f"H{number}"
        if data.draw(st.booleans(), label="break it"):
            records[number] = _broken(record, data)
    return records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_records_get_the_record_validators_verdicts_from_json_lines(data: st.DataObject) -> None:
    records = _records(data)
    verdicts, _ = json_verdicts(records)
    assert verdicts == [valid(r) for r in records]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def write_csv_tables(records: list[dict[str, Any]], folder: Path) -> None:
    """Records as CSV tables, every value as its text (whatever its kind), so broken values stay broken."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in LEVELS}

    def visit(name: str, item: Any, links: dict[str, str]) -> None:
        level = LEVELS[name]
        row = dict(links)
        source = item if isinstance(item, dict) else {}
        for column in level.columns:
            holder = source.get(column.group) if column.group else source
            value = holder.get(column.path[-1]) if isinstance(holder, dict) else None
            row[column.name] = _cell(value)
        rows[name].append(row)
        for child in LEVELS.values():
            if child.parent == name and child.field is not None:
                items = source.get(child.field)
                for sub in items if isinstance(items, list) else []:
                    visit(child.name, sub, {**links, f"{name}_id": _cell(source.get("id"))})

    for record in records:
        visit("household", record, {})
    for name, level in LEVELS.items():
        names = [*level.links, *(c.name for c in level.columns)]
        with (folder / f"{level.table}.csv").open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, names, quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(rows[name])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tables_get_the_record_validators_verdicts_on_the_records_they_hold(tmp_path: Path,
                                                                            data: st.DataObject) -> None:
    records = _records(data)
    folder = tmp_path / f"t{data.draw(st.integers(0, 10**9), label='folder')}"
    write_csv_tables(records, folder)
    for caseload, early in table_chunks(folder, 5):
        checked = check(caseload)
        held = caseload.records(list(range(caseload.size)))
        assert list(~(checked.bad | caseload.suspect)) == [valid(r) for r in held], held
        assert all(isinstance(r, Rejected) for r in early)


def test_a_disagreement_is_settled_by_the_record_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.batch.batch_core as core

    records = [json.loads(line) for line in (ROOT / "examples/caseload/hebi.jsonl").read_text().splitlines()[:5]]
    real = core.check

    def overeager(caseload: Caseload) -> Any:
        checked = real(caseload)
        checked.bad = np.ones_like(checked.bad)  # says every household is bad
        return checked

    monkeypatch.setattr(core, "check", overeager)
    evaluator = RegionEvaluator(LIBRARY, "hebi", __import__("datetime").date(2017, 10, 1),
                                {"income.employment_cost_deduction_cap": "100"})
    answer = evaluator.answer(read_block([(n, json.dumps(r).encode()) for n, r in enumerate(records, 1)], "<t>", []))
    assert answer.household.num_rows == 5 and not answer.rejected


@pytest.mark.parametrize("text", [
    '"status": {"tekun": null}', '"status": null', '"events": null', '"members": [null]',
    '"members": [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full", "disability": {}}]',
    '"members": [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full", "employed" :  null}]',
    '"st\\u0061tus": {"tekun": null}', '"status": {"dibao_since": null}',
    '"members": [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full", "disability": null}]',
])
def test_what_tables_cannot_show_is_left_to_the_record_validator(text: str) -> None:
    members = '"members": [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full"}]'
    line = '{"id": "H1", "hukou": "hebi", ' + (text if text.startswith('"members"') else f"{members}, {text}") + "}"
    rejected: list[Rejected] = []
    caseload = read_block([(1, line.encode())], "<test>", rejected)
    assert caseload.known is None and not rejected  # read by pyarrow, judged by the column checks
    assert bool(check(caseload).bad[0] or caseload.suspect[0]) == (not valid(json.loads(line)))


def test_every_rule_relating_fields_has_a_column_form() -> None:
    """The record validator's cross-field rules (``CROSS_FIELD_CHECKS`` of ``engine.household.problems``) each have
    a column-wise counterpart; a new one without it would let the column checks accept what the record validator
    rejects."""
    from engine.batch.cross_checks import CROSS_CHECKS
    from engine.household.problems import CROSS_FIELD_CHECKS

    counterparts = {"_duplicate_member_ids": "member.id", "_request_members": "request.member",
                    "_event_causes": "event.cause", "_levels": "expense.level", "_status_details": "household.status",
                    "_event_incomes": "event.income_before"}
    used = {check.__name__ for check in CROSS_FIELD_CHECKS}
    assert used == set(counterparts), f"rules relating fields without a column form: {used - set(counterparts)}"
    assert set(counterparts.values()) <= set(CROSS_CHECKS)


def test_every_rule_of_the_record_schema_is_checked_by_columns() -> None:
    """Each kind of rule and value check the record schema uses is one the column checks apply."""
    from engine.household.record import _SCHEMA

    handled = {"type", "required", "nullable", "allowed", "empty", "regex", "min", "max", "check_with", "schema",
               "maxlength", "minlength", "meta"}
    checks = {"name", "amount", "date"}
    found: set[str] = set()
    values: set[str] = set()

    def visit(fields: dict[str, Any]) -> None:
        for rules in fields.values():
            found.update(rules)
            if "check_with" in rules:
                values.add(rules["check_with"])
            if rules["type"] == "dict":
                visit(rules["schema"])
            elif rules["type"] == "array":
                found.update(rules["schema"])
                visit(rules["schema"]["schema"])

    visit(_SCHEMA)
    assert found <= handled, f"rules the column checks do not apply: {found - handled}"
    assert values <= checks, f"value checks the column checks do not apply: {values - checks}"


def test_the_blank_check_knows_every_character_python_strips() -> None:
    from engine.batch.column_checks import _WHITESPACE

    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == _WHITESPACE


@pytest.mark.parametrize("value", [*VALUES, "<removed>"], ids=repr)
def test_rejections_worded_from_the_column_flags_are_the_record_validators(tmp_path: Path, value: Any,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every field of a record broken in one way: the batch's diagnostics (from the column flags where they
    describe the problem) are the record validator's, from JSON Lines and from CSV tables; the record validator
    is asked only about the records whose problem the flags cannot describe."""
    records = every_break(value)
    block = [(n, json.dumps(r, ensure_ascii=False).encode()) for n, r in enumerate(records, 1)]
    early: list[Rejected] = []
    found, _ = _batch_diagnostics(read_block(block, "<test>", early), monkeypatch)
    found.update({r.line: [_data(d) for d in r.diagnostics] for r in early})
    for number, text in block:
        problems = household_errors(_jsonl_record(text, "<test>", number))
        assert found.get(number, []) == [_data(d) for d in problems], records[number - 1]
    write_csv_tables(records, tmp_path / "t")
    for caseload, _ in table_chunks(tmp_path / "t", 10_000):
        held = caseload.records(list(range(caseload.size)))
        found, asked = _batch_diagnostics(caseload, monkeypatch)
        for line, record in zip(caseload.lines, held, strict=True):
            problems = household_errors(record, line=int(line))
            assert found.get(int(line), []) == [_data(d) for d in problems], record
        worded = [r for r in held if household_errors(r) and not any(
            d.path is not None and ("members" not in d.path or d.path[-1] != "id") and "requests" not in d.path
            and "events" not in d.path and d.message.split(": ", 1)[1].startswith(("unknown value", "must", "not a"))
            for d in household_errors(r))]
        assert asked <= len(worded)  # the column flags word the common problems themselves


def test_a_caseload_with_many_bad_values_is_worded_without_the_record_validator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    records = [json.loads(line) for line in (ROOT / "examples/caseload/hebi.jsonl").read_text().splitlines()[:60]]
    for number, record in enumerate(records):
        member = record["members"][0]
        if number % 3 == 0:
            member["birth_date"] = "1950-02-30"
        elif number % 3 == 1:
            member["labour_capacity"] = "ful"
    block = [(n, json.dumps(r).encode()) for n, r in enumerate(records, 1)]
    found, asked = _batch_diagnostics(read_block(block, "<t>", []), monkeypatch)
    assert asked == 0 and len(found) == 40
    assert found[1] == [("E-HOUSEHOLD", f"members[0].birth_date: not a real date: 1950-02-30 (record "
                                        f"{records[0]['id']})", ("members", 0, "birth_date"), None, ())]
    assert found[2][0][3] == "full", found[2]  # the record validator's suggestion too
