"""Diagnostics: the one shape every stage reports problems in.

A diagnostic is data (code, message, span, notes, suggestion); rendering it for a
terminal, as one line, or as JSON is a separate step. Stages collect all diagnostics
they find and raise ``DiagnosticError`` only at their boundary, so a policy officer
can fix a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


def render_with_caret(diagnostic: Diagnostic, source_text: str | None = None) -> str:
    """The one-line form, then the source line and a caret under the spot.

    ``source_text`` is the whole text of ``diagnostic.span.file``; when it is not given
    the file is read from disk if it exists.
    """
    head = diagnostic.one_line()
    span = diagnostic.span
    if span is None:
        return head + "".join(f"\n  note: {n}" for n in diagnostic.notes)
    text = source_text
    if text is None:
        path = Path(span.file)
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            text = None
    lines = [head]
    if text is not None:
        source_lines = text.splitlines()
        if 1 <= span.line <= len(source_lines):
            line = source_lines[span.line - 1]
            width = 1
            if span.end_line == span.line and span.end_column and span.end_column > span.column:
                width = span.end_column - span.column
            prefix = _display_width(line[: span.column - 1])
            lines.append(f"  {span.line:>4} | {line}")
            carets = "^" * max(1, _display_width(line[span.column - 1: span.column - 1 + width]))
            lines.append(f"       | {' ' * prefix}{carets}")
    lines.extend(f"  note: {n}" for n in diagnostic.notes)
    return "\n".join(lines)


def _display_width(text: str) -> int:
    """Terminal columns a string takes: East Asian wide characters count twice."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, or None when nothing is close."""
    import difflib

    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
