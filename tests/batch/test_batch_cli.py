"""dibao batch through the real command: formats, errors file, counts, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.batch.tables import write_tables

ROOT = Path(__file__).resolve().parents[2]
HEBI = ROOT / "examples" / "caseload" / "hebi.jsonl"
SET = ["--set", "income.employment_cost_deduction_cap=100", "--set", "income.rigid_expenditure_share=50%"]


def batch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "batch", "--region", "hebi", "--date", "2017-10-01",
                           *args], capture_output=True, text=True, cwd=ROOT, check=False)


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return [json.loads(line) for line in HEBI.read_text().splitlines()[:300]]


def test_nothing_is_lost_and_every_rejection_is_explained(tmp_path: Path, records: list[dict[str, object]]) -> None:
    lines = [json.dumps(r) for r in records[:50]]
    lines.insert(10, "{not json")
    broken = dict(records[20], id="HB-BROKEN", members=[])
    lines.insert(20, json.dumps(broken))
    lines.insert(30, "")  # blank lines are not records
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    done = batch(str(source), "--out", str(tmp_path / "out.jsonl"), *SET)
    assert done.returncode == 0, done.stderr
    rows = (tmp_path / "out.jsonl").read_text().splitlines()
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert len(rows) + len(errors) == 52
    assert {e["line"] for e in errors} == {11, 21}
    bad_json = next(e for e in errors if e["line"] == 11)
    assert bad_json["id"] is None and "JSON" in bad_json["reason"]
    empty = next(e for e in errors if e["line"] == 21)
    assert empty["id"] == broken["id"] and "members" in empty["reason"]
    assert "52 records → 50 rows" in done.stderr


def test_a_household_needing_an_unsupplied_value_is_rejected_with_the_reason(tmp_path: Path,
                                                                              records: list[dict[str, object]]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    done = batch(str(source), "--out", str(tmp_path / "out.jsonl"), "--errors", str(tmp_path / "bad.jsonl"),
                 "--set", "income.rigid_expenditure_share=50%")
    assert done.returncode == 0, done.stderr
    errors = [json.loads(line) for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    rows = (tmp_path / "out.jsonl").read_text().splitlines()
    assert errors and len(rows) + len(errors) == len(records)
    assert all("income.employment_cost_deduction_cap" in e["reason"] and "--set" in e["reason"] for e in errors)


def test_json_lines_rows_carry_the_contract_names(tmp_path: Path) -> None:
    done = batch(str(HEBI), "--out", str(tmp_path / "out.jsonl"), *SET)
    assert done.returncode == 0, done.stderr
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["id"] == "HB-000001"
    assert {"dibao.eligible", "dibao.benefit_monthly", "members"} <= set(first)
    assert first["dibao.standard_monthly"] == "267.50"
    meta = json.loads((tmp_path / "out.jsonl.meta.json").read_text())
    assert meta["dibao.digest"].startswith("sha256:") and meta["summary"]["records"] == 2000


def test_parquet_keeps_types_and_records_the_digest(tmp_path: Path) -> None:
    done = batch(str(HEBI), "--out", str(tmp_path / "out.parquet"), *SET)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(tmp_path / "out.parquet")
    assert str(table.schema.field("dibao.benefit_monthly").type) == "decimal128(20, 2)"
    assert table.schema.metadata[b"dibao.digest"].startswith(b"sha256:")
    members = pq.read_table(tmp_path / "out.members.parquet")
    assert members.column_names[:2] == ["household_id", "member_id"]
    assert table.num_rows + len((tmp_path / "out.parquet.errors.jsonl").read_text().splitlines()) == 2000


def test_tables_in_and_json_lines_in_give_the_same_answers(tmp_path: Path, records: list[dict[str, object]]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    for fmt in ("parquet", "csv", "arrow"):
        write_tables(records, tmp_path / fmt, fmt)
        assert batch(str(tmp_path / fmt), "--out", str(tmp_path / f"from-{fmt}.csv"), *SET).returncode == 0
    assert batch(str(source), "--out", str(tmp_path / "from-jsonl.csv"), *SET).returncode == 0
    expected = (tmp_path / "from-jsonl.csv").read_text()
    assert (tmp_path / "from-parquet.csv").read_text() == expected
    assert (tmp_path / "from-csv.csv").read_text() == expected
    assert (tmp_path / "from-arrow.csv").read_text() == expected
    assert (tmp_path / "from-csv.members.csv").read_text() == (tmp_path / "from-jsonl.members.csv").read_text()


def test_a_member_row_without_its_household_is_an_error_not_a_loss(tmp_path: Path,
                                                                   records: list[dict[str, object]]) -> None:
    write_tables(records[:5], tmp_path / "t", "csv")
    members = tmp_path / "t" / "members.csv"
    members.write_text(members.read_text() + '"HB-999999","p1","1990-01-01","full",,,,,,\n')
    done = batch(str(tmp_path / "t"), "--out", str(tmp_path / "o.jsonl"), *SET)
    assert done.returncode == 0, done.stderr
    (error,) = [json.loads(line) for line in (tmp_path / "o.jsonl.errors.jsonl").read_text().splitlines()]
    assert error["id"] == "HB-999999" and "not in the households table" in error["reason"]


def test_runs_are_byte_identical(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert batch(str(HEBI), "--out", str(tmp_path / f"{name}.csv"), "--chunk-size", "700" if name == "a"
                     else "2000", *SET).returncode == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.members.csv").read_bytes() == (tmp_path / "b.members.csv").read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["missing.jsonl", "--out", "x.jsonl"], "no such file"),
    ([str(HEBI), "--out", "x.txt"], ".jsonl, .csv, .parquet or .xlsx"),
    ([str(HEBI)], "--out"),
    ([str(HEBI), "--out", "x.jsonl", "--chunk-size", "0"], "chunk-size"),
])
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = batch(*[a if not a.startswith("x.") else str(tmp_path / a) for a in args])
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_an_income_of_someone_not_in_the_household_is_an_error(tmp_path: Path,
                                                                records: list[dict[str, object]]) -> None:
    write_tables(records[:3], tmp_path / "t", "csv")
    incomes = tmp_path / "t" / "incomes.csv"
    first = records[0]["id"]
    incomes.write_text(incomes.read_text() + f'"{first}","nobody","wages","5000","month"\n')
    done = batch(str(tmp_path / "t"), "--out", str(tmp_path / "o.jsonl"), *SET)
    assert done.returncode == 0, done.stderr
    (error,) = [json.loads(line) for line in (tmp_path / "o.jsonl.errors.jsonl").read_text().splitlines()]
    assert error["id"] == first and "'nobody'" in error["reason"]
    assert "4 records → 3 rows" in done.stderr


def test_tables_are_written_even_when_every_record_is_rejected_and_the_run_fails(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "x"}\n')
    done = batch(str(source), "--out", str(tmp_path / "out.parquet"))
    assert done.returncode == 1 and "no household was answered" in done.stderr, done.stderr
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == 0 and "dibao.benefit_monthly" in table.column_names
    assert pq.read_table(tmp_path / "out.members.parquet").num_rows == 0
    (error,) = (tmp_path / "out.parquet.errors.jsonl").read_text().splitlines()
    assert json.loads(error)["id"] == "x"


def test_tables_in_any_order_and_in_parts_give_the_same_answers(tmp_path: Path,
                                                                records: list[dict[str, object]]) -> None:
    import numpy as np
    import pyarrow as pa

    write_tables(records, tmp_path / "ordered")
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for path in (tmp_path / "ordered").iterdir():
        table = pq.read_table(path)
        order = np.random.default_rng(3).permutation(table.num_rows) if path.stem != "households" else \
            np.arange(table.num_rows)
        table = table.take(pa.array(order))
        if path.stem in ("members", "incomes"):  # a folder of parts
            (shuffled / path.stem).mkdir()
            half = table.num_rows // 2
            pq.write_table(table.slice(0, half), shuffled / path.stem / "part-0.parquet")
            pq.write_table(table.slice(half), shuffled / path.stem / "part-1.parquet")
        else:
            pq.write_table(table, shuffled / path.name)
    for name in ("ordered", "shuffled"):
        done = batch(str(tmp_path / name), "--out", str(tmp_path / f"{name}.jsonl"), "--chunk-size", "37", *SET)
        assert done.returncode == 0, done.stderr
    def rows(name: str) -> list[object]:  # a household's members come in its members table's order
        return [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]

    assert rows("shuffled") == rows("ordered") and len(rows("ordered")) == len(records)


def test_dongtai_income_falls_and_outputs_not_available_in_every_format(tmp_path: Path) -> None:
    """income_fell events travel through the tables; an output not available is null in every format."""
    records = [
        {"id": "DT-1", "hukou": "dongtai", "members": [
            {"id": "p1", "birth_date": "1975-01-01", "labour_capacity": "full",
             "incomes": [{"kind": "wages", "amount": "2500", "per": "month"}]},
            {"id": "p2", "birth_date": "1976-01-01", "labour_capacity": "none"},
            {"id": "p3", "birth_date": "2010-01-01", "labour_capacity": "none"}],
         "events": [{"kind": "shock", "date": "2021-03-10", "cause": "illness"},
                    {"kind": "income_fell", "date": "2021-04-01", "income_before": "40000",
                     "income_after": "18000", "per": "year"}]},
        {"id": "DT-2", "hukou": "dongtai", "status": {"monitored_since": "2021-08-31"},
         "members": [{"id": "p1", "birth_date": "1966-06-06", "labour_capacity": "full"}]},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")

    def run(given: Path, out: Path) -> None:
        done = subprocess.run([sys.executable, "-m", "engine.cli", "batch", "--region", "dongtai", "--date",
                               "2023-06-01", str(given), "--out", str(out), "--set", "dibao.standard_annual=9720",
                               "--set", "monitoring.sharp_fall_share=50%"],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr

    run(source, tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["monitoring.include"] for r in rows] == [True, True]
    assert [r["monitoring.measures_from"] for r in rows] == [None, "2021-09-01"]
    run(source, tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column("monitoring.measures_from").to_pylist()[0] is None
    assert str(table.column("monitoring.measures_from").to_pylist()[1]) == "2021-09-01"
    run(source, tmp_path / "from-jsonl.csv")
    for fmt in ("parquet", "csv"):
        write_tables(records, tmp_path / fmt, fmt)
        run(tmp_path / fmt, tmp_path / f"from-{fmt}.csv")
        assert (tmp_path / f"from-{fmt}.csv").read_text() == (tmp_path / "from-jsonl.csv").read_text()
