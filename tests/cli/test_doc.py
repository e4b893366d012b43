"""``dibao doc``: a region's rules as a document, and the README tables it generates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIBAO = [sys.executable, "-m", "engine.cli"]
READMES = sorted(p.parent.name for p in (ROOT / "policies").glob("*/README.md")
                 if "<!-- dibao doc:" in p.read_text(encoding="utf-8"))


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


def test_the_document_shows_label_clause_words_expression_reading_and_history() -> None:
    done = run("doc", "hebi")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    section = text[text.index("### `dibao.eligible`"): text.index("### `dibao.exit`")]
    assert "家庭人均收入低于农村低保标准" in section
    assert ("- source: hebi-2017-14 三(二) (H2) (鹤壁市农村最低生活保障制度与扶贫开发政策有效衔接实施方案 "
            "鹤政办〔2017〕14号)") in section
    assert "> 「对符合农村低保条件的建档立卡贫困户" in section
    assert "  income.per_capita_monthly < dibao.standard_monthly" in section
    assert "Reading: The income test is the same" in section
    parameters = text[text.index("## Parameters"):]
    assert "| 2017-07-01 | 2017-12-31 | 3210 yuan/year | hebi-2017-14 三(一) (H3) | medium |" in parameters
    assert "must be supplied: no source gives Hebi's rural dibao standard for 2021" in parameters


def test_the_document_as_html_and_json() -> None:
    page = run("doc", "hebi", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and '<h3 id="dibao.eligible">' in page
    assert "income.per_capita_monthly &lt; dibao.standard_monthly" in page
    data = json.loads(run("doc", "hebi", "--format", "json").stdout)
    entries = {e["name"]: e for e in data["entries"]}
    assert entries["dibao.standard_annual"]["kind"] == "parameter"
    assert entries["dibao.standard_annual"]["history"][2]["value"] == "3210 yuan/year"
    assert entries["dibao.exit"]["variants"][0]["citation"]["text"] == "hebi-2017-14 三(三) (H7)"


@pytest.mark.parametrize("region", READMES)
def test_the_readme_tables_are_what_the_policy_says(region: str) -> None:
    done = run("doc", region, "--readme", "check")
    assert done.returncode == 0, done.stderr + f"\nrun: dibao doc {region} --readme write"


def test_a_changed_policy_makes_the_readme_stale_until_it_is_regenerated(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    policy = tmp_path / "policies" / "hebi" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("value: 3860 yuan/year", "value: 3900 yuan/year"),
                      encoding="utf-8")
    readme = tmp_path / "policies" / "hebi" / "README.md"
    before = readme.read_text(encoding="utf-8")
    done = run("doc", "hebi", "--policies", "policies", "--readme", "check", cwd=tmp_path)
    assert done.returncode == 1 and "out of date" in done.stderr
    assert run("doc", "hebi", "--policies", "policies", "--readme", "write", cwd=tmp_path).returncode == 0
    after = readme.read_text(encoding="utf-8")
    assert "| 2019-01-01 | 2019-12-31 | 3900 yuan/year |" in after
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and "3860" in changed[0][0]
    assert run("doc", "hebi", "--policies", "policies", "--readme", "check", cwd=tmp_path).returncode == 0


def test_the_rules_block_lists_each_catalogue_id_with_its_clauses() -> None:
    text = (ROOT / "policies" / "hebi" / "README.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- dibao doc: rules -->"): text.index("<!-- /dibao doc: rules -->")]
    (review,) = [line for line in block.splitlines() if line.startswith("| H4 | hebi-2017-14 三(二) 第二阶段 |")]
    assert "`dibao.review_2017_cancels_from_july`" in review
    assert "**`dibao.exit`** 退出低保 (output)" in block
