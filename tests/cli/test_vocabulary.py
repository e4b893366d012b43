"""The household vocabulary as data of the policy tree, through the dibao command.

A test tree (the bundled one, copied) whose hebi layer adds the income kind 生态补偿
``ecological_compensation`` and a rule reading it: a household using it is accepted in hebi
and rejected, located, in a region without it, by ``evaluate``, ``batch`` (both validators)
and worked cases; ``dibao check`` reports a broken vocabulary with located messages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.batch.caseload import Rejected, from_records
from engine.batch.column_checks import check
from engine.batch.json_lines import read_block
from engine.household.vocabulary import using
from engine.runtime.library import PolicyLibrary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
DIBAO = [sys.executable, "-m", "engine.cli"]
HEBI_ADDS = """vocabulary:
  income_kinds:
    ecological_compensation:
      name: 生态补偿
      meaning: payments to a household for protecting forests, grassland or water sources
      source: {doc: hebi-2017-14, clause: 三(二)}
"""
ECOLOGICAL_RULE = """
  income.ecological_monthly:
    type: money/month
    label: 生态补偿收入
    expr: sum(sum(i.monthly for i in m.incomes where i.kind == "ecological_compensation") for m in members)
    source: {doc: hebi-2017-14, clause: 三(二)}
"""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vocabulary") / "policies"
    shutil.copytree(ROOT / "policies", root)
    (root / "hebi" / "vocabulary.yaml").write_text(HEBI_ADDS, encoding="utf-8")
    with (root / "hebi" / "rules.yaml").open("a", encoding="utf-8") as rules:
        rules.write(ECOLOGICAL_RULE)
    return root


def ecological(hukou: str = "hebi") -> dict[str, object]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record["hukou"] = hukou
    record["members"][0]["incomes"].append({"kind": "ecological_compensation", "amount": "300", "per": "month"})
    return record


def household_file(tmp_path: Path, hukou: str = "hebi") -> Path:
    path = tmp_path / "household.json"
    path.write_text(json.dumps(ecological(hukou), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_the_tree_with_an_added_kind_checks_clean(tree: Path) -> None:
    done = run("check", "--policies", str(tree))
    assert done.returncode == 0, done.stdout + done.stderr


def test_evaluate_accepts_the_kind_in_the_region_that_adds_it_and_a_rule_reads_it(tree: Path, tmp_path: Path) -> None:
    done = run("evaluate", "--policies", str(tree), "--region", "hebi", "--date", "2017-10-01",
               "--output", "income.ecological_monthly", str(household_file(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"income.ecological_monthly": "300.00"}


def test_evaluate_rejects_the_kind_where_the_region_does_not_add_it(tree: Path, tmp_path: Path) -> None:
    path = household_file(tmp_path, "dongtai")
    done = run("evaluate", "--policies", str(tree), "--region", "dongtai", "--date", "2021-10-01", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if "ecological_compensation" in text)
    assert f"{path}:{line}:" in done.stderr
    assert "members[0].incomes[2].kind: unknown value 'ecological_compensation'" in done.stderr


def test_the_bundled_tree_has_no_such_kind(tmp_path: Path) -> None:
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", str(household_file(tmp_path)))
    assert done.returncode == 2 and "unknown value 'ecological_compensation'" in done.stderr


def test_a_rule_of_a_region_without_the_kind_cannot_name_it(tree: Path, tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(tree, copy)
    rule = ECOLOGICAL_RULE.replace("hebi-2017-14", "dongtai-2020")
    (copy / "dongtai" / "ecological.yaml").write_text("rules:" + rule, encoding="utf-8")
    done = run("check", "--policies", str(copy))
    assert done.returncode == 2
    assert "ecological_compensation" in done.stdout + done.stderr
    assert "dongtai/ecological.yaml:5:" in done.stdout + done.stderr


def _batch(tree: Path, tmp_path: Path, region: str, day: str) -> tuple[list[str], list[dict[str, object]]]:
    source = tmp_path / f"{region}.jsonl"
    source.write_text(json.dumps(ecological(region), ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / f"{region}.out.jsonl"
    done = run("batch", "--policies", str(tree), "--region", region, "--date", day, "--out", str(out), str(source))
    assert "Traceback" not in done.stderr
    answered = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    errors = out.with_name(out.name.removesuffix(".jsonl") + ".errors.jsonl")
    if not errors.exists():
        errors = next(tmp_path.glob(f"{region}*errors*"))
    return answered, [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]


def test_batch_accepts_the_kind_in_the_region_that_adds_it(tree: Path, tmp_path: Path) -> None:
    answered, rejected = _batch(tree, tmp_path, "hebi", "2017-10-01")
    assert answered == ["HB-0001"] and rejected == []


def test_batch_rejects_the_kind_where_the_region_does_not_add_it(tree: Path, tmp_path: Path) -> None:
    answered, rejected = _batch(tree, tmp_path, "dongtai", "2021-10-01")
    assert answered == [] and len(rejected) == 1
    assert "members[0].incomes[2].kind: unknown value 'ecological_compensation'" in json.dumps(rejected[0],
                                                                                             ensure_ascii=False)


@pytest.mark.parametrize(("region", "valid"), [("hebi", True), ("dongtai", False)])
def test_both_batch_validators_take_the_regions_kinds(tree: Path, region: str, valid: bool) -> None:
    library = PolicyLibrary.open(tree)
    line = json.dumps(ecological(region), ensure_ascii=False).encode()
    with using(library.vocabulary_of(region)):
        early: list[Rejected] = []
        caseload = read_block([(1, line)], "<test>", early)
        assert caseload.known is None and not early  # read as tables: judged by the column checks
        assert bool(check(caseload).bad[0]) == (not valid)
        one_by_one: list[Rejected] = []
        from_records([(1, ecological(region))], "<test>", one_by_one)
        assert (one_by_one == []) == valid
        if not valid:
            assert "unknown value 'ecological_compensation'" in one_by_one[0].reason


def test_the_region_and_the_tree_vocabularies(tree: Path) -> None:
    library = PolicyLibrary.open(tree)
    assert "ecological_compensation" in library.vocabulary_of("hebi").income_kinds
    assert "ecological_compensation" not in library.vocabulary_of("dongtai").income_kinds
    assert "ecological_compensation" in library.vocabulary.income_kinds
    assert library.vocabulary_of("hebi").name("income_kinds", "ecological_compensation") == "生态补偿"
    assert library.vocabulary_of("hebi").income_kinds[-1] == "ecological_compensation"  # common codes keep order


def test_a_worked_case_uses_the_regions_kinds(tree: Path) -> None:
    case = {"name": "生态补偿 counts in hebi's test tree", "checks": ["H5"], "clause": "三(二)", "date": "2017-10-01",
            "household": ecological(), "expect": {"income.ecological_monthly": "300.00"}}
    path = tree / "hebi" / "tests" / "ecological.yaml"
    path.write_text(json.dumps({"cases": [case]}, ensure_ascii=False), encoding="utf-8")
    try:
        done = run("test", "--policies", str(tree), "--region", "hebi")
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        path.unlink()


BROKEN = [
    ("income_kinds:\n    wages:\n      name: 工资\n      meaning: pay\n", "already declared by the common layer"),
    ("income_kinds:\n    forest_pay:\n      meaning: pay for forests\n", "has no Chinese name"),
    ("income_kinds:\n    forest_pay:\n      name: 护林\n      meaning: pay\n      colour: green\n", "colour"),
    ("income_kinds:\n    wages: null\n", "cannot redefine or remove"),
    ("event_kinds:\n    shock:\n      name: 冲击\n      meaning: a shock\n", "already declared by the common layer"),
    ("income_kinds:\n    ForestPay:\n      name: 护林\n      meaning: pay for forests\n", "snake_case"),
]


@pytest.mark.parametrize(("block", "message"), BROKEN)
def test_check_reports_a_broken_vocabulary_where_it_is_written(tmp_path: Path, block: str, message: str) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    (copy / "hebi" / "vocabulary.yaml").write_text("vocabulary:\n  " + block, encoding="utf-8")
    done = run("check", "--policies", str(copy))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert message in done.stdout + done.stderr
    assert "hebi/vocabulary.yaml:3:" in done.stdout + done.stderr or "hebi/vocabulary.yaml:" in done.stdout + \
        done.stderr


def test_check_reports_a_code_two_regions_name_differently(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    (copy / "hebi" / "vocabulary.yaml").write_text(HEBI_ADDS, encoding="utf-8")
    (copy / "dongtai" / "vocabulary.yaml").write_text(HEBI_ADDS.replace("生态补偿", "生态效益补偿").replace(
        "hebi-2017-14", "dongtai-2020"), encoding="utf-8")
    done = run("check", "--policies", str(copy))
    assert done.returncode == 2
    assert "also added by the" in done.stdout + done.stderr


def test_check_reports_a_common_code_missing_or_twice(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    common = copy / "common" / "vocabulary.yaml"
    text = common.read_text(encoding="utf-8")
    common.write_text(text.replace("    land_compensation:\n      name: 征地补偿", "    land_compensatio:\n"
                                   "      name: 征地补偿"), encoding="utf-8")
    (copy / "common" / "more.yaml").write_text("vocabulary:\n  expense_kinds:\n    medical:\n      name: 医疗\n"
                                                "      meaning: medical costs\n", encoding="utf-8")
    done = run("check", "--policies", str(copy))
    words = done.stdout + done.stderr
    assert done.returncode == 2
    assert "no income kind 'land_compensation'" in words
    assert "expense kind 'medical' is declared twice in this layer" in words
    assert "common/more.yaml:" in words



def test_explain_in_chinese_names_each_income_kind_by_its_chinese_name(tree: Path, tmp_path: Path) -> None:
    done = run("--lang", "zh", "explain", "--policies", str(tree), "--region", "hebi", "--date", "2017-10-01",
               str(household_file(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "工资性收入 (wages)" in done.stdout and "生态补偿 (ecological_compensation)" in done.stdout
    english = run("explain", "--policies", str(tree), "--region", "hebi", "--date", "2017-10-01",
                  str(household_file(tmp_path)))
    assert "工资性收入" not in english.stdout and "ecological_compensation" in english.stdout
