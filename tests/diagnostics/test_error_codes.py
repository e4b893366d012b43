"""The error-code registry: every code the package uses is listed with one meaning, and the
docs' error table is generated from it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import engine
from engine.base.error_codes import CODES, PAGE, RENAMED, main, meaning, rewritten

PACKAGE = Path(engine.__file__).parent
CODE = re.compile(r"[EW]-[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")


def codes_in_the_package() -> dict[str, set[str]]:
    """Every string constant shaped like a code, with the modules it is in."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "error_codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
                found.setdefault(node.value, set()).add(str(path.relative_to(PACKAGE)))
    return found


def test_every_code_used_is_registered() -> None:
    found = codes_in_the_package()
    assert len(found) > 40
    missing = {code: sorted(where) for code, where in found.items() if code not in CODES}
    assert missing == {}, "add these to engine/base/error_codes.py"


def test_no_registered_code_is_unused_or_renamed_twice() -> None:
    found = codes_in_the_package()
    assert sorted(set(CODES) - set(found)) == []
    assert not set(RENAMED) & set(CODES)
    assert set(RENAMED.values()) <= set(CODES)
    assert meaning("E-DATES") == CODES["E-RANGE"]


def test_each_meaning_is_one_line_and_distinct() -> None:
    texts = list(CODES.values())
    assert len(set(texts)) == len(texts)
    assert all(text and "\n" not in text for text in texts)


def test_the_docs_table_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert rewritten(text) == text, "run: python -m engine.base.error_codes"
    assert main(["--check"]) == 0
    for code in CODES:
        assert f"| `{code}` |" in text
