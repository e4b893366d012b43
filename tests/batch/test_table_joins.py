"""The first pass over a folder of tables: households sharing an id found by hashes, confirmed as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

import engine.batch.table_joins as table_joins
from engine.batch.screening import Screen
from engine.batch.table_joins import Joins
from engine.batch.tables import open_tables, table_chunks, write_tables

HEBI = Path(__file__).resolve().parents[2] / "examples" / "caseload" / "hebi.jsonl"


def _records(count: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in HEBI.read_text().splitlines()[:count]]


def _repeated_rows(folder: Path) -> dict[int, list[str]]:
    joins = Joins(open_tables(folder), 3)
    return {row: [d.code for d in problems] for row, problems in joins.broken.items()}


@pytest.mark.parametrize("collide", [False, True])
def test_only_households_with_the_same_id_are_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        collide: bool) -> None:
    if collide:  # every id hashes alike: the text alone decides
        monkeypatch.setattr(table_joins, "text_hashes", lambda ids: np.full(len(ids), 42, dtype=np.int64))
    records = _records(6)
    write_tables(records, tmp_path / "distinct", "parquet")
    assert _repeated_rows(tmp_path / "distinct") == {}
    write_tables([*records, records[1], records[4]], tmp_path / "repeated", "parquet")
    assert _repeated_rows(tmp_path / "repeated") == {1: ["E-REPEATED"], 4: ["E-REPEATED"], 6: ["E-REPEATED"],
                                                     7: ["E-REPEATED"]}


def test_children_are_joined_to_their_households_across_row_groups(tmp_path: Path) -> None:
    records = _records(12)
    write_tables(records, tmp_path / "t", "parquet")
    for name in ("members", "incomes"):  # several row groups, each with its own dictionary
        path = tmp_path / "t" / f"{name}.parquet"
        table = pq.read_table(path)
        pq.write_table(table, path, row_group_size=5)
    joins = Joins(open_tables(tmp_path / "t"), 4)
    assert joins.rejected == [] and joins.broken == {}
    members = [(index, member["id"]) for index, record in enumerate(records) for member in record["members"]]
    incomes = [(index, member["id"]) for index, record in enumerate(records) for member in record["members"]
               for _ in member.get("incomes", [])]
    member_rows = joins.links["member"].parent
    assert list(member_rows) == [index for index, _ in members]
    income_members = joins.links["income"].parent
    assert len(incomes) > 10 and [members[row] for row in income_members] == incomes
    assert joins.households == len(records) and not hasattr(joins, "ids")  # the ids let go once joined


def test_table_chunks_need_no_memory_of_the_ids_seen(tmp_path: Path) -> None:
    records = _records(7)
    write_tables([*records, records[2]], tmp_path / "t", "parquet")
    screen = Screen("hebi", any_hukou=True)
    answered, rejected = [], []
    for caseload, early in table_chunks(tmp_path / "t", 3):
        assert caseload.unique_ids
        assert screen(caseload, np.ones(caseload.size, dtype=bool)) == {}
        answered += [int(line) for line in caseload.lines]
        rejected += [item.line for item in early]
    assert screen.seen.runs == []  # nothing remembered: the first pass found the repeat
    assert sorted(answered + rejected) == list(range(1, 9)) and sorted(rejected) == [3, 8]
