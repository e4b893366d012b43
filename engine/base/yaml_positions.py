"""YAML positions: the composed nodes with their character ranges, line and column of an
offset, and ``ScalarSource``, which maps an offset inside a string value back to the file
through quotes, escapes, block scalars and line folding (for an expression written in YAML).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from yaml.scanner import Scanner

from engine.base.diagnostics import Span

# Line breaks as PyYAML counts them: CR LF is one break, a lone CR is one break.
BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
BREAK_CHARS = "\r\n\x85\u2028\u2029"
WHITESPACE = " \t" + BREAK_CHARS
# How far the aligner in ScalarSource looks ahead for one value character.
_ALIGN_WINDOW = 4096

PathElement = str | int  # a mapping key or a sequence index on the way to a value



# --------------------------------------------------------------------------- positions


def line_starts_of(text: str) -> tuple[int, ...]:
    """Offsets at which each line begins, counting breaks the way the YAML parser does."""
    return (0, *(m.end() for m in BREAK_RE.finditer(text)))


def line_col(line_starts: tuple[int, ...], index: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = bisect.bisect_right(line_starts, index) - 1
    line = max(line, 0)
    return line + 1, index - line_starts[line] + 1


def make_span(file: str, line_starts: tuple[int, ...], start: int, end: int | None = None) -> Span:
    line, col = line_col(line_starts, start)
    if end is None or end < start:
        return Span(file, line, col)
    end_line, end_col = line_col(line_starts, end)
    return Span(file, line, col, end_line, end_col)


# --------------------------------------------------------------------------- nodes


class YamlNode:
    """A node of the composed document with character offsets into the text."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end


class ScalarNode(YamlNode):
    __slots__ = ("raw", "source", "style", "token_end", "token_start", "value")

    def __init__(self, start: int, end: int, value: object, raw: str, style: str | None,
                 token_start: int, token_end: int) -> None:
        super().__init__(start, end)
        self.value = value
        self.raw = raw
        self.style = style
        self.token_start = token_start
        self.token_end = token_end
        self.source: ScalarSource | None = None


class SequenceNode(YamlNode):
    __slots__ = ("flow", "items")

    def __init__(self, start: int, end: int, flow: bool) -> None:
        super().__init__(start, end)
        self.flow = flow
        self.items: list[YamlNode] = []


class MappingNode(YamlNode):
    __slots__ = ("entries", "flow")

    def __init__(self, start: int, end: int, flow: bool) -> None:
        super().__init__(start, end)
        self.flow = flow
        self.entries: dict[str, tuple[YamlNode, YamlNode]] = {}


class AliasNode(YamlNode):
    __slots__ = ("name", "target")

    def __init__(self, start: int, end: int, name: str, target: YamlNode) -> None:
        super().__init__(start, end)
        self.name = name
        self.target = target


def deref(node: YamlNode) -> YamlNode:
    return node.target if isinstance(node, AliasNode) else node


# --------------------------------------------------------------------------- ScalarSource


@dataclass(frozen=True)
class ScalarSource:
    """Where a scalar's characters came from: maps an offset in the scalar's *value* to a Span in the file.

    ``style`` is ``None`` for a plain scalar, ``"'"`` or ``'"'`` for quoted ones and
    ``"|"`` or ``">"`` for block scalars; ``start``/``end`` are the character offsets of
    the scalar's text (quotes and block header included) in ``text``.
    """

    file: str
    value: str
    style: str | None
    start: int
    end: int
    text: str = field(repr=False, compare=False)
    line_starts: tuple[int, ...] = field(repr=False, compare=False)
    _table: list[tuple[int, int]] = field(default_factory=list, init=False, repr=False, compare=False)

    def span_at(self, offset: int, end_offset: int | None = None) -> Span:
        """The place in the file of value character ``offset`` (through ``end_offset``, exclusive).

        Offsets are clamped to the value; ``offset == len(value)`` is the place just after
        the last character. Without ``end_offset`` the span covers the one character.
        """
        table = self._offsets()
        n = len(self.value)
        if n == 0:
            first = self._content_start()
            return make_span(self.file, self.line_starts, first, first)
        offset = min(max(offset, 0), n)
        if offset == n:
            start = end = table[n - 1][1]
        else:
            start, end = table[offset]
        if end_offset is not None:
            end_offset = min(max(end_offset, offset), n)
            end = table[end_offset - 1][1] if end_offset > offset else start
        return make_span(self.file, self.line_starts, start, max(start, end))

    def span(self) -> Span:
        """The whole scalar, quotes and block header included."""
        return make_span(self.file, self.line_starts, self.start, self.end)

    # -- alignment ---------------------------------------------------------------

    def _content_start(self) -> int:
        text, start, end = self.text, self.start, self.end
        if self.style in ("'", '"'):
            return min(start + 1, end)
        if self.style in ("|", ">"):
            i = start
            while i < end and text[i] not in BREAK_CHARS:
                i += 1
            if text.startswith("\r\n", i):
                return i + 2
            return min(i + 1, end)
        return start

    def _content_end(self) -> int:
        if self.style in ("'", '"') and self.end - 1 >= self._content_start():
            return self.end - 1
        return self.end

    def _units(self) -> list[tuple[str | None, int, int]]:
        """The raw text as units: (None, i, i+1) for a literal character, (produced, s, e)
        for an escape sequence in a double-quoted scalar ("" for an escaped line break)."""
        text = self.text
        first, last = self._content_start(), self._content_end()
        if self.style != '"':
            return [(None, i, i + 1) for i in range(first, last)]
        units: list[tuple[str | None, int, int]] = []
        i = first
        while i < last:
            ch = text[i]
            if ch != "\\" or i + 1 >= last:
                units.append((None, i, i + 1))
                i += 1
                continue
            nxt = text[i + 1]
            if nxt in BREAK_CHARS:
                stop = i + 3 if text.startswith("\r\n", i + 1) else i + 2
                units.append(("", i, stop))
                i = stop
            elif nxt in Scanner.ESCAPE_REPLACEMENTS:
                units.append((Scanner.ESCAPE_REPLACEMENTS[nxt], i, i + 2))
                i += 2
            elif nxt in Scanner.ESCAPE_CODES:
                stop = i + 2 + Scanner.ESCAPE_CODES[nxt]
                try:
                    produced = chr(int(text[i + 2: stop], 16))
                except ValueError:
                    units.append((None, i, i + 1))
                    i += 1
                    continue
                units.append((produced, i, stop))
                i = stop
            else:
                units.append((None, i, i + 1))
                i += 1
        return units

    def _offsets(self) -> list[tuple[int, int]]:
        """Per value character, the (start, end) offsets in the text it came from (cached).

        Value characters are aligned greedily against the raw units: a character matches
        the next unit that produces it; a whitespace character may also match any raw
        whitespace (a folded line break becomes a space; indentation is skipped).
        """
        if self._table or not self.value:
            return self._table
        text = self.text
        units = self._units()
        table: list[tuple[int, int]] = []
        j = 0
        last_end = self._content_start()
        for ch in self.value:
            is_space = ch in WHITESPACE
            k = j
            limit = min(len(units), j + _ALIGN_WINDOW)
            found = -1
            while k < limit:
                produced, s, _e = units[k]
                if produced is None:
                    raw = text[s]
                    if raw == ch or (is_space and raw in WHITESPACE):
                        found = k
                        break
                elif produced == ch:
                    found = k
                    break
                k += 1
            if found < 0:
                table.append((last_end, last_end))
                continue
            _p, s, e = units[found]
            table.append((s, e))
            last_end = e
            j = found + 1
        self._table.extend(table)
        return self._table
