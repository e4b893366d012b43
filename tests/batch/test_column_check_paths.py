"""The column checks' fast paths (amounts and blanks read from the string bytes, a pattern checked once per
distinct value, bitmaps, causes per distinct pair, member-id tables) give the verdicts and values of the
exact paths and of the record validator, at every edge: forms of amounts, Unicode blanks, sliced arrays,
large strings, nulls between values, several chunks."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch.arrow_numpy import column_array, flags, nulls
from engine.batch.caseload import Rejected
from engine.batch.column_checks import MAX_FEN, PLAIN_AMOUNT, READERS, _amount_texts, check
from engine.batch.json_lines import read_block
from engine.batch.record_layout import LEVELS
from engine.batch.text_bytes import plain_amounts, plainly_solid
from engine.household.record import household_errors

AMOUNT = LEVELS["income"].column("amount")
EDGES: list[str | None] = [
    "", ".", "1.", ".5", "01.50", "0", "0.0", "0.00", "00", "-0", "-1", "-0.00", "1.234", "1.5", "1.50", "1" * 13,
    "1" * 14, "9" * 13 + ".99", "1" * 13 + ".999", "1" * 12 + ".5", "1" * 6 + ".25", "1" * 7,
    "1" * 8, "1" * 9 + ".1", "12345678.12", "１２", "٣", "1٣", " 1", "1 ", "1\n", "\n1", "+1", "1e3", "0x10",
    "1,000", "1..2", "1.2.3", "12.", "a", "é1", "1.é", "\u3000", "10000000000.00", "99999999999999999999",
    "1000000000000.01", "1000000000000"]


def _plain_reference(text: str | None) -> tuple[bool, int]:
    """PLAIN_AMOUNT as Python reads it (without the final newline ``$`` allows in Python), and its fen."""
    if text is None or not re.fullmatch(PLAIN_AMOUNT.strip("^$"), text, flags=re.ASCII):
        return False, 0
    return True, int(Decimal(text) * 100)


def _shapes(values: list[str | None]) -> list[pa.Array]:
    """The values as a string array, a large string array, sliced at both ends, and a slice of a slice."""
    plain = pa.array(values, pa.string())
    return [plain, pa.array(values, pa.large_string()),
            pa.array(["x", *values, "1"], pa.string()).slice(1, len(values)),
            pa.array(["7", "", *values], pa.large_string()).slice(1).slice(1)]


def _check_plain(values: list[str | None]) -> None:
    expected = [_plain_reference(v) for v in values]
    for array in _shapes(values):
        plain, fen = plain_amounts(array, nulls(array))
        assert [(bool(p), int(f) if p else 0) for p, f in zip(plain, fen, strict=True)] == expected, array.type


def test_plain_amounts_are_the_patterns_at_every_edge() -> None:
    _check_plain(EDGES)
    _check_plain([None, *EDGES, None, None, *reversed(EDGES), None])
    _check_plain([])
    _check_plain([None, None])
    _check_plain(["", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text("0123456789.", max_size=18), st.text(
    st.sampled_from("0123456789.-+e x\n\u3000１٣é"), max_size=18), st.from_regex(r"[0-9]{1,14}(\.[0-9]{0,3})?",
                                                                          fullmatch=True)), max_size=40))
def test_plain_amounts_are_the_patterns_on_any_text(values: list[str | None]) -> None:
    _check_plain(values)


def _money_reference(text: str | None) -> tuple[bool, int]:
    """Whether the record validator accepts an income of this amount, and its fen if it does."""
    record = {"id": "H", "hukou": "hebi", "members": [{"id": "p1", "birth_date": "1990-01-01",
                                                       "labour_capacity": "full",
                                                       "incomes": [{"kind": "wages", "amount": text, "per": "month"}]}]}
    if household_errors(record):
        return False, 0
    return True, int(Decimal(text) * 100)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunks", [1, 3])
def test_the_money_reader_is_the_record_validators_at_every_edge(chunks: int) -> None:
    values = [w for v in EDGES for w in (v, "1200.50", None, "3")]
    expected = [_money_reference(v) for v in values if v is not None]
    size = len(values) // chunks + 1
    column = pa.chunked_array([pa.array(values[i:i + size], pa.string()) for i in range(0, len(values), size)])
    table = pa.table({"amount": column})
    read = READERS["money"](column_array(table, "amount", len(values)), AMOUNT)
    got = [(not bool(b), int(f) if not b else 0) for v, b, f in zip(values, read.bad, read.values, strict=True)
           if v is not None]
    assert got == expected
    assert list(read.null) == [v is None for v in values]


def test_the_exact_amount_path_agrees_with_the_byte_path_where_both_read() -> None:
    values = pa.array([v for v in EDGES if _plain_reference(v)[0]], pa.string())
    exact = _amount_texts(values, np.zeros(len(values), dtype=bool))
    plain, fen = plain_amounts(values, np.zeros(len(values), dtype=bool))
    assert plain.all()
    assert list(np.where(exact.bad, -1, exact.values)) == [f if f <= MAX_FEN else -1 for f in fen]


def _verdicts(records: list[dict[str, Any]]) -> list[bool]:
    block = [(n, json.dumps(r, ensure_ascii=False).encode()) for n, r in enumerate(records, 1)]
    rejected: list[Rejected] = []
    caseload = read_block(block, "<test>", rejected)
    accepted = dict.fromkeys(range(1, len(records) + 1), False)
    checked = check(caseload)
    for line, bad in zip(caseload.lines, checked.bad | caseload.suspect, strict=True):
        accepted[int(line)] = not bad
    for item in rejected:
        accepted[item.line] = False
    return [accepted[n] for n in sorted(accepted)]


def _household(number: int, **fields: Any) -> dict[str, Any]:
    record = {"id": f"H{number}", "hukou": "hebi",
              "members": [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full"}]}
    record.update(fields)
    return record


BLANKS = ["", " ", "\u3000", "\u00a0", "\u2028", "\t\n", "\x1c", "\x85", " \u3000 ", "\u200b", "\ufeff"]
NAMES = ["H", "户１", "\u3000户", "\u00a0x", " x", "x ", "é", "\x1cx", "\u3000\u3000", "-", "=1"]


@pytest.mark.parametrize("many", [False, True])
def test_blank_and_unicode_ids_get_the_record_validators_verdicts(many: bool) -> None:
    """Household and member ids that are blank by Python's reading (any Unicode whitespace) or not, among
    many ordinary ones (so the distinct-value and byte paths both run)."""
    odd = BLANKS + NAMES
    records = [_household(n) for n in range(1200 if many else 0)]
    for number, text in enumerate(odd):
        records.append({**_household(0), "id": text + str(number) * (text not in BLANKS)})
        records.append(_household(5000 + number, members=[{"id": text, "birth_date": "1990-01-01",
                                                           "labour_capacity": "full"}]))
    assert _verdicts(records) == [not household_errors(r) for r in records]


def test_plainly_solid_is_a_first_character_python_keeps() -> None:
    texts = [*BLANKS, *NAMES, "a", "ab", "\x7f", "\x00", None]
    for array in _shapes(texts):
        solid = plainly_solid(array)
        for text, flag in zip(texts, solid, strict=True):
            if flag:
                assert text and text[0].strip() and text.strip()


def test_a_region_name_breaking_the_pattern_among_many_good_ones_is_found() -> None:
    bad = ["Hebi", "hebi ", " hebi", "1hebi", "he.bi", "", "hebi\n\n", "ｈebi", "he bi"]
    records = [_household(n, hukou=["hebi", "dongtai", "suining"][n % 3]) for n in range(1500)]
    for number, name in enumerate(bad):
        records.insert(97 * number + 5, _household(9000 + number, hukou=name))
    records.append(_household(9999, hukou="hebi\n"))  # a final newline is allowed, as cerberus matches
    verdicts = _verdicts(records)
    assert verdicts == [not household_errors(r) for r in records]
    assert verdicts.count(False) == len(bad)


def test_a_word_outside_a_dictionary_columns_values_is_found() -> None:
    records = [_household(n, members=[{"id": "p1", "birth_date": "1990-01-01",
                                       "labour_capacity": ["full", "partial", "none"][n % 3]}]) for n in range(50)]
    records[17]["members"][0]["labour_capacity"] = "ful"
    records[33]["members"][0]["labour_capacity"] = None
    table = pa.table({"labour_capacity": pa.array(
        [r["members"][0]["labour_capacity"] for r in records]).dictionary_encode()})
    column = LEVELS["member"].column("labour_capacity")
    read = READERS["string"](column_array(table, "labour_capacity", len(records), words=True), column)
    assert list(np.flatnonzero(read.bad)) == [17] and list(np.flatnonzero(read.null)) == [33]
    assert _verdicts(records) == [not household_errors(r) for r in records]


@pytest.mark.parametrize("offset", [0, 1, 3, 8, 13])
def test_booleans_and_nulls_from_bitmaps_at_any_offset(offset: int) -> None:
    values = [True, None, False, True, True, None, False, False, True, None, True] * 7
    array = pa.array([False] * offset + values, pa.bool_()).slice(offset)
    assert list(flags(array)) == [bool(v) for v in values]
    assert list(nulls(array)) == [v is None for v in values]
    whole = pa.array([True] * offset + [True, False] * 20, pa.bool_()).slice(offset)
    assert list(flags(whole)) == [True, False] * 20 and not nulls(whole).any()
    assert list(flags(pa.chunked_array([array.slice(0, 5), array.slice(5)]))) == [bool(v) for v in values]


def test_event_causes_and_member_references_many_or_few() -> None:
    events = [{"kind": "shock", "date": "2021-03-01", "cause": "illness"},
              {"kind": "shock", "date": "2021-03-01", "cause": "flood?"},
              {"kind": "shock", "date": "2021-03-01"},
              {"kind": "monitoring_application", "date": "2021-03-01", "cause": "illness"},
              {"kind": "monitoring_application", "date": "2021-03-01"},
              {"kind": "monitoring_application", "date": "2021-03-01", "cause": ""}]
    records = [_household(n, events=[events[n % len(events)]]) for n in range(60)]
    members = [{"id": "p1", "birth_date": "1990-01-01", "labour_capacity": "full"},
               {"id": "p2", "birth_date": "1990-01-01", "labour_capacity": "full"}]
    for number, (ids, wanted) in enumerate([(["p1", "p2"], "p2"), (["p1", "p2"], "p3"), (["p1", "p1"], "p1"),
                                            (["p1", "p2"], None), (["p2", "p1"], "p1")]):
        people = [{**m, "id": i} for m, i in zip(members, ids, strict=True)]
        records.append(_household(700 + number, members=people, requests=[
            {"kind": "temporary_assistance", "amount": "500", **({"member": wanted} if wanted else {})}]))
    records += [_household(900 + n, members=[{**members[0], "id": f"q{n}"}]) for n in range(300)]  # many ids
    records.append(_household(1300, members=[{**members[0], "id": "q7"}, {**members[1], "id": "q7"}]))
    verdicts = _verdicts(records)
    assert verdicts == [not household_errors(r) for r in records]
    assert verdicts[:6] == [True, False, False, False, True, False]  # an empty cause is not no cause


def test_event_causes_judged_row_by_row_when_the_pairs_are_many() -> None:
    causes = ["illness", "flood?", "", None, "disaster", "accident", " illness"]
    records = [_household(n, events=[{"kind": kind, "date": "2021-03-01", **({} if c is None else {"cause": c})}])
               for n, (kind, c) in enumerate((k, c) for k in ("shock", "monitoring_application") for c in causes)]
    assert _verdicts(records) == [not household_errors(r) for r in records]
