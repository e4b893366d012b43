"""The dibao command through its real entry point: arguments, exit codes, output shape."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.tools.worked_cases import load_cases

ROOT = Path(__file__).resolve().parents[2]
HEBI_CASES = str(sum(len(load_cases("hebi", path)) for path in sorted((ROOT / "policies/hebi/tests").glob("*.yaml"))))
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
DIBAO = [sys.executable, "-m", "engine.cli"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=ROOT, input=stdin, check=False)


def test_evaluate_prints_the_contract_json() -> None:
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"region", "date", "policy", "household", "outputs", "members"}
    assert answer["region"] == "hebi" and answer["date"] == "2017-10-01" and answer["household"] == "HB-0001"
    assert answer["policy"]["digest"].startswith("sha256:")
    assert answer["outputs"]["dibao.standard_annual"] == "3210.00"
    assert answer["outputs"]["dibao.standard_monthly"] == "267.50"
    assert isinstance(answer["outputs"]["dibao.eligible"], bool)
    assert answer["members"]["p1"]["key_recipient"] is True


def test_evaluate_reads_standard_input() -> None:
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", "-", stdin=EXAMPLE.read_text())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["household"] == "HB-0001"


def test_set_overrides_a_parameter_for_the_run() -> None:
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", "--set", "dibao.standard_annual=24000",
               "--output", "dibao.standard_monthly", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"dibao.standard_monthly": "2000.00"}


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "hebi", "--date", "2017-13-01"], "is not a date"),
    (["--region", "hebx", "--date", "2017-10-01"], "did you mean 'hebi'"),
    (["--region", "hebi", "--date", "2017-10-01", "--set", "dibao.standard_anual=1"], "did you mean"),
    (["--region", "hebi", "--date", "2017-10-01", "--set", "dibao.standard_annual=abc"], "unknown name"),
    (["--region", "hebi", "--date", "2017-10-01", "--set", "novalue"], "NAME=VALUE"),
    (["--region", "hebi", "--date", "1999-01-01"], "hebi answers from 2017-05-17"),
    (["--region", "hebi", "--date", "2030-01-01"], "outside its span"),
    (["--date", "2017-10-01"], "--region"),
])
def test_bad_arguments_exit_2_with_one_line_per_problem(args: list[str], message: str) -> None:
    done = run("evaluate", *args, str(EXAMPLE))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_bad_household_names_the_field_path(tmp_path: Path) -> None:
    record = json.loads(EXAMPLE.read_text())
    record["members"][0]["incomes"][0]["amount"] = "-5"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record))
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", str(path))
    assert done.returncode == 2
    assert "members[0].incomes[0].amount" in done.stderr and str(path) in done.stderr


def test_a_missing_file_is_a_clear_error() -> None:
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", "no-such-file.json")
    assert done.returncode == 2 and "no-such-file.json" in done.stderr and "Traceback" not in done.stderr


def test_check_is_clean_on_the_project_policies() -> None:
    done = run("check")
    assert done.returncode == 0, done.stderr
    assert "0 problems" in done.stderr


def test_check_reports_a_located_error_with_a_caret(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    policy = copy / "hebi" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("per_month(", "per_mnth(", 1)
                      if "per_month(" in policy.read_text(encoding="utf-8")
                      else policy.read_text(encoding="utf-8") + "\nrules_typo: 1\n", encoding="utf-8")
    done = run("check", str(copy))
    assert done.returncode == 2
    assert "policies/hebi/policy.yaml:" in done.stderr
    assert "^" in done.stderr


def test_every_command_takes_policies(tmp_path: Path) -> None:
    done = run("regions", "--policies", str(tmp_path / "none"), "--json")
    assert done.returncode == 2 and "no policy folder" in done.stderr and not done.stdout
    done = run("check", "--policies", str(tmp_path / "none"))
    assert done.returncode == 2 and "no policy folder" in done.stderr


def test_schema_is_valid_json_schema() -> None:
    import jsonschema

    done = run("schema")
    assert done.returncode == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(done.stdout))
    assert done.stdout == (ROOT / "schema" / "policy.schema.json").read_text(encoding="utf-8")


def test_regions_lists_versions_digests_outputs_and_parameters_to_supply() -> None:
    done = run("regions", "--json")
    assert done.returncode == 0, done.stderr
    regions = {r["region"]: r for r in json.loads(done.stdout)}
    assert {"hebi", "yangjiang", "inner_mongolia", "dongtai", "suining"} <= set(regions)
    assert all(r["digest"].startswith("sha256:") for r in regions.values())
    assert "dibao.standard_annual" in regions["dongtai"]["must_supply"]
    assert "dibao.benefit_monthly" in regions["hebi"]["outputs"]


def test_explain_json_ties_each_node_to_its_clause() -> None:
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", "--output", "dibao.benefit_monthly", "--json",
               str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    tree = json.loads(done.stdout)
    assert tree["policy"]["digest"].startswith("sha256:")
    (benefit,) = tree["explain"]
    assert benefit["name"] == "dibao.benefit_monthly" and benefit["source"]["doc"]

    def names(node: dict[str, object]) -> set[str]:
        found = {str(node["name"])}
        for child in node.get("children", []):  # type: ignore[attr-defined]
            found |= names(child)
        return found

    assert {"dibao.standard_annual", "income.countable_monthly", "household.size"} <= names(benefit)


def test_explain_draws_a_tree_in_the_terminal() -> None:
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "dibao.benefit_monthly" in done.stdout and "└──" in done.stdout


def test_explain_shows_a_duration_parameter_and_an_output_not_available(tmp_path: Path) -> None:
    household = {"id": "DT-X", "hukou": "dongtai", "members": [
        {"id": "p1", "birth_date": "1966-06-06", "labour_capacity": "full"}],
        "events": [{"kind": "monitoring_application", "date": "2021-09-24"}]}
    path = tmp_path / "dt.json"
    path.write_text(json.dumps(household))
    done = run("explain", "--region", "dongtai", "--date", "2021-10-01", "--set", "dibao.standard_annual=9000",
               "--json", str(path))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert '"20 working days"' in text
    values = {node["name"]: node["value"] for node in json.loads(text)["explain"]}
    assert values["monitoring.verification_due_on"] == "2021-10-27"
    assert values["monitoring.measures_from"] is None


def test_compare_has_a_column_per_region() -> None:
    done = run("compare", "--date", "2021-06-15", "--json", "--set", "dibao.standard_annual=6000", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)
    assert {"hebi", "yangjiang", "inner_mongolia", "dongtai", "suining"} <= set(comparison["regions"])
    assert "dibao.eligible" in comparison["rows"]


def test_test_command_runs_worked_cases_and_reports_coverage() -> None:
    done = run("test", "--region", "hebi")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[2].split() == ["hebi", HEBI_CASES, HEBI_CASES, "8", "8"]
    assert done.stdout.endswith(f"{HEBI_CASES} passed, 0 failed\n")


def test_diff_of_two_dates_reports_the_changed_standard_and_what_it_reaches() -> None:
    done = run("diff", "hebi@2017-06-30", "hebi@2017-07-01", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (standard,) = [c for c in report["changes"] if c["name"] == "dibao.standard_annual"]
    assert standard["change"] == "changed" and standard["old"] == "3000.00" and standard["new"] == "3210.00"
    assert {"dibao.eligible", "dibao.benefit_monthly"} <= set(standard["reaches"])
    assert report["old_digest"] != report["new_digest"]


def test_diff_with_households_counts_the_impact(tmp_path: Path) -> None:
    lines = [json.loads(line) for name in ("hebi", "suining")
             for line in (ROOT / "examples" / "caseload" / f"{name}.jsonl").read_text().splitlines()[:200]]
    path = tmp_path / "some.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    # the 2018 rise (outside the 2017 review window, where recipients found ineligible keep their payment)
    done = run("diff", "hebi@2017-12-31", "hebi@2018-01-01", "--households", str(path), "--json",
               "--set", "income.employment_cost_deduction_cap=0", "--set", "income.rigid_expenditure_share=50%")
    assert done.returncode == 0, done.stderr
    impact = json.loads(done.stdout)["impact"]
    hebi = [r for r in lines if r["hukou"] == "hebi"]
    assert impact["records"] == {"read": 400, "rejected": 0, "other_hukou": 400 - len(hebi)}
    assert impact["households"] == len(hebi) and not impact["failed"]
    assert sum(impact["benefit_change_buckets"].values()) == len(hebi)
    # a higher standard never lowers a benefit, and at least one household gains
    assert not any(k.startswith("-") or k.startswith("below") for k in impact["benefit_change_buckets"])
    assert "eligibility lost" not in impact["transitions"]
    assert impact["monthly_cost"]["new"] >= impact["monthly_cost"]["old"]


def test_diff_of_folders_sees_a_raised_standard(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    done = run("diff", str(ROOT / "policies"), str(copy), "--region", "hebi", "--date", "2017-10-01", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changes"] == []


def test_diff_reads_git_revisions() -> None:
    done = run("diff", "--rev", "HEAD", "--rev", "HEAD", "hebi@2017-10-01", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changes"] == []
    done = run("diff", "--rev", "HEAD", "--rev", "HEAD", "--region", "hebi", "--date", "2017-10-01", "--json")
    assert done.returncode == 0, done.stderr
    done = run("diff", "--rev", "no-such-revision", "hebi@2017-10-01")
    assert done.returncode == 2 and "no-such-revision" in done.stderr
