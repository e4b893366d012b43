"""Member-relative names: inside a member rule, a bare member rule name is that member's value."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli import cli
from engine.language import syntax as s
from engine.language.formatter import format_expression
from engine.language.parser import TextLocator, parse_expression
from engine.policy.member_names import explicit
from engine.runtime.library import PolicyLibrary
from tests.policies.demo_tree import DEMO_HEADER, demo_tree

ROOT = Path(__file__).resolve().parents[2]

REGION = DEMO_HEADER + """parameters:
  dibao.standard_annual:
    type: money/year
    label: 农村低保标准
    source: {doc: demo-doc, clause: 三(一)}
    values:
      2016-01-01: 3000 yuan/year

rules:
  income.own_monthly:
    type: money/month
    label: 成员月收入
    scope: member
    expr: sum(i.monthly for i in member.incomes)
    source: {doc: demo-doc, clause: 三(二)}
  income.own_doubled:
    type: money/month
    label: 成员月收入两倍
    scope: member
    output: true
    expr: {doubled}
    source: {doc: demo-doc, clause: 三(二)}
  income.countable_monthly:
    type: money/month
    label: 家庭月收入
    expr: {household}
    source: {doc: demo-doc, clause: 三(二)}
"""

HOUSEHOLD = {"id": "D-1", "hukou": "demo", "members": [
    {"id": "p1", "birth_date": "1960-01-01", "labour_capacity": "none",
     "incomes": [{"kind": "wages", "amount": "100", "per": "month"}]},
    {"id": "p2", "birth_date": "1990-01-01", "labour_capacity": "full",
     "incomes": [{"kind": "wages", "amount": "250", "per": "month"}]}]}


def tree(tmp_path: Path, doubled: str, household: str = "sum(m.income.own_monthly for m in members)") -> Path:
    return demo_tree(tmp_path, REGION.replace("{doubled}", doubled).replace("{household}", household))


def members_of(root: Path, tmp_path: Path) -> dict[str, dict[str, str]]:
    record = tmp_path / "household.json"
    record.write_text(json.dumps(HOUSEHOLD), encoding="utf-8")
    done = CliRunner().invoke(cli, ["evaluate", "--policies", str(root), "--region", "demo", "--date", "2017-01-01",
                                    "--output", "income.own_doubled", str(record)])
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)["members"]


def test_a_bare_member_rule_in_a_member_rule_is_the_same_members_value(tmp_path: Path) -> None:
    bare = members_of(tree(tmp_path / "bare", "income.own_monthly * 2"), tmp_path)
    spelled = members_of(tree(tmp_path / "spelled", "member.income.own_monthly * 2"), tmp_path)
    assert bare == spelled == {"p1": {"income.own_doubled": "200.00"}, "p2": {"income.own_doubled": "500.00"}}


def test_the_chain_holds_the_explicit_form(tmp_path: Path) -> None:
    library = PolicyLibrary.open(tree(tmp_path, "income.own_monthly * 2"))
    assert library.diagnostics == []
    (variant,) = library.region("demo").chain.rules["income.own_doubled"].variants
    assert format_expression(variant.body) == "member.income.own_monthly * 2"


def test_a_bare_member_rule_in_a_household_rule_is_still_an_error(tmp_path: Path) -> None:
    root = tree(tmp_path, "income.own_monthly * 2", household="income.own_monthly")
    done = CliRunner().invoke(cli, ["check", str(root)])
    assert done.exit_code == 2
    assert "policies/demo/policy.yaml:38:11: error[E-SCOPE]: income.own_monthly is a member rule; read it for a " \
           "member, e.g. sum(m.income.own_monthly for m in members)" in done.stderr


def test_a_name_bound_by_an_aggregation_is_not_rewritten() -> None:
    text = "sum(income.monthly for income in member.incomes) + income.own_monthly"
    node = explicit(parse_expression(text, TextLocator("<e>", text)), frozenset({"income.own_monthly",
                                                                                  "income.monthly"}))
    assert format_expression(node) == "sum(income.monthly for income in member.incomes) + member.income.own_monthly"


def test_an_expression_without_bare_member_rules_is_left_as_it_is() -> None:
    text = "if member.elderly then member.income.own_monthly else 0"
    node = parse_expression(text, TextLocator("<e>", text))
    assert explicit(node, frozenset({"income.own_monthly"})) is node
    assert isinstance(node, s.If)
