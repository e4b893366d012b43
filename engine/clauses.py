"""Clauses: find a cited clause's words in the source document it comes from.

A citation names a document (its ``seed`` file is kept in ``sources/``) and a clause in the
document's own numbering: 三(二), 二(一)二 (the second 是-item), 二(一)1(4)④, 三(一)2 二是.
The locator walks the numbering level by level — 三、 then (二) or （二）, then 2. or 2、,
then (4), then ④, then 二是 — and returns the sentence where the last level it found
starts. It is a reading aid for explain trees; a clause it cannot find gives None.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_NUMERAL = "一二三四五六七八九十"
_TOKENS = re.compile(rf"[{_NUMERAL}]+是|\(\s*[{_NUMERAL}]+\s*\)|\(\s*\d+\s*\)|\d+|[①-⑳]|[{_NUMERAL}]+")
_LIMIT = 300


def clause_text(document: str, clause: str) -> str | None:
    """The words at ``clause`` in ``document`` (up to the end of that sentence), or None."""
    tokens = _TOKENS.findall(clause)
    if not tokens:
        return None
    position: int | None = None
    for index, token in enumerate(tokens):
        found = _find(document, token, position or 0, first=index == 0)
        if found is None:
            break
        position = found
    if position is None:
        return None
    end = document.find("。", position)
    stop = min(end + 1 if end != -1 else len(document), position + _LIMIT, len(document))
    return " ".join(document[position:stop].split())


def _find(document: str, token: str, start: int, first: bool) -> int | None:
    token = token.replace(" ", "")
    if token[0] in _NUMERAL and not token.endswith("是"):
        candidates = [f"{token}、"] if first else [f"{token}是"]
    elif token.endswith("是"):
        candidates = [token]
    elif token.startswith("("):
        inner = token[1:-1]
        candidates = [f"({inner})", f"（{inner}）"]
    elif token.isdigit():
        candidates = [f"{token}.", f"{token}、", f"{token}．"]
    else:
        candidates = [token]
    hits = [document.find(c, start) for c in candidates]
    hits = [h for h in hits if h != -1]
    return min(hits) if hits else None


@lru_cache(maxsize=16)
def read_source(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
