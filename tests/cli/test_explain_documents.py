"""``dibao explain``: several outputs at once, each income counted or excluded with the rule and clause
that decided it, and the whole explanation as a Markdown or HTML document for a case file."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
DIBAO = [sys.executable, "-m", "engine.cli"]
HOUSEHOLD = {"id": "X-1", "hukou": "inner_mongolia", "members": [{
    "id": "p1", "birth_date": "1950-03-01", "labour_capacity": "none",
    "incomes": [{"kind": "wages", "amount": "300", "per": "month"},
                {"kind": "basic_pension_base", "amount": "103", "per": "month"},
                {"kind": "survivor_compensation", "amount": "1200", "per": "year"}]}]}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_several_outputs_are_explained_together() -> None:
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", "--output", "dibao.eligible", "--output",
               "dibao.exit", "--json", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert [node["name"] for node in json.loads(done.stdout)["explain"]] == ["dibao.eligible", "dibao.exit"]


def test_each_income_is_counted_or_excluded_by_a_named_rule_and_clause() -> None:
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", "--json", str(EXAMPLE))
    wages, pension = json.loads(done.stdout)["incomes"]
    assert (wages["kind"], wages["counted"], wages["rule"]) == ("wages", True, "income.member_counted_monthly")
    assert wages["rule_source"] == "mca-2021-57 不计入家庭收入的收入"
    assert (pension["kind"], pension["counted"]) == ("basic_pension_base", False)
    (decider,) = pension["parameters"]
    assert decider == {"name": "income.pension_base_excluded",
                       "label": "中央确定的城乡居民基本养老保险基础养老金暂不计入家庭收入", "value": "true",
                       "source": "gov-2016-70 二(二) 加强对象衔接 (“十三五”期间…基础养老金暂不计入家庭收入)",
                       "in_force": "2016-01-01 – 2020-12-31"}
    done = run("explain", "--region", "hebi", "--date", "2021-06-30", "--set", "dibao.standard_annual=4800", "--json",
               str(EXAMPLE))
    assert [i["counted"] for i in json.loads(done.stdout)["incomes"]] == [True, False]  # the 14th FYP continues it


def test_an_income_excluded_by_a_list_names_the_list(tmp_path: Path) -> None:
    path = tmp_path / "household.json"
    path.write_text(json.dumps(HOUSEHOLD))
    done = run("explain", "--region", "inner_mongolia/hinggan", "--date", "2024-06-01", "--json", str(path))
    assert done.returncode == 0, done.stderr
    found = {i["kind"]: i for i in json.loads(done.stdout)["incomes"]}
    assert found["wages"]["counted"] is True
    assert found["basic_pension_base"]["counted"] is False
    assert [p["name"] for p in found["basic_pension_base"]["parameters"]] == ["income.pension_base_excluded"]
    assert found["survivor_compensation"]["decided_by"] == "i.kind not in income.national_excluded_kinds"
    text = run("explain", "--region", "inner_mongolia/hinggan", "--date", "2024-06-01", "--output",
               "dibao.eligible", str(path)).stdout
    row = next(line for line in text.splitlines() if line.startswith("p1") and "survivor_compensation" in line)
    assert "excluded" in row and "100.00" in row


def test_markdown_for_a_case_file() -> None:
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", "--output", "dibao.standard_annual",
               "--format", "markdown", "--quotes", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "# HB-0001 · hebi on 2017-10-01"
    assert "## Incomes" in lines and "## Outputs" in lines
    assert any(line.startswith("| p1 | basic_pension_base | 103/month | 103.00 | excluded |") for line in lines)
    assert ("- `dibao.standard_annual` = **3210.00** 农村低保标准 (hebi-2017-14 三(一), H3), in force 2017-07-01 – "
            "2017-12-31") in lines
    assert "  - 「2017年我市农村低保标准拟由每人每年3000元提高至3210元」" in lines


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_for_a_case_file_is_a_whole_escaped_page(tmp_path: Path) -> None:
    record = json.loads(EXAMPLE.read_text())
    record["id"] = "HB-<b>1</b>"
    path = tmp_path / "household.json"
    path.write_text(json.dumps(record))
    done = run("explain", "--region", "hebi", "--date", "2017-10-01", "--format", "html", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>") and done.stdout.rstrip().endswith("</html>")
    assert "<b>" not in done.stdout and "HB-&lt;b&gt;1&lt;/b&gt;" in done.stdout
    page = _Collect()
    page.feed(done.stdout)
    text = "".join(page.text)
    assert "dibao.benefit_monthly" in text and "basic_pension_base" in text and "excluded" in text
    assert page.tags.count("table") == 1 and "h1" in page.tags


def test_a_member_rule_in_the_tree_keeps_its_member_apart_and_shows_it_in_brackets() -> None:
    from datetime import date

    from engine.household.record import validate_household
    from engine.runtime.library import PolicyLibrary
    from engine.tools.explain import explain

    household = validate_household(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    explanation = explain(PolicyLibrary.open(), household, "hebi", date(2017, 10, 1))
    member_nodes = [node for node in explanation.outputs if node.member is not None]
    assert member_nodes
    node = member_nodes[0]
    assert "[" not in node.name and node.member in {m.id for m in household.members}
    assert node.as_dict()["name"] == f"{node.name}[{node.member}]" == node.shown_name
