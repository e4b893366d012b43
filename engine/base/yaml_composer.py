"""YAML composer: PyYAML's safe parser's events → position-carrying nodes → plain data.

Scalars are resolved narrowly (``true``/``false`` only, exact integers and decimals, the rest
text), tags other than ``!!str`` are refused, keys must be unique text, and alias expansion and
nesting are bounded; every problem is a located ``E-YAML`` diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml

from engine.base.diagnostics import Diagnostic, FieldPath, Related, Span
from engine.base.yaml_positions import (
    BREAK_CHARS,
    WHITESPACE,
    AliasNode,
    MappingNode,
    PathElement,
    ScalarNode,
    SequenceNode,
    YamlNode,
    deref,
    line_col,
    line_starts_of,
    make_span,
)

CODE = "E-YAML"
_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_DECIMAL_RE = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
SURROGATE = re.compile("[\ud800-\udfff]")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_STANDARD_PREFIX = "tag:yaml.org,2002:"


# --------------------------------------------------------------------------- loading


class Stop(Exception):
    """Internal: a fatal problem was recorded; stop and report what was collected."""


#: libyaml's parser is there when PyYAML was built with it: the same events and character offsets as
#: PyYAML's own parser, several times faster, but its own words for syntax errors.
HAS_LIBYAML: bool = bool(yaml.__with_libyaml__)


class EventLoader:
    """YAML parse events with their marks, from libyaml (``fast``) or from PyYAML's own parser."""

    def __init__(self, text: str, fast: bool = False) -> None:
        self._parser = yaml.CSafeLoader(text) if fast and HAS_LIBYAML else yaml.SafeLoader(text)

    def next_event(self) -> yaml.Event:
        """The parser's next event."""
        event: yaml.Event | None = self._parser.get_event()
        if event is None:  # only after the stream's end, which the composer never reads past
            raise yaml.YAMLError("no YAML event after the end of the stream")
        if isinstance(event, yaml.ScalarEvent) and not event.style:
            event.style = None  # libyaml marks a plain scalar with "", PyYAML with None
        return event

    def dispose(self) -> None:
        self._parser.dispose()


@dataclass
class _Frame:
    node: SequenceNode | MappingNode
    path: tuple[PathElement, ...]
    key: YamlNode | None = None
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


class Composer:
    def __init__(self, text: str, file: str, max_alias_expansions: int, max_depth: int,
                 fast: bool = HAS_LIBYAML) -> None:
        self.fast = fast
        self.text = text
        self.file = file
        self.lines = line_starts_of(text)
        self.max_alias_expansions = max_alias_expansions
        self.max_copied_nodes = max(0, max_alias_expansions) * 100
        self.max_depth = max_depth
        self._start_over()

    def _start_over(self) -> None:
        """Forget what a reading collected (before the text is read again)."""
        self.diagnostics: list[Diagnostic] = []
        self.anchors: dict[str, YamlNode] = {}
        self.open_collections: set[int] = set()
        self.alias_count = 0
        self.copied_nodes = 0

    # -- reporting ---------------------------------------------------------------

    def span(self, start: int, end: int | None = None) -> Span:
        return make_span(self.file, self.lines, start, end)

    def error(self, message: str, start: int, end: int | None = None, notes: tuple[str, ...] = (),
              related: tuple[Related, ...] = (), path: FieldPath | None = None) -> None:
        self.diagnostics.append(Diagnostic(CODE, message, self.span(start, end), notes, path=path, related=related))

    def fatal(self, message: str, start: int, end: int | None = None, notes: tuple[str, ...] = ()) -> Stop:
        self.error(message, start, end, notes)
        return Stop()

    def line_of(self, index: int) -> int:
        return line_col(self.lines, index)[0]

    # -- composing -----------------------------------------------------------------

    def compose(self) -> YamlNode | None:
        """The document's tree. Read with libyaml when ``fast``; a text libyaml cannot parse is read
        again from the start with PyYAML's parser, whose error words and positions the syntax
        diagnostics are written for (a text both can parse gives both the same events)."""
        if self.fast:
            try:
                return self._compose(EventLoader(self.text, fast=True))
            except (yaml.YAMLError, ValueError):
                self._start_over()
        return self._compose(EventLoader(self.text))

    def _compose(self, loader: EventLoader) -> YamlNode | None:
        try:
            loader.next_event()  # stream start
            event = loader.next_event()
            if isinstance(event, yaml.StreamEndEvent):
                return None
            root = self._document(loader)
            event = loader.next_event()
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
            while i < end and text[i] in WHITESPACE:
                i += 1
            if i < end and text[i] == "#":
                while i < end and text[i] not in BREAK_CHARS:
                    i += 1
                continue
            if i < end and text[i] in "&!":
                if text.startswith("!<", i):
                    close = text.find(">", i, end)
                    i = end if close < 0 else close + 1
                else:
                    while i < end and text[i] not in WHITESPACE and text[i] not in ",[]{}":
                        i += 1
                continue
            break
        return min(i, end)

    def _document(self, loader: EventLoader) -> YamlNode | None:
        stack: list[_Frame] = []
        root: YamlNode | None = None
        while True:
            event = loader.next_event()
            node: YamlNode
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
                collection: SequenceNode | MappingNode
                if isinstance(event, yaml.SequenceStartEvent):
                    collection = SequenceNode(start, _finish(event), flow)
                else:
                    collection = MappingNode(start, _finish(event), flow)
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
        if isinstance(parent.node, SequenceNode):
            return (*parent.path, len(parent.node.items))
        if parent.has_key:
            return (*parent.path, parent.key_text if parent.key_text is not None else "?")
        return (*parent.path, "?")

    def _collection_end(self, node: SequenceNode | MappingNode, end_mark: int) -> int:
        if node.flow:
            return end_mark
        last: YamlNode | None = None
        if isinstance(node, SequenceNode):
            last = node.items[-1] if node.items else None
        elif node.entries:
            last = next(reversed(node.entries.values()))[1]
        if last is not None:
            return max(last.end, node.start)
        end = end_mark
        while end > node.start and self.text[end - 1] in WHITESPACE:
            end -= 1
        return end

    def _anchor(self, event: yaml.NodeEvent, node: YamlNode) -> None:
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

    def _alias(self, event: yaml.AliasEvent) -> YamlNode:
        name = event.anchor or ""
        start, end = _begin(event), _finish(event)
        target = self.anchors.get(name)
        if target is None:
            self.error(f"alias '*{name}' refers to an anchor that is not defined before it", start, end,
                       notes=("define the anchor with '&name' before using '*name'",))
            return ScalarNode(start, end, None, "", None, start, end)
        if id(target) in self.open_collections:
            raise self.fatal(f"recursive alias '*{name}': the anchored node contains itself", start, end)
        return AliasNode(start, end, name, target)

    def _check_collection_tag(self, event: yaml.CollectionStartEvent, start: int) -> None:
        tag = event.tag
        if tag in (None, "!", _SEQ_TAG if isinstance(event, yaml.SequenceStartEvent) else _MAP_TAG):
            return
        self.error(f"YAML tags are not supported (found {_show_tag(tag)})", _begin(event), start)

    def _scalar(self, event: yaml.ScalarEvent) -> ScalarNode:
        start = self._start_of(event)
        token_end = _finish(event)
        end = token_end
        style = event.style
        if style in ("|", ">"):
            while end > start and self.text[end - 1] in WHITESPACE:
                end -= 1
        value = self._scalar_value(event, start, end)
        if isinstance(value, str) and SURROGATE.search(value):
            value = self._paired(value, start, end)
        return ScalarNode(start, end, value, event.value, style, start, token_end)

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

    def _attach(self, frame: _Frame, node: YamlNode) -> None:
        parent = frame.node
        if isinstance(parent, SequenceNode):
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

    def _key_text(self, node: YamlNode) -> str | None:
        target = deref(node)
        if isinstance(target, ScalarNode):
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
                notes=(f"the key {shown!r} is read as {kind_of(target.value)}; put it in quotes to use it as text",),
            )
            return None
        kind = "a list" if isinstance(target, SequenceNode) else "a mapping"
        self.error("mapping keys must be text", node.start, node.end, notes=(f"this key is {kind}",))
        return None

    # -- converting to plain data ------------------------------------------------------

    def to_data(self, node: YamlNode | None) -> object:
        if node is None:
            return None
        return self._value(node, 0, None, frozenset())

    def _value(self, node: YamlNode, depth: int, via: AliasNode | None, active: frozenset[int]) -> object:
        if via is not None:
            self.copied_nodes += 1
            if self.copied_nodes > self.max_copied_nodes:
                raise self._bomb(via)
        if isinstance(node, AliasNode):
            self.alias_count += 1
            if self.alias_count > self.max_alias_expansions:
                raise self._bomb(node)
            target = node.target
            if id(target) in active:
                raise self.fatal(f"recursive alias '*{node.name}': the anchored node contains itself",
                                 node.start, node.end)
            return self._value(target, depth, node, active | {id(target)})
        if isinstance(node, ScalarNode):
            return node.value
        depth += 1
        if depth > self.max_depth:
            place = via if via is not None else node
            raise self.fatal(f"nesting is too deep (more than {self.max_depth} levels)", place.start, place.end,
                             notes=("split the structure up or flatten it",))
        if isinstance(node, SequenceNode):
            return [self._value(item, depth, via, active) for item in node.items]
        assert isinstance(node, MappingNode)
        return {key: self._value(value, depth, via, active) for key, (_k, value) in node.entries.items()}

    def _bomb(self, alias: AliasNode) -> Stop:
        return self.fatal(
            f"too many alias expansions (limit {self.max_alias_expansions}): possible alias bomb",
            alias.start, alias.end,
        )


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, Decimal)):
        return "a number"
    return "a non-text value"
