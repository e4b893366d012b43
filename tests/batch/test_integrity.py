"""A batch can never lose or fake a result: inputs are never overwritten, outputs appear whole or not
at all, every record is a row or a rejection, and nothing is answered that the interpreter would not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.batch.tables import write_tables

ROOT = Path(__file__).resolve().parents[2]
HEBI = ROOT / "examples" / "caseload" / "hebi.jsonl"
ARGS = ["--region", "hebi", "--date", "2017-10-01", "--set", "income.employment_cost_deduction_cap=100"]


def dibao(*args: str, stdin: str | None = None, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False, input=stdin, timeout=600, **options)  # type: ignore[call-overload]


def batch(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return dibao("batch", *ARGS, *args, stdin=stdin)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return HEBI.read_text().splitlines()[:40]


def errors_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def visible(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


# --- nothing we write can destroy an input ------------------------------------------------------------


def test_an_output_naming_the_input_is_refused_and_the_input_kept(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "caseload.jsonl"
    source.write_text("\n".join(lines) + "\n")
    before = source.read_bytes()
    for out in (source, tmp_path / "caseload.jsonl.errors.jsonl"):
        extra = ["--errors", str(source)] if out != source else []
        done = batch(str(source), "--out", str(tmp_path / "x.jsonl") if extra else str(out), *extra)
        assert done.returncode == 2 and "would overwrite the input" in done.stderr, done.stderr
        assert source.read_bytes() == before
    assert visible(tmp_path) == {"caseload.jsonl"}


def test_an_output_inside_the_input_folder_is_refused(tmp_path: Path, lines: list[str]) -> None:
    write_tables([json.loads(line) for line in lines], tmp_path / "tables")
    before = {p.name: p.read_bytes() for p in (tmp_path / "tables").iterdir()}
    for out in ("households.parquet", "answers.parquet"):
        done = batch(str(tmp_path / "tables"), "--out", str(tmp_path / "tables" / out))
        assert done.returncode == 2 and "would overwrite the input" in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "tables").iterdir()} == before


def test_errors_equal_to_out_or_to_the_member_table_is_refused(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    for out, errors in (("x.jsonl", "x.jsonl"), ("x.parquet", "x.members.parquet"), ("x.csv", "x.csv.meta.json")):
        done = batch(str(source), "--out", str(tmp_path / out), "--errors", str(tmp_path / errors))
        assert done.returncode == 2 and "would be the same file" in done.stderr, done.stderr
    assert visible(tmp_path) == {"in.jsonl"}


def test_each_output_has_its_own_errors_file(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([*lines[:5], "{not json"]) + "\n")
    for out in ("x.csv", "x.parquet", "x.jsonl"):
        assert batch(str(source), "--out", str(tmp_path / out)).returncode == 0
    for out in ("x.csv", "x.parquet", "x.jsonl"):
        (error,) = errors_of(tmp_path / f"{out}.errors.jsonl")
        assert error["line"] == 6
        assert json.loads((tmp_path / f"{out}.meta.json").read_text())["summary"]["errors"] == 1


# --- whole or not at all -----------------------------------------------------------------------------


def test_a_refused_or_failing_run_leaves_the_previous_outputs(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    assert batch(str(source), "--out", str(tmp_path / "x.parquet")).returncode == 0
    before = {name: (tmp_path / name).read_bytes() for name in visible(tmp_path)}
    for args in (["--set", "no.such=1"], ["--chunk-size", "0"]):
        done = batch(str(source), "--out", str(tmp_path / "x.parquet"), *args)
        assert done.returncode == 2, done.stderr
    assert {name: (tmp_path / name).read_bytes() for name in visible(tmp_path)} == before


def test_an_unwritable_output_is_a_located_message(tmp_path: Path, lines: list[str]) -> None:
    """A folder nobody may write into: a read-only folder for a user, /proc for root (who writes anywhere else)."""
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    if os.geteuid() == 0:
        out = Path("/proc") / "dibao-x.jsonl"
        done = batch(str(source), "--out", str(out))
        assert done.returncode == 2 and str(out) in done.stderr and "Traceback" not in done.stderr
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.jsonl").write_text("previous\n")
    locked.chmod(0o500)
    try:
        done = batch(str(source), "--out", str(locked / "x.jsonl"))
    finally:
        locked.chmod(0o700)
    assert done.returncode == 2 and str(locked / "x.jsonl") in done.stderr and "Traceback" not in done.stderr
    assert (locked / "x.jsonl").read_text() == "previous\n"


def test_an_output_in_a_folder_that_cannot_be_made_is_a_located_message(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    (tmp_path / "file").write_text("not a folder\n")
    done = batch(str(source), "--out", str(tmp_path / "file" / "x.jsonl"))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "file").read_text() == "not a folder\n"


def _running(tmp_path: Path, out: Path, lines: list[str]) -> subprocess.Popen[str]:
    """A run reading standard input, stopped half-way (its stdin kept open)."""
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "batch", *ARGS, "-", "--out", str(out),
                                "--chunk-size", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdin is not None
    process.stdin.write("\n".join(lines[:3]) + "\n")
    process.stdin.flush()
    temporary = out.with_name(f".{out.name}.{process.pid}.tmp")
    deadline = time.monotonic() + 120
    while not (temporary.exists() and temporary.stat().st_size > 0):  # chunks are written as they come
        assert time.monotonic() < deadline and process.poll() is None, "the run never started writing"
        time.sleep(0.1)
    return process


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_run_leaves_the_previous_outputs_and_reads_stdin_as_a_stream(
        tmp_path: Path, lines: list[str], stop: signal.Signals) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "x.jsonl"
    assert batch(str(source), "--out", str(out)).returncode == 0
    before = {name: (tmp_path / name).read_bytes() for name in visible(tmp_path)}
    process = _running(tmp_path, out, lines)
    process.send_signal(stop)
    process.communicate(timeout=60)
    assert process.returncode != 0
    assert {name: (tmp_path / name).read_bytes() for name in visible(tmp_path)} == before
    if stop == signal.SIGINT:  # cleaned up; after SIGKILL only hidden temporary files may remain
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_second_run_writing_the_same_output_is_refused(tmp_path: Path, lines: list[str]) -> None:
    out = tmp_path / "x.jsonl"
    process = _running(tmp_path, out, lines)
    try:
        source = tmp_path / "in.jsonl"
        source.write_text("\n".join(lines) + "\n")
        done = batch(str(source), "--out", str(out))
        assert done.returncode == 2 and "another run is writing" in done.stderr, done.stderr
    finally:
        process.communicate(timeout=120)  # ends its input
    assert process.returncode == 0
    assert len(out.read_text().splitlines()) == 3


# --- every record a row or a rejection ---------------------------------------------------------------------


def test_a_record_that_cannot_be_written_is_rejected_alone(tmp_path: Path, lines: list[str]) -> None:
    records = [json.loads(line) for line in lines[:6]]
    text = [json.dumps(r) for r in records]
    text[2] = text[2].replace(json.dumps(records[2]["id"]), '"\\ud800"', 1)
    text[4] = text[4].replace('"id": "p1"', '"id": "p\\udfff"', 1)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(text) + "\n")
    done = batch(str(source), "--out", str(tmp_path / "x.parquet"))
    assert done.returncode == 0, done.stderr
    errors = errors_of(tmp_path / "x.parquet.errors.jsonl")
    assert [e["line"] for e in errors] == [3, 5]
    assert all("surrogate" in str(e["reason"]) for e in errors)
    assert pq.read_table(tmp_path / "x.parquet").num_rows == 4
    assert "6 records → 4 rows" in done.stderr


def test_a_repeated_household_is_evaluated_once(tmp_path: Path, lines: list[str]) -> None:
    text = [*lines[:5], lines[1], lines[5], lines[1]]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(text) + "\n")
    done = batch(str(source), "--out", str(tmp_path / "x.jsonl"), "--chunk-size", "3")
    assert done.returncode == 0, done.stderr
    ids = [json.loads(row)["id"] for row in (tmp_path / "x.jsonl").read_text().splitlines()]
    repeated = json.loads(lines[1])["id"]
    assert ids.count(repeated) == 1 and len(ids) == 6
    errors = errors_of(tmp_path / "x.jsonl.errors.jsonl")
    assert [(e["line"], e["id"]) for e in errors] == [(6, repeated), (8, repeated)]
    assert all("first at line 2" in str(e["reason"]) for e in errors)


def test_households_sharing_an_id_in_tables_are_not_evaluated(tmp_path: Path, lines: list[str]) -> None:
    records = [json.loads(line) for line in lines[:4]]
    write_tables([*records, records[0]], tmp_path / "t", "csv")
    done = batch(str(tmp_path / "t"), "--out", str(tmp_path / "x.jsonl"))
    assert done.returncode == 0, done.stderr
    first, again = errors_of(tmp_path / "x.jsonl.errors.jsonl")
    assert first["line"] == 1 and "rows 1, 5 share the id" in str(first["reason"])  # whose members are whose?
    assert again["line"] == 5 and "first at line 1" in str(again["reason"])
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == 3


def test_households_of_other_regions_are_rejected_unless_asked_for(tmp_path: Path, lines: list[str]) -> None:
    records = [json.loads(line) for line in lines[:4]]
    records[1]["hukou"] = "suining"
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    done = batch(str(source), "--out", str(tmp_path / "x.jsonl"))
    assert done.returncode == 0, done.stderr
    (error,) = errors_of(tmp_path / "x.jsonl.errors.jsonl")
    assert error["line"] == 2 and "registered in 'suining', not in hebi" in str(error["reason"])
    assert "--any-hukou" in str(error["reason"])
    done = batch(str(source), "--out", str(tmp_path / "y.jsonl"), "--any-hukou")
    assert done.returncode == 0 and len((tmp_path / "y.jsonl").read_text().splitlines()) == 4


def test_a_run_answering_no_household_fails(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines[:3]) + "\n")
    done = dibao("batch", "--region", "suining", "--date", "2017-10-01", str(source), "--out",
                 str(tmp_path / "x.jsonl"))
    assert done.returncode == 1 and "no household was answered" in done.stderr
    assert len(errors_of(tmp_path / "x.jsonl.errors.jsonl")) == 3


def test_a_line_of_100_megabytes_is_rejected_in_bounded_memory(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    with source.open("w") as stream:
        stream.write(lines[0] + "\n")
        stream.write('{"id": "' + "x" * (100 << 20) + '"}\n')
        stream.write(lines[1] + "\n")
    script = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "engine.cli", "batch", *ARGS,
                           str(source), "--out", str(tmp_path / "x.jsonl")], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=600)
    peak_mb = int(done.stdout.split()[-1]) / 1024
    (error,) = errors_of(tmp_path / "x.jsonl.errors.jsonl")
    assert error["line"] == 2 and "bytes long" in str(error["reason"])
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == 2
    assert peak_mb < 100 + 150, f"peak {peak_mb:.0f} MB"  # the line alone would be 100 MB


def test_a_malformed_csv_row_is_that_rows_rejection(tmp_path: Path, lines: list[str]) -> None:
    records = [json.loads(line) for line in lines[:6]]
    write_tables(records, tmp_path / "t", "csv")
    households = tmp_path / "t" / "households.csv"
    rows = households.read_text().splitlines()
    rows[3] = rows[3] + ',"one cell too many"'  # the third household
    households.write_text("\n".join(rows) + "\n")
    members = tmp_path / "t" / "members.csv"
    member_rows = members.read_text().splitlines()
    fifth = records[4]["id"]
    index = next(i for i, row in enumerate(member_rows) if row.startswith(f'"{fifth}"'))
    member_rows[index] = member_rows[index].split(",")[0] + ",broken"
    members.write_text("\n".join(member_rows) + "\n")
    done = batch(str(tmp_path / "t"), "--out", str(tmp_path / "x.jsonl"))
    assert done.returncode == 0, done.stderr
    errors = errors_of(tmp_path / "x.jsonl.errors.jsonl")
    assert [(e["line"], e["id"]) for e in errors] == [(3, records[2]["id"]), (5, fifth)]
    cells = len(rows[0].split(","))
    assert f"households row 3 has {cells + 1} cells, not {cells}" in str(errors[0]["reason"])
    assert f"members row {index}" in str(errors[1]["reason"])
    ids = [json.loads(row)["id"] for row in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert ids == [r["id"] for i, r in enumerate(records) if i not in (2, 4)]


def test_csv_output_defuses_formulas(tmp_path: Path, lines: list[str]) -> None:
    records = [json.loads(line) for line in lines[:4]]
    for record, start in zip(records, ("=1+1", "+cmd", "-2", "@SUM(A1)"), strict=True):
        record["id"] = start
    records[0]["members"][0]["id"] = "=HYPERLINK(1)"
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert batch(str(source), "--out", str(tmp_path / "x.csv")).returncode == 0
    cells = [row.split(",")[0] for row in (tmp_path / "x.csv").read_text().splitlines()[1:]]
    assert cells == ['"\'=1+1"', '"\'+cmd"', '"\'-2"', '"\'@SUM(A1)"']
    assert "\"'=HYPERLINK(1)\"" in (tmp_path / "x.members.csv").read_text()


# --- Dask -------------------------------------------------------------------------------------------------


def test_dask_refuses_an_output_folder_over_the_input_and_colliding_parts(tmp_path: Path, lines: list[str]) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "a.jsonl").write_text("\n".join(lines[:3]) + "\n")
    (parts / "b.jsonl").write_text("\n".join(lines[3:6]) + "\n")
    before = {p.name: p.read_bytes() for p in parts.iterdir()}
    for out in (tmp_path / "parts.parquet", parts / "out.parquet", tmp_path / "parts"):
        done = batch(str(parts), "--out", str(out), "--dask", "local")
        assert done.returncode == 2 and "would overwrite the input" in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in parts.iterdir()} == before
    shutil.copy(parts / "a.jsonl", parts / "a.ndjson")
    done = batch(str(parts), "--out", str(tmp_path / "o.parquet"), "--dask", "local")
    assert done.returncode == 2 and "would write the same output part" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()


def test_a_household_whose_evaluation_fails_is_rejected_alone(monkeypatch: pytest.MonkeyPatch,
                                                               lines: list[str]) -> None:
    from datetime import date

    from engine.batch.batch_core import RegionEvaluator
    from engine.household.record import validate_household
    from engine.runtime.library import PolicyLibrary

    evaluator = RegionEvaluator(PolicyLibrary.open(), "hebi", date(2017, 10, 1),
                                {"income.employment_cost_deduction_cap": "100"})
    households = [validate_household(json.loads(line)) for line in lines[:8]]
    broken = households[3].id
    real = evaluator.program.evaluate

    def fragile(household: object, *args: object, **kwargs: object) -> object:
        if getattr(household, "id", None) == broken:
            raise ZeroDivisionError("a failure nothing foresaw")
        return real(household, *args, **kwargs)  # type: ignore[arg-type]

    def failing_run(*args: object, **kwargs: object) -> object:
        raise MemoryError("the columnar program failed")

    monkeypatch.setattr(evaluator.program, "evaluate", fragile)
    monkeypatch.setattr(evaluator.columnar, "run", failing_run)
    answer = evaluator.evaluate(households)
    assert answer.household.num_rows == 7
    (rejected,) = answer.rejected
    assert rejected.id == broken and rejected.line == 4 and "could not be evaluated" in rejected.reason
