"""The batch on a local multi-process Dask cluster gives the rows of the single-process run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from engine.batch.tables import write_tables

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--region", "hebi", "--date", "2017-10-01", "--set", "income.employment_cost_deduction_cap=100",
        "--set", "income.rigid_expenditure_share=50%"]


def dibao(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False, timeout=300)


def test_partitioned_run_on_dask_equals_the_single_process_run(tmp_path: Path) -> None:
    records = [json.loads(line) for line in (ROOT / "examples/caseload/hebi.jsonl").read_text().splitlines()[:600]]
    records[450]["members"][0]["birth_date"] = "2021-02-30"  # one bad record in the last part
    for index in range(3):
        write_tables(records[index * 200:(index + 1) * 200], tmp_path / "parts" / f"part-{index}", "parquet")
    write_tables(records, tmp_path / "whole", "parquet")

    single = dibao("batch", *ARGS, str(tmp_path / "whole"), "--out", str(tmp_path / "single.parquet"))
    assert single.returncode == 0, single.stderr
    spread = dibao("batch", *ARGS, str(tmp_path / "parts"), "--out", str(tmp_path / "spread.parquet"),
                   "--dask", "local")
    assert spread.returncode == 0, spread.stderr

    parts = sorted((tmp_path / "spread").glob("part-*[0-9].parquet"))
    assert len(parts) == 3
    combined = pa.concat_tables([pq.read_table(p) for p in parts])
    assert combined.replace_schema_metadata(None).equals(pq.read_table(tmp_path / "single.parquet")
                                                        .replace_schema_metadata(None))
    summary = json.loads((tmp_path / "spread" / "_summary.json").read_text())
    assert (summary["records"], summary["rows"], summary["errors"]) == (600, 599, 1)
    errors = (tmp_path / "spread" / "part-2.parquet.errors.jsonl").read_text().splitlines()
    (error,) = [json.loads(line) for line in errors]
    assert error["id"] == records[450]["id"] and "birth_date" in error["reason"]


def test_dask_needs_a_partitioned_input(tmp_path: Path) -> None:
    done = dibao("batch", *ARGS, str(ROOT / "examples/caseload/hebi.jsonl"), "--out", str(tmp_path / "o.parquet"),
                 "--dask", "local")
    assert done.returncode == 2 and "partitioned" in done.stderr
