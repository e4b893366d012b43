"""The region READMEs' generated blocks (worked-case counts, digests) are current and cannot drift."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.tools.readme_facts import BEGIN, END, POLICIES, main, rewritten, stale


def test_every_region_readme_block_is_current() -> None:
    assert stale() == [], "run: python -m engine.tools.readme_facts"


def test_a_new_worked_case_makes_the_block_stale_until_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    cases = root / "hebi" / "tests" / "members.yaml"
    text = cases.read_text(encoding="utf-8")
    first = text.index("  - name: ")
    second = text.index("\n  - name: ", first + 1) + 1
    cases.write_text(text + "\n" + text[first:second].replace("  - name: ", "  - name: copy of ", 1), encoding="utf-8")
    assert stale(root) == [str(root / "hebi" / "README.md")]
    assert main(["--check", "--policies", str(root)]) == 1
    assert main(["--policies", str(root)]) == 0
    assert stale(root) == []


def test_only_the_marked_block_is_replaced() -> None:
    text = f"before\n{BEGIN}\nold\n{END}\nafter\n"
    assert rewritten(text, f"{BEGIN}\nnew\n{END}") == f"before\n{BEGIN}\nnew\n{END}\nafter\n"
    assert rewritten("no markers", "x") is None
