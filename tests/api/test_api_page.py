"""The examples of docs/api.md run and print what the page shows (its ```pycon blocks, as doctests)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api.md"


def examples() -> str:
    """Every ```pycon block of the page, in order, as one doctest text (later blocks use earlier names)."""
    blocks = re.findall(r"^```pycon\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), flags=re.M | re.S)
    assert blocks, "docs/api.md has no ```pycon examples"
    return "\n".join(blocks)


def test_the_api_page_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("DIBAO_POLICIES", raising=False)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples(), {}, "docs/api.md", str(PAGE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
    assert runner.tries > 30
