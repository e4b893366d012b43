"""Diagnostics: the one shape every stage reports problems in.

A diagnostic is data (code, message, span, notes, suggestion, the field path it is
about, related places); rendering it for a terminal, as one line, or as JSON is a
separate step. Every code is listed with its meaning in ``engine.base.error_codes``. Stages collect all diagnostics
they find and raise ``DiagnosticError`` only at their boundary, so a policy officer
can fix a file in one pass.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FieldPath = tuple[str | int, ...]
"""Where a value stands in a record: keys and list indices, e.g. ``("members", 1, "birth_date")``."""


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source: file, 1-based line and column, and the end of the range."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Related:
    """A second place a problem involves, with a short label saying what is there
    (``the earlier definition``, ``the value it overlaps``)."""

    span: Span
    label: str

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "span": _span_dict(self.span)}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: a stable code (e.g. ``E-TYPE``), a plain-words message and a place.

    ``path`` is the field of a record the problem is about (``("members", 1, "birth_date")``),
    None when it is not about a field of a record (the empty path is the record as a whole);
    ``related`` are the other places involved (the earlier definition of a duplicate).
    """

    code: str
    message: str
    span: Span | None = None
    notes: tuple[str, ...] = ()
    suggestion: str | None = None
    severity: str = "error"
    path: FieldPath | None = None
    related: tuple[Related, ...] = ()

    def one_line(self) -> str:
        """``file:line:col: error[CODE]: message`` — the form used on stderr."""
        where = f"{self.span}: " if self.span else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}{hint}"

    @property
    def path_text(self) -> str | None:
        """The field path written out, ``members[1].birth_date`` (None when there is no path)."""
        return None if self.path is None else field_path_text(self.path)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "span": None if self.span is None else _span_dict(self.span),
            "path": self.path_text,
            "related": [r.as_dict() for r in self.related],
            "notes": list(self.notes),
            "suggestion": self.suggestion,
        }


def _span_dict(span: Span) -> dict[str, object]:
    return {"file": span.file, "line": span.line, "column": span.column}


def field_path_text(path: FieldPath, root: str = "record") -> str:
    """``members[1].incomes[0].amount``: indices in brackets, plain keys after dots, any other
    key quoted in brackets (``status['1x']``); the empty path is ``root``."""
    import re

    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{str(part)!r}]"
    return text or root


@dataclass
class DiagnosticError(Exception):
    """Raised at a stage boundary when it found errors; carries all of them."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.one_line() for d in self.diagnostics)


MAX_MESSAGE = 1000  # characters of a message shown on a terminal
QUOTE_WIDTH = 100  # columns of a source line quoted around the place of a problem
MAX_SHOWN = 100  # problems printed one by one; past these only their number


def render_with_caret(diagnostic: Diagnostic, source_text: str | None = None) -> str:
    """The one-line form, then a window of the source line and a caret under the spot.

    ``source_text`` is the whole text of ``diagnostic.span.file``; when it is not given
    the file is read from disk if it exists (once for many diagnostics in the same file).
    However long the line, at most ``QUOTE_WIDTH`` columns of it are quoted.
    """
    head = shortened(diagnostic.one_line())
    span = diagnostic.span
    if span is None:
        return "\n".join([head, *_note_lines(diagnostic)])
    source_lines = _lines_of(source_text) if source_text is not None else _file_lines(span.file)
    lines = [head]
    if source_lines is not None and 1 <= span.line <= len(source_lines):
        line = source_lines[span.line - 1]
        width = 1
        if span.end_line == span.line and span.end_column and span.end_column > span.column:
            width = span.end_column - span.column
        start = max(0, min(span.column - 1 - QUOTE_WIDTH // 2, len(line) - QUOTE_WIDTH))
        shown = line[start:start + QUOTE_WIDTH]
        before = "…" if start > 0 else ""
        after = "…" if start + QUOTE_WIDTH < len(line) else ""
        prefix = _display_width(before + line[start: span.column - 1])
        marked = line[span.column - 1: min(span.column - 1 + width, start + QUOTE_WIDTH)]
        lines.append(f"  {span.line:>4} | {before}{shown}{after}")
        lines.append(f"       | {' ' * prefix}{'^' * max(1, _display_width(marked))}")
    lines.extend(_note_lines(diagnostic))
    return "\n".join(lines)


def _note_lines(diagnostic: Diagnostic) -> list[str]:
    """The notes, then each related place as ``file:line:col: note: label``."""
    return [f"  note: {shortened(n)}" for n in diagnostic.notes] + [
        f"  {r.span}: note: {shortened(r.label)}" for r in diagnostic.related]


def shortened(text: str, limit: int = MAX_MESSAGE) -> str:
    """A message cut to ``limit`` characters (what is left out is counted)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def render_all(diagnostics: Sequence[Diagnostic], carets: bool = False, limit: int = MAX_SHOWN) -> Iterator[str]:
    """Each diagnostic as a terminal shows it, the first ``limit`` of them, then how many more there are."""
    for diagnostic in diagnostics[:limit]:
        yield render_with_caret(diagnostic) if carets else shortened(diagnostic.one_line())
    if len(diagnostics) > limit:
        rest = len(diagnostics) - limit
        yield f"… and {rest} more problem{'s' if rest != 1 else ''} (--json lists them all)"


def _lines_of(text: str) -> list[str]:
    return text.splitlines()


def _file_lines(file: str) -> list[str] | None:
    path = Path(file)
    try:
        status = path.lstat()  # a link is not followed: only a file the problem is in is quoted
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return _read_lines(str(path), status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=4)
def _read_lines(file: str, _mtime: int, _size: int) -> list[str] | None:
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def _display_width(text: str) -> int:
    """Terminal columns a string takes: East Asian wide characters count twice."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, or None when nothing is close."""
    import difflib

    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
