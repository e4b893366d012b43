"""Evaluation has a budget, and does not depend on Python's recursion depth.

A chain of 450 rules each reading the one before evaluates, explains and batches; rules
that square a value forty times, or four counts nested over 200 events, stop with a
located message naming the rule; ``dibao check`` warns about a rule whose work grows
with a power of a list's length.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from policy_trees import AS_OF, REGION_FILE, chain, household, rule, squares, tree_with, write_household

from engine.base.diagnostics import DiagnosticError
from engine.cli import main
from engine.household.record import validate_household
from engine.language.builtins import MAX_AGGREGATE_ITEMS
from engine.policy.policy_files import load_tree
from engine.runtime.evaluate import evaluate
from engine.runtime.library import PolicyLibrary
from engine.runtime.policy_check import check_tree
from engine.tools.explain import explain

DAY = date.fromisoformat(AS_OF)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as done:
            code = done.code or 0
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue(), err.getvalue()[-2000:]
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tree_with(tmp_path_factory.mktemp("deep") / "policies", *chain(450),
                     rule("never.found", "int", "min(m.age for m in members where m.age > 1000)"),
                     rule("chain.or_never", "int", "if household.size > 99 then never.found else chain.r449",
                          output=True))


def test_a_chain_of_450_rules_evaluates(deep: Path) -> None:
    library = PolicyLibrary.open(deep)
    assert library.check.ok, [d.one_line() for d in library.diagnostics]
    result = evaluate(validate_household(household()), "demo", DAY, outputs=["chain.top"], library=library)
    assert result.outputs["chain.top"] == 450  # household.size 1, plus 449


def test_a_rule_not_read_keeps_its_error_to_itself_in_a_deep_chain(deep: Path) -> None:
    library = PolicyLibrary.open(deep)
    record = validate_household(household())
    result = evaluate(record, "demo", DAY, outputs=["chain.or_never"], library=library)
    assert result.outputs["chain.or_never"] == 450
    with pytest.raises(DiagnosticError) as raised:
        evaluate(record, "demo", DAY, outputs=["never.found"], library=library)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-EVAL" and "found no items" in problem.message
    assert problem.span is not None and problem.span.file.endswith(str(REGION_FILE))


def test_a_chain_of_450_rules_explains(deep: Path) -> None:
    library = PolicyLibrary.open(deep)
    explanation = explain(library, validate_household(household()), "demo", DAY, output="chain.top")
    node = explanation.outputs[0]
    depth = 0
    while node.children:
        (node,) = node.children
        depth += 1
    assert (node.kind, node.name) == ("field", "household.size")
    assert depth == 451  # chain.r449 … chain.r0, then the field
    code, out, _err = cli("explain", "--policies", str(deep), "--region", "demo", "--date", AS_OF,
                          "--output", "chain.top", "--json", str(write_household(deep.parent / "h.json", household())))
    assert code == 0 and json.loads(out)["explain"][0]["value"] == 450
    code, out, _err = cli("explain", "--policies", str(deep), "--region", "demo", "--date", AS_OF,
                          "--output", "chain.top", str(deep.parent / "h.json"))
    assert code == 0 and "chain.r448" in out  # deeper levels are folded into the terminal's width


def test_a_rule_evaluated_ahead_that_fails_leaves_the_explanation_whole(deep: Path) -> None:
    library = PolicyLibrary.open(deep)
    explanation = explain(library, validate_household(household()), "demo", DAY, output="chain.or_never")
    (top,) = explanation.outputs
    assert top.value == 450
    names = [child.name for child in top.children]
    assert names == ["household.size", "chain.r449"]  # never.found was not read: it is not in the tree
    node, depth = top.children[1], 1
    while node.children:
        (node,) = node.children
        depth += 1
    assert (node.name, depth) == ("household.size", 451)


def test_a_chain_of_450_rules_batches(deep: Path) -> None:
    source = deep.parent / "households.jsonl"
    source.write_text(json.dumps(household()) + "\n" + json.dumps(household(id="HB-0002")) + "\n", encoding="utf-8")
    code, _out, err = cli("batch", "--policies", str(deep), "--region", "demo", "--date", AS_OF, str(source),
                          "--out", str(deep.parent / "out.jsonl"), "--any-hukou")
    assert code == 0, err
    rows = [json.loads(line) for line in (deep.parent / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["chain.top"] for row in rows] == [450, 450]


@pytest.fixture(scope="module")
def squaring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tree_with(tmp_path_factory.mktemp("squares") / "policies", *squares(40))


def test_a_value_squared_forty_times_stops_at_a_located_message_naming_the_rule(squaring: Path) -> None:
    library = PolicyLibrary.open(squaring)
    with pytest.raises(DiagnosticError) as raised:
        evaluate(validate_household(household()), "demo", DAY, outputs=["sq.top"], library=library)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-EVAL"
    assert "rule sq.r" in problem.message and "more than 1000 digits" in problem.message
    assert problem.span is not None and problem.span.file.endswith(str(REGION_FILE)) and problem.span.line > 1


def test_a_value_squared_forty_times_is_a_rejected_record_in_a_batch(squaring: Path) -> None:
    source = write_household(squaring.parent / "one.jsonl", household())
    code, _out, err = cli("batch", "--policies", str(squaring), "--region", "demo", "--date", AS_OF, str(source),
                          "--out", str(squaring.parent / "out.jsonl"), "--any-hukou")
    assert code == 1, err  # its one household rejected: none answered
    (error,) = [json.loads(line) for line in (squaring.parent / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert "rule sq.r" in error["reason"] and "digits" in error["reason"]


NESTED = "count(a for a in events where count(b for b in events where count(c for c in events where " \
         "count(d for d in events) > 0) > 0) > 0)"


def test_four_counts_nested_over_200_events_stop_within_the_budget(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies", rule("nest.top", "int", NESTED, output=True))
    events = [{"kind": "shock", "date": "2021-02-10", "cause": "illness"}] * 200
    with pytest.raises(DiagnosticError) as raised:
        evaluate(validate_household(household(events=events)), "demo", DAY, outputs=["nest.top"],
                 library=PolicyLibrary.open(root))
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-EVAL" and "rule nest.top needs more work than one household may take" in problem.message
    assert f"{MAX_AGGREGATE_ITEMS:,}" in problem.message
    assert problem.span is not None and problem.span.file.endswith(str(REGION_FILE))
    few = evaluate(validate_household(household()), "demo", DAY, outputs=["nest.top"], library=PolicyLibrary.open(root))
    assert few.outputs["nest.top"] == len(household()["events"])


def test_check_warns_about_a_rule_whose_work_grows_with_a_power_of_a_list(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies", rule("nest.top", "int", NESTED, output=True),
                     rule("nest.square", "int", "count(a for a in events where count(b for b in events) > 1)"),
                     rule("nest.member", "int", "count(o for o in members where count(e for e in events) > 1)",
                          scope="member"))
    found = [d for d in check_tree(load_tree(root)).diagnostics if d.code == "W-COST"]
    assert [d.message.split(":")[0] for d in found] == ["nest.top", "nest.member"]
    assert all(d.severity == "warning" for d in found)
    assert "power 4" in found[0].message and "events × events × events × events" in found[0].message
    assert found[0].span is not None and found[0].span.file.endswith(str(REGION_FILE))
    code, _out, err = cli("check", str(root))
    assert code == 0, err  # a warning does not fail the check
    assert "warning[W-COST]" in err and "0 problems, 2 warnings" in err
