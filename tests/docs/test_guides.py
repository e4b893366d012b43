"""The guides show real output: every ```console block of docs/guide.md and docs/guide.zh.md is run
(in a copy of the policies, examples and sources) and must print what the guide says."""

from __future__ import annotations

from pathlib import Path

import pytest
from guide_runner import ROOT, matches, report, run_guide, sandbox, steps

GUIDES = [ROOT / "docs" / "guide.md", ROOT / "docs" / "guide.zh.md"]


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_the_guide_prints_what_it_shows(guide: Path, tmp_path: Path) -> None:
    assert any(step.kind == "console" for step in steps(guide)), f"{guide.name} checks no command"
    results = run_guide(guide, sandbox(tmp_path))
    wrong = [report(r) for r in results if not r.matches]
    assert not wrong, f"{len(wrong)} of {len(results)} commands print something else:\n\n" + "\n\n".join(wrong)


@pytest.mark.parametrize(("expected", "actual", "same"), [
    (["a", "…", "d"], ["a", "b", "c", "d"], True),
    (["a", "…", "d"], ["a", "d"], True),
    (["a (… s)"], ["a (0.15 s)"], True),
    (["a …"], ["a b", "c"], False),
    (["a", "b"], ["a", "c"], False),
])
def test_ellipsis_matching(expected: list[str], actual: list[str], same: bool) -> None:
    assert matches(expected, actual) is same
