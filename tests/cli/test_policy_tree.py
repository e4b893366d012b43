"""Which policy tree a command uses (and says it used), and local parameter values (--params)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from engine.base.resources import bundled_policies
from engine.cli import cli
from engine.policy.policy_files import display_name
from engine.policy.schema import schema_json
from engine.runtime.library import BUNDLED, FOUND, GIVEN, PolicyLibrary, choose_tree, tree_digest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
HEBI_PARAMS = ROOT / "examples" / "params" / "hebi.yaml"
EMPLOYED = json.loads((ROOT / "examples" / "caseload" / "hebi.jsonl").read_text().splitlines()[65])  # HB-000326


def dibao(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A copy of the common layer and Hebi in ``tmp/work/policies``."""
    for layer in ("common", "hebi"):
        shutil.copytree(ROOT / "policies" / layer, tmp_path / "work" / "policies" / layer)
    return tmp_path / "work" / "policies"


# --- discovery ------------------------------------------------------------------------------------


def test_discovery_order_given_then_environment_then_nearest_then_bundled(tree_copy: Path, tmp_path: Path) -> None:
    nested = tree_copy.parent / "a" / "b"
    nested.mkdir(parents=True)
    assert choose_tree("elsewhere", start=nested, environ={"DIBAO_POLICIES": "env"}).found_by == GIVEN
    from_env = choose_tree(start=nested, environ={"DIBAO_POLICIES": str(tmp_path / "env")})
    assert (from_env.path, from_env.found_by) == (tmp_path / "env", "DIBAO_POLICIES")
    found = choose_tree(start=nested, environ={})
    assert (found.path, found.found_by) == (tree_copy, FOUND)
    (nested / "policies" / "notes").mkdir(parents=True)  # a policies/ folder without a layer holds no tree
    (nested / "policies" / "notes" / "todo.yaml").write_text("items: [raise the standard]\n")
    assert choose_tree(start=nested, environ={}).path == tree_copy
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert choose_tree(start=lonely, environ={}) == choose_tree(start=Path("/"), environ={})
    assert choose_tree(start=Path("/"), environ={}).found_by == BUNDLED
    assert choose_tree(start=Path("/"), environ={}).path == bundled_policies()


def test_an_edited_copy_is_used_and_every_output_says_so(tree_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tree_copy / "hebi" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("value: 3210 yuan/year", "value: 3300 yuan/year"),
                      encoding="utf-8")
    monkeypatch.delenv("DIBAO_POLICIES", raising=False)
    monkeypatch.chdir(tree_copy.parent)
    done = dibao("evaluate", "--region", "hebi", "--date", "2017-10-01", EXAMPLE)
    assert done.exit_code == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"region", "date", "policy", "household", "outputs", "members"}
    assert answer["outputs"]["dibao.standard_annual"] == "3300.00"
    assert answer["policy"]["tree"] == {"path": str(tree_copy.resolve()), "found_by": "found",
                                        "digest": tree_digest(tree_copy)}
    assert tree_digest(tree_copy) != tree_digest(ROOT / "policies")
    explained = json.loads(dibao("explain", "--region", "hebi", "--date", "2017-10-01", "--json", EXAMPLE).stdout)
    assert explained["policy"]["tree"]["path"] == str(tree_copy.resolve())
    compared = json.loads(dibao("compare", "--date", "2017-10-01", "--json", EXAMPLE).stdout)
    assert compared["policy"]["tree"]["path"] == str(tree_copy.resolve())
    assert compared["policy"]["regions"]["hebi"]["digest"] == answer["policy"]["digest"]
    diff = json.loads(dibao("diff", "hebi@2017-06-30", "hebi@2017-07-01", "--json").stdout)
    assert diff["trees"]["new"]["path"] == str(tree_copy.resolve())
    check = dibao("check")
    assert "policy tree policies (found from the working folder" in check.stderr
    assert check.stderr.rstrip().endswith("2 layers, 1 regions checked: 0 problems")


def test_the_environment_variable_names_the_tree(tree_copy: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = dibao("check", env={"DIBAO_POLICIES": str(tree_copy)})
    assert done.exit_code == 0 and "policy tree work/policies (from $DIBAO_POLICIES" in done.stderr
    missing = dibao("regions", env={"DIBAO_POLICIES": str(tmp_path / "nowhere")})
    assert missing.exit_code == 2 and "no policy folder at" in missing.stderr  # never a silent fallback


def test_batch_metadata_carries_the_tree(tmp_path: Path) -> None:
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(json.loads(EXAMPLE.read_text())) + "\n")
    done = dibao("batch", "--region", "hebi", "--date", "2017-10-01", "--policies", ROOT / "policies", source,
                 "--out", tmp_path / "out.parquet")
    assert done.exit_code == 0, done.stderr
    assert f"policy tree {display_name(ROOT / 'policies')} (given" in done.stderr
    metadata = pq.read_schema(tmp_path / "out.parquet").metadata
    tree = json.loads(metadata[b"dibao.tree"])
    assert tree == {"path": str(ROOT / "policies"), "found_by": "given", "digest": tree_digest(ROOT / "policies")}
    assert metadata[b"dibao.digest"].startswith(b"sha256:")


def test_version_prints_the_package_version_and_the_bundled_tree_digest() -> None:
    done = dibao("--version")
    assert done.exit_code == 0
    version, tree = done.stdout.splitlines()
    assert version.startswith("dibao ")
    assert tree == f"bundled policy tree {tree_digest(bundled_policies())} ({bundled_policies()})"


# --- local parameter values ---------------------------------------------------------------------


def write_params(folder: Path, body: str, region: str = "hebi") -> Path:
    path = folder / "local.yaml"
    path.write_text(f"local:\n  region: {region}\nsources:\n  county-2017:\n    title: 县民政局通知\n"
                    f"parameters:\n{body}", encoding="utf-8")
    return path


CAP = """  income.employment_cost_deduction_cap:
    values:
      - from: {start}
        to: {end}
        value: {value}
        source: {{doc: county-2017, clause: 二}}
"""


def evaluate(household: Path, *options: str | Path) -> Result:
    return dibao("evaluate", "--region", "hebi", "--date", "2017-10-01", "--policies", ROOT / "policies",
                 "--output", "income.employment_cost_deduction", *options, household)


def test_params_supply_a_value_the_policy_leaves_open_and_set_wins(tmp_path: Path) -> None:
    household = tmp_path / "employed.json"
    household.write_text(json.dumps(EMPLOYED))
    without = evaluate(household)
    assert without.exit_code == 2
    assert "supply it with --set income.employment_cost_deduction_cap=VALUE or in a --params file" in without.stderr
    supplied = evaluate(household, "--params", HEBI_PARAMS)
    assert supplied.exit_code == 0, supplied.stderr
    answer = json.loads(supplied.stdout)
    assert answer["outputs"] == {"income.employment_cost_deduction": "80.00"}
    (named,) = answer["policy"]["tree"]["params"]
    assert named.endswith("examples/params/hebi.yaml")
    overridden = evaluate(household, "--params", HEBI_PARAMS, "--set", "income.employment_cost_deduction_cap=50")
    assert json.loads(overridden.stdout)["outputs"] == {"income.employment_cost_deduction": "50.00"}
    later = write_params(tmp_path, CAP.format(start="2016-01-01", end="2017-12-31", value="60 yuan/month"))
    twice = evaluate(household, "--params", HEBI_PARAMS, "--params", later)
    assert json.loads(twice.stdout)["outputs"] == {"income.employment_cost_deduction": "60.00"}  # later file wins


def test_a_local_value_counts_only_on_its_dates(tmp_path: Path) -> None:
    household = tmp_path / "employed.json"
    household.write_text(json.dumps(EMPLOYED))
    params = write_params(tmp_path, CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month"))
    done = evaluate(household, "--params", params)
    assert done.exit_code == 2 and "must be supplied for hebi on 2017-10-01" in done.stderr


def test_a_local_value_takes_the_place_of_the_policy_value_and_explain_cites_it(tmp_path: Path) -> None:
    params = write_params(tmp_path, """  dibao.standard_annual:
    values:
      - from: 2017-07-01
        to: 2017-12-31
        value: 3300 yuan/year
        source: {doc: county-2017, clause: 二}
""")
    base = ["--region", "hebi", "--date", "2017-10-01", "--policies", ROOT / "policies", "--params", params]
    answer = json.loads(dibao("evaluate", *base, EXAMPLE).stdout)
    assert answer["outputs"]["dibao.standard_annual"] == "3300.00"
    explained = json.loads(dibao("explain", *base, "--output", "dibao.standard_annual", "--json", EXAMPLE).stdout)
    (node,) = explained["explain"]
    assert node["source"]["params"].endswith("local.yaml:9:9")
    assert node["source"]["doc"] == "county-2017" and node["effective"] == "2017-07-01 – 2017-12-31"
    before = json.loads(dibao("evaluate", *base[:-2], EXAMPLE).stdout)
    assert before["policy"]["digest"] != answer["policy"]["digest"]  # the digest shows the local value


@pytest.mark.parametrize(("body", "code", "message", "line"), [
    (CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/year"), "E-PERIOD", "money/month", 11),
    (CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month").replace("county-2017, clause",
                                                                                     "county-2016, clause"),
     "E-CITATION", "cites 'county-2016', which is not declared under sources", 12),
    (CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month").replace("employment_cost_deduction_cap",
                                                                                     "employment_cost_deduction_cop"),
     "E-PARAMS", "hebi has no parameter of that name (did you mean 'income.employment_cost_deduction_cap'?)", 7),
    (CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month")
     + "      - {from: 2016-06-01, value: 90 yuan/month, source: {doc: county-2017, clause: 二}}\n",
     "E-OVERLAP", "this value from 2016-06-01 overlaps the one from 2016-01-01", 13),
    (CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month").replace("    values:", "    type: int\n"
                                                                                     "    values:"),
     "E-SCHEMA", "unknown key 'type'", 8),
    (CAP.format(start="2016-02-30", end="2016-12-31", value="80 yuan/month"), "E-DATE", "2016-02-30 is not a real date",
     9),
])
def test_a_bad_local_file_is_a_located_error(tmp_path: Path, body: str, code: str, message: str, line: int) -> None:
    params = write_params(tmp_path, body)
    for done in (evaluate(EXAMPLE, "--params", params), dibao("check", "--params", params)):
        assert done.exit_code == 2
        problem = next(ln for ln in done.stderr.splitlines() if f"[{code}]" in ln)
        assert message in problem, done.stderr
        assert f"local.yaml:{line}:" in problem, done.stderr


def test_a_file_for_another_region_or_no_region_is_refused(tmp_path: Path) -> None:
    dongtai = evaluate(EXAMPLE, "--params", ROOT / "examples" / "params" / "dongtai.yaml")
    assert dongtai.exit_code == 2 and "dongtai.yaml holds values for dongtai, not for hebi" in dongtai.stderr
    params = write_params(tmp_path, CAP.format(start="2016-01-01", end="2016-12-31", value="80 yuan/month"),
                          region="hebei")
    done = evaluate(EXAMPLE, "--params", params)
    assert done.exit_code == 2
    assert "local.yaml:2:11: error[E-PARAMS]: local.region: 'hebei' is not a region" in done.stderr
    assert "did you mean 'hebi'" in done.stderr
    (tmp_path / "empty.yaml").write_text("parameters: {}\n")
    done = evaluate(EXAMPLE, "--params", tmp_path / "empty.yaml")
    assert done.exit_code == 2 and "missing key 'local'" in done.stderr
    done = evaluate(EXAMPLE, "--params", tmp_path / "nowhere.yaml")
    assert done.exit_code == 2 and "nowhere.yaml" in done.stderr and "Traceback" not in done.stderr


def test_every_example_params_file_checks_clean() -> None:
    files = sorted((ROOT / "examples" / "params").glob("*.yaml"))
    assert {f.stem for f in files} == {r.split("/")[0] for r in PolicyLibrary.open(ROOT / "policies").regions}
    done = dibao("check", "--policies", ROOT / "policies", *[a for f in files for a in ("--params", f)])
    assert done.exit_code == 0, done.stderr
    assert f"and {len(files)} local parameter files checked: 0 problems" in done.stderr


@pytest.mark.parametrize("command", ["evaluate", "check", "regions", "explain", "test", "compare", "diff", "batch",
                                     "consistency"])
def test_every_command_takes_policies_and_params(command: str) -> None:
    done = dibao(command, "--help")
    assert "--policies DIR" in done.stdout and "--params FILE" in done.stdout


def test_the_params_schema_is_exported() -> None:
    exported = (ROOT / "schema" / "params.schema.json").read_text(encoding="utf-8")
    assert exported == schema_json("params") == dibao("schema", "--of", "params").stdout
    assert json.loads(exported)["$id"].endswith("/params.schema.json")


# --- optional extras ---------------------------------------------------------------------------------


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    done = dibao("batch", "--region", "hebi", "--date", "2017-10-01", EXAMPLE, "--out", tmp_path / "x.jsonl")
    assert done.exit_code == 2
    assert "dibao batch needs the optional dependencies of dibao[batch] (pyarrow not installed): " \
           "pip install 'dibao[batch]'" in done.stderr
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    done = dibao("consistency", "--region", "hebi")
    assert done.exit_code == 2 and "pip install 'dibao[consistency]'" in done.stderr
