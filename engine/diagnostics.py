"""Diagnostics: the one shape every stage reports problems in.

A diagnostic is data (code, message, span, notes, suggestion); rendering it for a
terminal, as one line, or as JSON is a separate step. Stages collect all diagnostics
they find and raise ``DiagnosticError`` only at their boundary, so a policy officer
can fix a file in one pass.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


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
class Diagnostic:
    """One problem: a stable code (e.g. ``E-TYPE``), a plain-words message and a place."""

    code: str
    message: str
    span: Span | None = None
    notes: tuple[str, ...] = ()
    suggestion: str | None = None
    severity: str = "error"

    def one_line(self) -> str:
        """``file:line:col: error[CODE]: message`` — the form used on stderr."""
        where = f"{self.span}: " if self.span else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        span = None
        if self.span is not None:
            span = {"file": self.span.file, "line": self.span.line, "column": self.span.column}
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "span": span,
            "notes": list(self.notes),
            "suggestion": self.suggestion,
        }


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
        return head + "".join(f"\n  note: {shortened(n)}" for n in diagnostic.notes)
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
    lines.extend(f"  note: {shortened(n)}" for n in diagnostic.notes)
    return "\n".join(lines)


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
