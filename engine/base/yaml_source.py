"""Safe YAML loading that keeps a file position for every node.

Policy staff edit YAML rule files by hand, so every problem found later (a bad type,
an unknown name, a syntax error inside an expression string) must be reported at
``file:line:column`` of the YAML file. ``load_yaml`` returns the plain data together
with a position index: ``LoadedYaml.span(path)`` gives the place of the value at a
path such as ``("rules", 3, "when")``, ``key_span`` the place of its key, and
``scalar_source`` a ``ScalarSource`` that maps an offset inside a string value back to
the file, through quotes, escapes, block scalars and line folding.

Loading is deliberately narrow:

* only the safe parser is used, and no Python object is ever constructed from a tag;
  explicit tags other than ``!!str`` are rejected;
* plain scalars become ``None`` (``null``, ``~``, empty), ``bool`` (``true``/``false``
  in any of their usual cases, never ``yes``/``no``/``on``/``off``), ``int`` (decimal
  digits only, no leading zero), ``decimal.Decimal`` built from the literal text
  (never a binary float) or ``str`` (everything else, including dates, ``.inf``,
  ``0x1A``, ``1_000``); quoted and block scalars are always ``str``;
* mapping keys must be text and unique; merge keys (``<<``) are not supported;
* anchors and aliases work, but expansion is bounded so an alias bomb or a recursive
  alias is an error rather than a hang;
* one document per file, bounded size and nesting depth, UTF-8 only (a BOM is
  accepted), and no tabs in indentation.

Every problem is raised as ``DiagnosticError`` with code ``E-YAML``; no other exception
escapes ``load_yaml_text`` for any input. The pure-Python parser is used rather than
libyaml because its marks are character offsets that line up with the decoded text.
"""

from __future__ import annotations

import bisect
import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from yaml.scanner import Scanner

from engine.base.diagnostics import Diagnostic, DiagnosticError, FieldPath, Related, Span

__all__ = ["CODE", "LoadedYaml", "ScalarSource", "load_yaml", "load_yaml_text"]

CODE = "E-YAML"

_BOM_BYTES = b"\xef\xbb\xbf"
# Line breaks as PyYAML counts them: CR LF is one break, a lone CR is one break.
_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
_WHITESPACE = " \t" + _BREAK_CHARS
# Characters YAML does not allow anywhere in a stream (same set PyYAML's reader rejects).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_DECIMAL_RE = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_STANDARD_PREFIX = "tag:yaml.org,2002:"
# How far the aligner in ScalarSource looks ahead for one value character.
_ALIGN_WINDOW = 4096


# --------------------------------------------------------------------------- positions


def _line_starts(text: str) -> tuple[int, ...]:
    """Offsets at which each line begins, counting breaks the way the YAML parser does."""
    return (0, *(m.end() for m in _BREAK_RE.finditer(text)))


def _line_col(line_starts: tuple[int, ...], index: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = bisect.bisect_right(line_starts, index) - 1
    line = max(line, 0)
    return line + 1, index - line_starts[line] + 1


def _make_span(file: str, line_starts: tuple[int, ...], start: int, end: int | None = None) -> Span:
    line, col = _line_col(line_starts, start)
    if end is None or end < start:
        return Span(file, line, col)
    end_line, end_col = _line_col(line_starts, end)
    return Span(file, line, col, end_line, end_col)


# --------------------------------------------------------------------------- nodes


class _Node:
    """A node of the composed document with character offsets into the text."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end


class _Scalar(_Node):
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


class _Seq(_Node):
    __slots__ = ("flow", "items")

    def __init__(self, start: int, end: int, flow: bool) -> None:
        super().__init__(start, end)
        self.flow = flow
        self.items: list[_Node] = []


class _Map(_Node):
    __slots__ = ("entries", "flow")

    def __init__(self, start: int, end: int, flow: bool) -> None:
        super().__init__(start, end)
        self.flow = flow
        self.entries: dict[str, tuple[_Node, _Node]] = {}


class _Alias(_Node):
    __slots__ = ("name", "target")

    def __init__(self, start: int, end: int, name: str, target: _Node) -> None:
        super().__init__(start, end)
        self.name = name
        self.target = target


def _deref(node: _Node) -> _Node:
    return node.target if isinstance(node, _Alias) else node


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
            return _make_span(self.file, self.line_starts, first, first)
        offset = min(max(offset, 0), n)
        if offset == n:
            start = end = table[n - 1][1]
        else:
            start, end = table[offset]
        if end_offset is not None:
            end_offset = min(max(end_offset, offset), n)
            end = table[end_offset - 1][1] if end_offset > offset else start
        return _make_span(self.file, self.line_starts, start, max(start, end))

    def span(self) -> Span:
        """The whole scalar, quotes and block header included."""
        return _make_span(self.file, self.line_starts, self.start, self.end)

    # -- alignment ---------------------------------------------------------------

    def _content_start(self) -> int:
        text, start, end = self.text, self.start, self.end
        if self.style in ("'", '"'):
            return min(start + 1, end)
        if self.style in ("|", ">"):
            i = start
            while i < end and text[i] not in _BREAK_CHARS:
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
            if nxt in _BREAK_CHARS:
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
            is_space = ch in _WHITESPACE
            k = j
            limit = min(len(units), j + _ALIGN_WINDOW)
            found = -1
            while k < limit:
                produced, s, _e = units[k]
                if produced is None:
                    raw = text[s]
                    if raw == ch or (is_space and raw in _WHITESPACE):
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


# --------------------------------------------------------------------------- LoadedYaml


PathElement = str | int


@dataclass(frozen=True)
class LoadedYaml:
    """Plain data loaded from YAML plus the position of every node.

    ``data`` holds only ``dict`` (insertion-ordered, ``str`` keys), ``list``, ``str``,
    ``int``, ``Decimal``, ``bool`` and ``None``. Paths are tuples of mapping keys (``str``)
    and sequence indices (``int``). A path that goes through an alias continues inside
    the anchored node, so positions point at the text the value was written in; a path
    that ends at an alias gives the alias itself.
    """

    data: object
    file: str
    text: str
    _root: _Node | None = field(default=None, repr=False, compare=False)
    _line_starts: tuple[int, ...] = field(default=(0,), repr=False, compare=False)

    def span(self, path: tuple[PathElement, ...] = ()) -> Span:
        """Position of the value at ``path``; for a missing path, of the nearest existing ancestor."""
        node, _key, _complete = self._walk(path)
        if node is None:
            return Span(self.file, 1, 1)
        return self._node_span(node)

    def key_span(self, path: tuple[PathElement, ...]) -> Span:
        """Position of the mapping key of the entry at ``path``.

        For a sequence item (no key) this is the item itself; for a missing path, the
        nearest existing ancestor's value, as ``span`` gives.
        """
        node, key, complete = self._walk(path)
        if node is None:
            return Span(self.file, 1, 1)
        if complete and key is not None:
            return self._node_span(key)
        return self._node_span(node)

    def locator(self, prefix: tuple[PathElement, ...] = ()) -> Callable[[tuple[object, ...]], Span]:
        """Where the value at a path inside the value at ``prefix`` is written (a household record's
        fields, whether the record is a file of its own or a worked case's ``household:``)."""

        def locate(path: tuple[object, ...]) -> Span:
            return self.span((*prefix, *(part for part in path if isinstance(part, (str, int)))))

        return locate

    def has_path(self, path: tuple[PathElement, ...]) -> bool:
        """Whether a node exists at ``path``."""
        node, _key, complete = self._walk(path)
        return node is not None and complete

    def scalar_source(self, path: tuple[PathElement, ...]) -> ScalarSource | None:
        """Character positions of the string at ``path``; None if it is missing or not a string."""
        node, _key, complete = self._walk(path)
        if node is None or not complete:
            return None
        return self._source_of(node)

    def key_source(self, path: tuple[PathElement, ...]) -> ScalarSource | None:
        """Character positions of the mapping key of the entry at ``path``."""
        _node, key, complete = self._walk(path)
        if key is None or not complete:
            return None
        return self._source_of(key)

    # -- helpers -----------------------------------------------------------------

    def _source_of(self, node: _Node) -> ScalarSource | None:
        node = _deref(node)
        if not isinstance(node, _Scalar) or not isinstance(node.value, str):
            return None
        if node.source is None:
            node.source = ScalarSource(
                file=self.file,
                value=node.value,
                style=node.style,
                start=node.token_start,
                end=node.token_end,
                text=self.text,
                line_starts=self._line_starts,
            )
        return node.source

    def _node_span(self, node: _Node) -> Span:
        return _make_span(self.file, self._line_starts, node.start, node.end)

    def _walk(self, path: tuple[PathElement, ...]) -> tuple[_Node | None, _Node | None, bool]:
        """(deepest node reached, its key node if it is a mapping entry, whether all of path was found)."""
        node = self._root
        key: _Node | None = None
        if node is None:
            return None, None, not path
        for element in path:
            here = _deref(node)
            if isinstance(here, _Map) and isinstance(element, str) and element in here.entries:
                key, node = here.entries[element]
            elif (isinstance(here, _Seq) and isinstance(element, int) and not isinstance(element, bool)
                  and 0 <= element < len(here.items)):
                key, node = None, here.items[element]
            else:
                return node, key, False
        return node, key, True


# --------------------------------------------------------------------------- loading


class _Stop(Exception):
    """Internal: a fatal problem was recorded; stop and report what was collected."""


class _EventLoader(yaml.SafeLoader):
    """The safe loader, used only for its reader, scanner and parser (events with marks)."""


@dataclass
class _Frame:
    node: _Seq | _Map
    path: tuple[PathElement, ...]
    key: _Node | None = None
    key_text: str | None = None
    has_key: bool = False


def _begin(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.index if mark is not None else 0


def _finish(event: yaml.Event) -> int:
    mark = event.end_mark
    return mark.index if mark is not None else _begin(event)


def _format_path(path: tuple[PathElement, ...]) -> str:
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += ("." if out else "") + element
    return out


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_STANDARD_PREFIX):] if tag.startswith(_STANDARD_PREFIX) else tag


class _Loader:
    def __init__(self, text: str, file: str, max_alias_expansions: int, max_depth: int) -> None:
        self.text = text
        self.file = file
        self.lines = _line_starts(text)
        self.max_alias_expansions = max_alias_expansions
        self.max_copied_nodes = max(0, max_alias_expansions) * 100
        self.max_depth = max_depth
        self.diagnostics: list[Diagnostic] = []
        self.anchors: dict[str, _Node] = {}
        self.open_collections: set[int] = set()
        self.alias_count = 0
        self.copied_nodes = 0

    # -- reporting ---------------------------------------------------------------

    def span(self, start: int, end: int | None = None) -> Span:
        return _make_span(self.file, self.lines, start, end)

    def error(self, message: str, start: int, end: int | None = None, notes: tuple[str, ...] = (),
              related: tuple[Related, ...] = (), path: FieldPath | None = None) -> None:
        self.diagnostics.append(Diagnostic(CODE, message, self.span(start, end), notes, path=path, related=related))

    def fatal(self, message: str, start: int, end: int | None = None, notes: tuple[str, ...] = ()) -> _Stop:
        self.error(message, start, end, notes)
        return _Stop()

    def line_of(self, index: int) -> int:
        return _line_col(self.lines, index)[0]

    # -- composing -----------------------------------------------------------------

    def compose(self) -> _Node | None:
        loader = _EventLoader(self.text)
        try:
            loader.get_event()  # stream start
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                return None
            root = self._document(loader)
            event = loader.get_event()
            if not isinstance(event, yaml.StreamEndEvent):
                raise self.fatal(
                    "one YAML document per file",
                    _begin(event),
                    notes=("remove the '---' line, or split the documents into separate files",),
                )
            return root
        finally:
            loader.dispose()

    def _start_of(self, event: yaml.NodeEvent) -> int:
        """Offset of the node's own text, after any anchor or tag in front of it."""
        start = _begin(event)
        end = _finish(event)
        if event.anchor is None and getattr(event, "tag", None) is None:
            return start
        text = self.text
        i = start
        for _ in range(3):
            while i < end and text[i] in _WHITESPACE:
                i += 1
            if i < end and text[i] == "#":
                while i < end and text[i] not in _BREAK_CHARS:
                    i += 1
                continue
            if i < end and text[i] in "&!":
                if text.startswith("!<", i):
                    close = text.find(">", i, end)
                    i = end if close < 0 else close + 1
                else:
                    while i < end and text[i] not in _WHITESPACE and text[i] not in ",[]{}":
                        i += 1
                continue
            break
        return min(i, end)

    def _document(self, loader: _EventLoader) -> _Node | None:
        stack: list[_Frame] = []
        root: _Node | None = None
        while True:
            event = loader.get_event()
            node: _Node
            if isinstance(event, yaml.DocumentEndEvent):
                return root
            if isinstance(event, yaml.ScalarEvent):
                node = self._scalar(event)
                self._anchor(event, node)
            elif isinstance(event, yaml.AliasEvent):
                node = self._alias(event)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth = len(stack) + 1
                start = self._start_of(event)
                if depth > self.max_depth:
                    raise self.fatal(
                        f"nesting is too deep (more than {self.max_depth} levels)", start,
                        notes=("split the structure up or flatten it",),
                    )
                self._check_collection_tag(event, start)
                flow = bool(event.flow_style)
                collection: _Seq | _Map
                if isinstance(event, yaml.SequenceStartEvent):
                    collection = _Seq(start, _finish(event), flow)
                else:
                    collection = _Map(start, _finish(event), flow)
                self._anchor(event, collection)
                self.open_collections.add(id(collection))
                path = self._child_path(stack)
                stack.append(_Frame(collection, path))
                continue
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                collection = frame.node
                self.open_collections.discard(id(collection))
                collection.end = self._collection_end(collection, _finish(event))
                node = collection
            else:  # pragma: no cover - the parser sends nothing else inside a document
                raise self.fatal("could not parse YAML: unexpected structure", _begin(event))
            if not stack:
                root = node
            else:
                self._attach(stack[-1], node)

    def _child_path(self, stack: list[_Frame]) -> tuple[PathElement, ...]:
        if not stack:
            return ()
        parent = stack[-1]
        if isinstance(parent.node, _Seq):
            return (*parent.path, len(parent.node.items))
        if parent.has_key:
            return (*parent.path, parent.key_text if parent.key_text is not None else "?")
        return (*parent.path, "?")

    def _collection_end(self, node: _Seq | _Map, end_mark: int) -> int:
        if node.flow:
            return end_mark
        last: _Node | None = None
        if isinstance(node, _Seq):
            last = node.items[-1] if node.items else None
        elif node.entries:
            last = next(reversed(node.entries.values()))[1]
        if last is not None:
            return max(last.end, node.start)
        end = end_mark
        while end > node.start and self.text[end - 1] in _WHITESPACE:
            end -= 1
        return end

    def _anchor(self, event: yaml.NodeEvent, node: _Node) -> None:
        name = event.anchor
        if name is None:
            return
        previous = self.anchors.get(name)
        if previous is not None:
            self.error(
                f"anchor '&{name}' is defined twice (first defined at line {self.line_of(previous.start)})",
                _begin(event),
                _begin(event) + 1 + len(name),
                related=(Related(self.span(previous.start), "the first definition of the anchor"),),
            )
        self.anchors[name] = node

    def _alias(self, event: yaml.AliasEvent) -> _Node:
        name = event.anchor or ""
        start, end = _begin(event), _finish(event)
        target = self.anchors.get(name)
        if target is None:
            self.error(f"alias '*{name}' refers to an anchor that is not defined before it", start, end,
                       notes=("define the anchor with '&name' before using '*name'",))
            return _Scalar(start, end, None, "", None, start, end)
        if id(target) in self.open_collections:
            raise self.fatal(f"recursive alias '*{name}': the anchored node contains itself", start, end)
        return _Alias(start, end, name, target)

    def _check_collection_tag(self, event: yaml.CollectionStartEvent, start: int) -> None:
        tag = event.tag
        if tag in (None, "!", _SEQ_TAG if isinstance(event, yaml.SequenceStartEvent) else _MAP_TAG):
            return
        self.error(f"YAML tags are not supported (found {_show_tag(tag)})", _begin(event), start)

    def _scalar(self, event: yaml.ScalarEvent) -> _Scalar:
        start = self._start_of(event)
        token_end = _finish(event)
        end = token_end
        style = event.style
        if style in ("|", ">"):
            while end > start and self.text[end - 1] in _WHITESPACE:
                end -= 1
        value = self._scalar_value(event, start, end)
        if isinstance(value, str) and _SURROGATE.search(value):
            value = self._paired(value, start, end)
        return _Scalar(start, end, value, event.value, style, start, token_end)

    def _paired(self, value: str, start: int, end: int) -> str:
        """Escapes written as UTF-16 pairs (``"\\ud83d\\ude00"``) joined into the character they
        stand for; half a pair is an error (it cannot be printed or saved as UTF-8)."""
        joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        if "\ufffd" in joined and "\ufffd" not in value:
            self.error("an escape is half of a UTF-16 pair (\\ud800–\\udfff); write the character itself",
                       start, end)
            return value.encode("utf-8", "replace").decode("utf-8")
        return joined

    def _scalar_value(self, event: yaml.ScalarEvent, start: int, end: int) -> object:
        raw = event.value
        tag = event.tag
        if tag is not None and tag != "!":
            if tag != _STR_TAG:
                self.error(
                    f"YAML tags are not supported (found {_show_tag(tag)})", _begin(event), start,
                    notes=("remove the tag; write the value as plain text, a number, true/false or null",),
                )
            return raw
        if event.style is not None or tag == "!":
            return raw
        if raw in _NULLS:
            return None
        if raw in _BOOLS:
            return _BOOLS[raw]
        if _INT_RE.match(raw):
            try:
                return int(raw)
            except ValueError:
                self.error("this number has too many digits", start, end)
                return raw
        if _DECIMAL_RE.match(raw):
            try:
                return Decimal(raw)
            except (InvalidOperation, ValueError):
                self.error("this number is out of range", start, end)
                return raw
        return raw

    def _attach(self, frame: _Frame, node: _Node) -> None:
        parent = frame.node
        if isinstance(parent, _Seq):
            parent.items.append(node)
            return
        if not frame.has_key:
            frame.key = node
            frame.key_text = self._key_text(node)
            frame.has_key = True
            if frame.key_text is not None:
                existing = parent.entries.get(frame.key_text)
                if existing is not None:
                    where = _format_path((*frame.path, frame.key_text))
                    self.error(
                        f"duplicate key '{where}' (first defined at line {self.line_of(existing[0].start)})",
                        node.start, node.end,
                        related=(Related(self.span(existing[0].start, existing[0].end), "the first definition"),),
                        path=(*frame.path, frame.key_text),
                    )
                    frame.key_text = None
            return
        if frame.key_text is not None and frame.key is not None:
            parent.entries[frame.key_text] = (frame.key, node)
        frame.key = None
        frame.key_text = None
        frame.has_key = False

    def _key_text(self, node: _Node) -> str | None:
        target = _deref(node)
        if isinstance(target, _Scalar):
            if target is node and target.style is None and target.raw == "<<":
                self.error(
                    "merge keys ('<<') are not supported", node.start, node.end,
                    notes=("write the entries out in full",),
                )
                return None
            if isinstance(target.value, str):
                return target.value
            shown = "null" if target.value is None else target.raw
            self.error(
                "mapping keys must be text", node.start, node.end,
                notes=(f"the key {shown!r} is read as {_kind(target.value)}; put it in quotes to use it as text",),
            )
            return None
        kind = "a list" if isinstance(target, _Seq) else "a mapping"
        self.error("mapping keys must be text", node.start, node.end, notes=(f"this key is {kind}",))
        return None

    # -- converting to plain data ------------------------------------------------------

    def to_data(self, node: _Node | None) -> object:
        if node is None:
            return None
        return self._value(node, 0, None, frozenset())

    def _value(self, node: _Node, depth: int, via: _Alias | None, active: frozenset[int]) -> object:
        if via is not None:
            self.copied_nodes += 1
            if self.copied_nodes > self.max_copied_nodes:
                raise self._bomb(via)
        if isinstance(node, _Alias):
            self.alias_count += 1
            if self.alias_count > self.max_alias_expansions:
                raise self._bomb(node)
            target = node.target
            if id(target) in active:
                raise self.fatal(f"recursive alias '*{node.name}': the anchored node contains itself",
                                 node.start, node.end)
            return self._value(target, depth, node, active | {id(target)})
        if isinstance(node, _Scalar):
            return node.value
        depth += 1
        if depth > self.max_depth:
            place = via if via is not None else node
            raise self.fatal(f"nesting is too deep (more than {self.max_depth} levels)", place.start, place.end,
                             notes=("split the structure up or flatten it",))
        if isinstance(node, _Seq):
            return [self._value(item, depth, via, active) for item in node.items]
        assert isinstance(node, _Map)
        return {key: self._value(value, depth, via, active) for key, (_k, value) in node.entries.items()}

    def _bomb(self, alias: _Alias) -> _Stop:
        return self.fatal(
            f"too many alias expansions (limit {self.max_alias_expansions}): possible alias bomb",
            alias.start, alias.end,
        )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, Decimal)):
        return "a number"
    return "a non-text value"


# --------------------------------------------------------------------------- pre-checks


def _decode(data: bytes, file: str) -> str:
    data = data.removeprefix(_BOM_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
        prefix = data[:bad].decode("utf-8", errors="replace")
        line, col = _line_col(_line_starts(prefix), len(prefix))
        raise DiagnosticError([
            Diagnostic(
                CODE,
                f"not UTF-8: byte 0x{data[bad]:02x} at line {line} column {col}",
                Span(file, line, col),
                ("save the file with UTF-8 encoding",),
            )
        ]) from None


def _check_characters(text: str, file: str, lines: tuple[int, ...]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for match in _NON_PRINTABLE.finditer(text):
        index = match.start()
        line, col = _line_col(lines, index)
        found.append(Diagnostic(
            CODE,
            f"character U+{ord(match.group()):04X} is not allowed in a YAML file (line {line} column {col})",
            Span(file, line, col),
            ("remove the character or write it as an escape inside a double-quoted string",),
        ))
        if len(found) >= 10:
            break
    return found


def _check_tabs(text: str, file: str, lines: tuple[int, ...]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    n = len(text)
    for number, start in enumerate(lines, 1):
        i = start
        while i < n and text[i] in " \t":
            if text[i] == "\t":
                col = i - start + 1
                found.append(Diagnostic(
                    CODE,
                    f"a tab is used for indentation at line {number}; YAML needs spaces",
                    Span(file, number, col, number, col + 1),
                ))
                break
            i += 1
        if len(found) >= 20:
            break
    return found


# --------------------------------------------------------------------------- entry points


def load_yaml(path: Path, *, max_alias_expansions: int = 1000, max_bytes: int = 5_000_000,
              max_depth: int = 64, name: str | None = None) -> LoadedYaml:
    """Read and load one YAML file; see ``load_yaml_text``. ``name`` is how diagnostics name the file."""
    file = name or str(path)
    try:
        data = _read_regular(path, max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DiagnosticError([Diagnostic(CODE, f"cannot read the file: {reason}", Span(file, 1, 1))]) from None
    return load_yaml_text(data, file, max_alias_expansions=max_alias_expansions, max_bytes=max_bytes,
                          max_depth=max_depth)


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file; a FIFO, a device or a folder is refused, never waited on."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, a device or a folder is never read)")
        return handle.read(limit)


def load_yaml_text(text_or_bytes: str | bytes, file: str, *, max_alias_expansions: int = 1000,
                   max_bytes: int = 5_000_000, max_depth: int = 64) -> LoadedYaml:
    """Load one YAML document from text or UTF-8 bytes, keeping positions.

    Raises ``DiagnosticError`` (code ``E-YAML``, every diagnostic located in ``file``) for
    any problem; never another exception for any input. An empty document gives
    ``data`` ``None``.

    Limits: at most ``max_bytes`` bytes of UTF-8; at most ``max_depth`` nested
    collections (after alias expansion); at most ``max_alias_expansions`` aliases
    expanded (each use counts, including uses inside expanded aliases) and at most
    100 times that many nodes copied by alias expansion.
    """
    if isinstance(text_or_bytes, (bytearray, memoryview)):
        text_or_bytes = bytes(text_or_bytes)
    if not isinstance(text_or_bytes, (str, bytes)):
        raise TypeError(f"load_yaml_text needs str or bytes, not {type(text_or_bytes).__name__}")
    try:
        return _load(text_or_bytes, file, max_alias_expansions, max_bytes, max_depth)
    except DiagnosticError:
        raise
    except RecursionError:
        raise DiagnosticError([
            Diagnostic(CODE, "nesting is too deep to read", Span(file, 1, 1))
        ]) from None
    except Exception as exc:  # the boundary: no other exception type leaves this function
        raise DiagnosticError([
            Diagnostic(CODE, f"could not read YAML: {type(exc).__name__}: {exc}", Span(file, 1, 1))
        ]) from exc


def _too_large(size: int, max_bytes: int, file: str) -> DiagnosticError:
    return DiagnosticError([
        Diagnostic(CODE, f"the file is too large ({size} bytes; the limit is {max_bytes})", Span(file, 1, 1))
    ])


def _load(source: str | bytes, file: str, max_alias_expansions: int, max_bytes: int,
          max_depth: int) -> LoadedYaml:
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            raise _too_large(len(source), max_bytes, file)
        text = _decode(source, file)
    else:
        if len(source) > max_bytes:
            raise _too_large(len(source), max_bytes, file)
        size = len(source.encode("utf-8", errors="surrogatepass"))
        if size > max_bytes:
            raise _too_large(size, max_bytes, file)
        text = source.removeprefix("\ufeff")

    lines = _line_starts(text)
    problems = _check_characters(text, file, lines)
    problems += _check_tabs(text, file, lines)
    if problems:
        raise DiagnosticError(problems)

    loader = _Loader(text, file, max_alias_expansions, max_depth)
    try:
        root = loader.compose()
        if loader.diagnostics:
            raise DiagnosticError(loader.diagnostics)
        data = loader.to_data(root)
    except _Stop:
        raise DiagnosticError(loader.diagnostics) from None
    except yaml.MarkedYAMLError as exc:
        raise DiagnosticError([*loader.diagnostics, _syntax_diagnostic(exc, file, text)]) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(lines, min(max(exc.position, 0), len(text)))
        raise DiagnosticError([
            *loader.diagnostics,
            Diagnostic(CODE, f"could not read YAML: {exc.reason}", Span(file, line, col)),
        ]) from None
    if loader.diagnostics:
        raise DiagnosticError(loader.diagnostics)
    return LoadedYaml(data=data, file=file, text=text, _root=root, _line_starts=lines)


_HINTS = {
    "mapping values are not allowed here": "a value that contains ': ' must be put in quotes",
    "could not find expected ':'": "check the indentation, and that each key is followed by ':'",
    "did not find expected key": "check the indentation of this line against the lines above it",
    "did not find expected '-' indicator": "check the indentation of the list items",
    "found undefined alias": "define the anchor with '&name' before using '*name'",
}


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, file: str, text: str = "") -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is not None and exc.problem and text:
        from engine.base.yaml_indent import explain_indentation

        context = exc.context_mark
        found = explain_indentation(text, mark.line + 1, exc.problem, exc.context,
                                    context.line + 1 if context else None, context.column + 1 if context else None)
        if found is not None:
            return Diagnostic(CODE, f"indentation: {found.message}", Span(file, found.line, found.column))
    notes: list[str] = []
    if exc.context and exc.problem and exc.context_mark is not None:
        notes.append(f"{exc.context} at line {exc.context_mark.line + 1} column {exc.context_mark.column + 1}")
    for start, hint in _HINTS.items():
        if problem.startswith(start):
            notes.append(hint)
    span = Span(file, 1, 1)
    if mark is not None:
        span = Span(file, mark.line + 1, mark.column + 1)
    return Diagnostic(CODE, f"could not parse YAML: {problem}", span, tuple(notes))
