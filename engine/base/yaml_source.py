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

This module is the entry point (reading, pre-checks, ``LoadedYaml``); events are composed
into nodes in ``yaml_composer``, and nodes and offsets become places in ``yaml_positions``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.yaml_composer import CODE, Composer, Stop
from engine.base.yaml_positions import (
    MappingNode,
    PathElement,
    ScalarNode,
    ScalarSource,
    SequenceNode,
    YamlNode,
    deref,
    line_col,
    line_starts_of,
    make_span,
)

__all__ = ["CODE", "LoadedYaml", "ScalarSource", "load_yaml", "load_yaml_text"]

_BOM_BYTES = b"\xef\xbb\xbf"
# Characters YAML does not allow anywhere in a stream (same set PyYAML's reader rejects).
NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --------------------------------------------------------------------------- LoadedYaml




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
    _root: YamlNode | None = field(default=None, repr=False, compare=False)
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

    def _source_of(self, node: YamlNode) -> ScalarSource | None:
        node = deref(node)
        if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
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

    def _node_span(self, node: YamlNode) -> Span:
        return make_span(self.file, self._line_starts, node.start, node.end)

    def _walk(self, path: tuple[PathElement, ...]) -> tuple[YamlNode | None, YamlNode | None, bool]:
        """(deepest node reached, its key node if it is a mapping entry, whether all of path was found)."""
        node = self._root
        key: YamlNode | None = None
        if node is None:
            return None, None, not path
        for element in path:
            here = deref(node)
            if isinstance(here, MappingNode) and isinstance(element, str) and element in here.entries:
                key, node = here.entries[element]
            elif (isinstance(here, SequenceNode) and isinstance(element, int) and not isinstance(element, bool)
                  and 0 <= element < len(here.items)):
                key, node = None, here.items[element]
            else:
                return node, key, False
        return node, key, True


# --------------------------------------------------------------------------- pre-checks


def _decode(data: bytes, file: str) -> str:
    data = data.removeprefix(_BOM_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
        prefix = data[:bad].decode("utf-8", errors="replace")
        line, col = line_col(line_starts_of(prefix), len(prefix))
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
    for match in NON_PRINTABLE.finditer(text):
        index = match.start()
        line, col = line_col(lines, index)
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

    lines = line_starts_of(text)
    problems = _check_characters(text, file, lines)
    problems += _check_tabs(text, file, lines)
    if problems:
        raise DiagnosticError(problems)

    loader = Composer(text, file, max_alias_expansions, max_depth)
    try:
        root = loader.compose()
        if loader.diagnostics:
            raise DiagnosticError(loader.diagnostics)
        data = loader.to_data(root)
    except Stop:
        raise DiagnosticError(loader.diagnostics) from None
    except yaml.MarkedYAMLError as exc:
        raise DiagnosticError([*loader.diagnostics, syntax_diagnostic(exc, file, text)]) from None
    except yaml.reader.ReaderError as exc:
        line, col = line_col(lines, min(max(exc.position, 0), len(text)))
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


def syntax_diagnostic(exc: yaml.MarkedYAMLError, file: str, text: str = "") -> Diagnostic:
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
