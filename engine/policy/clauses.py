"""Clauses: find a cited clause's words in the source document it comes from.

A citation names a document (its ``seed`` file is kept in ``sources/``) and a clause in the
document's own numbering: 三(二), 二(一)二 (the second 是-item), 二(一)1(4)④, 三(一)2 二是.
The locator walks the numbering level by level — 三、 then (二) or （二）, then 2. or 2、,
then (4), then ④, then 二是 — and returns the sentence where the last level it found
starts. It is a reading aid for explain trees; a clause it cannot find gives None.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from engine.policy.policy_model import Citation, Source

_NUMERAL = "一二三四五六七八九十"
_TOKENS = re.compile(rf"[{_NUMERAL}]+是|\(\s*[{_NUMERAL}]+\s*\)|\(\s*\d+\s*\)|\d+|[①-⑳]|[{_NUMERAL}]+")
_LIMIT = 300
_MAX_SOURCE_BYTES = 20_000_000


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


def seed_problem(seed: str) -> str | None:
    """Why a ``seed:`` cannot name a file inside ``sources/`` (an absolute path, ``..``), or None."""
    path = PurePosixPath(seed.replace("\\", "/"))
    if not seed.strip() or path.is_absolute() or ":" in seed or ".." in path.parts or "\x00" in seed:
        return "a seed names a file inside the sources/ folder, such as hebi-2017-50.md"
    return None


def read_seed(sources: Path, seed: str) -> str | None:
    """The text of a source document kept in ``sources/``; None for a seed that would leave the
    folder (through ``..`` or a link) or that is not a regular file."""
    if seed_problem(seed) is not None:
        return None
    folder = sources.resolve()
    target = (folder / seed).resolve()
    if folder not in target.parents:
        return None
    return _read_text(target)


@lru_cache(maxsize=16)
def _read_text(path: Path) -> str | None:
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None
            return handle.read(_MAX_SOURCE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def citation_data(documents: Mapping[str, Source], citation: Citation, sources: Path) -> dict[str, Any]:
    """A citation as data: document, clause, catalogue id, confidence, title and number, and the clause's
    words: ``quote`` when the policy records them, else ``text`` found in the document under ``sources``."""
    document = documents.get(citation.doc)
    data: dict[str, Any] = {"doc": citation.doc, "clause": citation.clause}
    if citation.rule:
        data["rule"] = citation.rule
    if citation.confidence:
        data["confidence"] = citation.confidence
    if document is not None:
        data["title"] = document.title
        if document.number:
            data["number"] = document.number
    if citation.quote:
        data["quote"] = citation.quote
    elif document is not None and document.seed:
        text = read_seed(sources, document.seed)
        found = clause_text(text, citation.clause) if text else None
        if found:
            data["text"] = found
    return data
