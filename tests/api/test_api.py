"""The Python API: what it accepts, that it answers as the command does, and one exception for bad input."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import engine
from engine.batch.run import run_batch
from engine.batch.tables import tables_from_records
from engine.cli import cli
from engine.runtime.library import PolicyLibrary

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
CASELOAD = ROOT / "examples" / "caseload" / "hebi.jsonl"
HEBI_PARAMS = ROOT / "examples" / "params" / "hebi.yaml"
RECORD = json.loads(EXAMPLE.read_text())


def cli_json(*args: str | Path) -> Any:
    done = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def test_a_dict_a_json_path_a_yaml_path_and_a_household_give_the_same_answer(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "h.yaml").write_text(yaml.safe_dump(RECORD, allow_unicode=True), encoding="utf-8")
    validated = engine.validate_household(RECORD)
    answers = [engine.evaluate(h, "hebi", day, policies=POLICIES).to_dict()
               for h, day in ((RECORD, "2017-10-01"), (EXAMPLE, dt.date(2017, 10, 1)),
                              (tmp_path / "h.yaml", "2017-10-01"), (validated, dt.datetime(2017, 10, 1, 9, 30)))]
    assert all(answer == answers[0] for answer in answers)


def test_to_dict_is_the_json_the_command_prints() -> None:
    determination = engine.evaluate(RECORD, "hebi", "2017-10-01", policies=POLICIES)
    printed = cli_json("evaluate", "--region", "hebi", "--date", "2017-10-01", "--policies", POLICIES, EXAMPLE)
    assert determination.to_dict() == printed
    assert determination.version == printed["policy"]["version"] and determination.digest == printed["policy"]["digest"]
    assert determination.outputs["dibao.standard_monthly"] == Decimal("267.5")
    assert determination.members["p1"]["key_recipient"] is True


def test_explain_is_the_tree_the_command_prints() -> None:
    determination = engine.evaluate(RECORD, "hebi", "2017-10-01", policies=POLICIES)
    printed = cli_json("explain", "--region", "hebi", "--date", "2017-10-01", "--policies", POLICIES, "--json",
                       "--output", "dibao.eligible", EXAMPLE)
    assert determination.explain("dibao.eligible") == printed
    assert [n["name"] for n in determination.explain()["explain"]][:2] == list(determination.outputs)[:2]


def test_set_params_and_an_open_library() -> None:
    library = PolicyLibrary.open(POLICIES)
    answer = engine.evaluate(RECORD, "hebi", "2021-06-30", set={"dibao.standard_annual": Decimal("4800")},
                             policies=library)
    assert answer.to_dict()["outputs"]["dibao.standard_monthly"] == "400.00"
    with_params = engine.evaluate(RECORD, "hebi", "2017-10-01", params=[HEBI_PARAMS], policies=library)
    assert with_params.to_dict()["policy"]["tree"]["params"][0].endswith("examples/params/hebi.yaml")
    assert library.local is None  # the open library itself is not changed


@pytest.mark.parametrize(("call", "code", "message"), [
    (lambda: engine.evaluate(RECORD, "hebi", 20171001), "E-DATE", "give a datetime.date or a YYYY-MM-DD string"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-1"), "E-DATE", "'2017-10-1' is not a date written YYYY-MM-DD"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-02-30"), "E-DATE", "is not a date written YYYY-MM-DD"),
    (lambda: engine.evaluate([RECORD], "hebi", "2017-10-01"), "E-HOUSEHOLD", "give a dict, a path"),
    (lambda: engine.evaluate({**RECORD, "members": []}, "hebi", "2017-10-01"), "E-HOUSEHOLD", "members"),
    (lambda: engine.evaluate(RECORD, None, "2017-10-01"), "E-REGION", "give a region id"),
    (lambda: engine.evaluate(RECORD, "hebx", "2017-10-01"), "E-REGION", "unknown region 'hebx'"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", set={"dibao.standard_annual": 4800.5}), "E-SET",
     "never a float"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", set=["x"]), "E-SET", "give a mapping"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", set={"dibao.standard_anual": "1"}), "E-SET",
     "no parameter of that name"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", policies=42), "E-POLICY", "give a policy folder"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", policies="/no/such/tree"), "E-POLICY",
     "no policy folder at /no/such/tree"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", params=[1]), "E-PARAMS", "give a path or a list"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", params="examples/params/dongtai.yaml",
                             policies=POLICIES), "E-PARAMS", "holds values for dongtai, not for hebi"),
    (lambda: engine.evaluate(RECORD, "hebi", "2017-10-01", outputs=["dibao.nothing"], policies=POLICIES), "E-OUTPUT",
     "defines no output"),
])
def test_bad_input_raises_one_exception_type_with_located_diagnostics(call: Any, code: str, message: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(engine.DiagnosticError) as raised:
        call()
    assert raised.value.diagnostics[0].code == code
    assert message in str(raised.value)


def test_a_bad_household_names_its_field() -> None:
    record = json.loads(json.dumps(RECORD))
    record["members"][0]["incomes"][0]["amount"] = "-5"
    with pytest.raises(engine.DiagnosticError) as raised:
        engine.evaluate(record, "hebi", "2017-10-01", policies=POLICIES)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-HOUSEHOLD" and problem.message.startswith("members[0].incomes[0].amount")


# --- tables ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_answer(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, pa.Table]:
    """What ``dibao batch`` writes for Hebi's caseload, with the example local values."""
    out = tmp_path_factory.mktemp("batch") / "hebi.parquet"
    library = PolicyLibrary.open(POLICIES).with_params([HEBI_PARAMS])
    run_batch(library, "hebi", dt.date(2017, 10, 1), CASELOAD, out)
    return pq.read_table(out).replace_schema_metadata(None), pq.read_table(
        out.with_name("hebi.members.parquet")).replace_schema_metadata(None)


def test_a_table_of_records_gives_what_dibao_batch_writes(batch_answer: tuple[pa.Table, pa.Table]) -> None:
    result = engine.evaluate_table(pajson.read_json(CASELOAD), "hebi", "2017-10-01", params=HEBI_PARAMS,
                                   policies=POLICIES)
    households, members = batch_answer
    assert result.outputs.equals(households) and result.members.equals(members)
    assert result.counts == {"rows": 2000, "rejected": 0}
    assert result.policy["digest"] == engine.evaluate(RECORD, "hebi", "2017-10-01", params=HEBI_PARAMS,
                                                      policies=POLICIES).digest


def test_the_caseload_tables_and_dataframes_give_the_same_rows(batch_answer: tuple[pa.Table, pa.Table]) -> None:
    records = [json.loads(line) for line in CASELOAD.read_text().splitlines()]
    tables = tables_from_records(records)
    households, _members = batch_answer
    from_tables = engine.evaluate_table(tables, "hebi", "2017-10-01", params=HEBI_PARAMS, policies=POLICIES)
    assert from_tables.outputs.equals(households)
    frames = engine.evaluate_table({k: v.to_pandas() for k, v in tables.items()}, "hebi", "2017-10-01",
                                   params=HEBI_PARAMS, policies=POLICIES)
    assert isinstance(frames.outputs, pd.DataFrame) and frames.outputs.equals(households.to_pandas())
    one_frame = engine.evaluate_table(pd.DataFrame(records), "hebi", "2017-10-01", params=HEBI_PARAMS,
                                      policies=POLICIES)
    assert one_frame.outputs.equals(households.to_pandas())


def test_rejected_rows_carry_their_messages_and_nothing_is_lost() -> None:
    records = [json.loads(line) for line in CASELOAD.read_text().splitlines()[:100]]
    records[3]["members"][0]["birth_date"] = "1950-02-30"
    result = engine.evaluate_table(pa.Table.from_pylist(records), "hebi", "2017-10-01", policies=POLICIES)
    assert result.counts["rows"] + result.counts["rejected"] == 100
    rejected = result.rejected.to_pylist()
    assert rejected[0] == {"id": records[3]["id"], "row": 4,
                           "reason": f"members[0].birth_date: not a real date: 1950-02-30 (record {records[3]['id']})"}
    others = rejected[1:]  # no --params here: households that read a value left to the county
    assert others and all("must be supplied" in r["reason"] for r in others)
    assert {"income.employment_cost_deduction_cap", "income.rigid_expenditure_share"} == {
        r["reason"].split(" ")[0] for r in others}


@pytest.mark.parametrize(("table", "message"), [
    ({"households": pa.table({"id": ["a"], "hukou": ["hebi"]})}, "missing tables: members"),
    ({"households": pa.table({"id": ["a"], "hukou": ["hebi"]}), "members": pa.table({"id": ["p"]}),
      "people": pa.table({"x": [1]})}, "unknown tables: people"),
    ({"households": pa.table({"id": ["a"], "hukou": ["hebi"], "colour": ["red"]}),
      "members": pa.table({"household_id": ["a"], "id": ["p"], "birth_date": ["1950-01-01"],
                           "labour_capacity": ["none"]})}, "the households table: unknown columns: colour"),
    (pa.table({"id": ["a"]}), "a table of household records has a members column"),
    ([{"id": "a"}], "give a pyarrow Table or a pandas DataFrame"),
])
def test_a_table_in_no_known_layout_is_refused(table: Any, message: str) -> None:
    with pytest.raises(engine.DiagnosticError) as raised:
        engine.evaluate_table(table, "hebi", "2017-10-01", policies=POLICIES)
    assert raised.value.diagnostics[0].code == "E-TABLE" and message in str(raised.value)


def test_evaluate_table_names_the_extra_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(engine.DiagnosticError) as raised:
        engine.evaluate_table({}, "hebi", "2017-10-01")
    assert "engine.evaluate_table needs the optional dependencies of dibao[batch]" in str(raised.value)
