"""Finding a cited clause's words in its source document (sources/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.policy.clauses import clause_text

ROOT = Path(__file__).resolve().parents[1]
HEBI = (ROOT / "sources" / "003_89745fc7a5c8f48a.txt").read_text(encoding="utf-8")
YANGJIANG = (ROOT / "sources" / "000_20f40e1960017597.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(("document", "clause", "starts"), [
    (HEBI, "三(一)", "(一) 参考扶贫线"),
    (HEBI, "三(二)", "(二) 结合贫困人口"),
    (YANGJIANG, "二(一)二", "二是對返貧的家庭"),
    (YANGJIANG, "二(一)四", "四是加大醫"),
])
def test_the_clause_is_found_level_by_level(document: str, clause: str, starts: str) -> None:
    found = clause_text(document, clause)
    assert found is not None and found.startswith(starts)


def test_a_clause_the_document_does_not_have_gives_nothing() -> None:
    assert clause_text(HEBI, "九(九)") is None
    assert clause_text(HEBI, "") is None


def test_explain_shows_the_words_of_each_clause() -> None:
    done = subprocess.run([sys.executable, "-m", "engine.cli", "explain", "--region", "hebi", "--date", "2017-10-01",
                           "--output", "dibao.standard_annual", "--json",
                           str(ROOT / "examples" / "households" / "contract_example.json")],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    (node,) = json.loads(done.stdout)["explain"]
    words = node["source"].get("quote") or node["source"].get("text")
    assert words and "3210" in words
