"""Where each value of a JSON text is: positions by path, for locating problems.

``json.loads`` gives values without places. When a household record read from JSON has a
problem, ``JsonPositions(text).span(path)`` gives the line and column of the value (or of
its key) at a path such as ``("members", 1, "incomes", 0, "amount")``, the way
``LoadedYaml.span`` does for YAML. The text has already been parsed by ``json.loads``, so
it is well-formed; the scan is iterative (any nesting depth) and runs only for a record
that has problems.
"""

from __future__ import annotations

import bisect
import json
import re

from engine.base.diagnostics import Span

PathElement = str | int
_SPACE = re.compile(r"[ \t\r\n]*")


def _skip_space(text: str, position: int) -> int:
    """Where the next character that is not JSON white space is (``position`` itself if none is skipped)."""
    found = _SPACE.match(text, position)  # matches everywhere: it may match nothing
    return found.end() if found is not None else position
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^\s,:\]}]+")


class JsonPositions:
    """Character offsets of every value and key of one JSON text, by path."""

    def __init__(self, text: str, file: str, first_line: int = 1) -> None:
        self.file = file
        self.first_line = first_line
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.values: dict[tuple[PathElement, ...], int] = {}
        self.keys: dict[tuple[PathElement, ...], int] = {}
        self._scan(text)

    def span(self, path: tuple[object, ...]) -> Span:
        """The place of the key of the entry at ``path`` (of the item, in a list); for a path that
        is not in the text, of its nearest ancestor."""
        for cut in range(len(path), -1, -1):
            here = tuple(part for part in path[:cut] if isinstance(part, (str, int)))
            if len(here) < cut:  # a part that is neither a key nor an index is in no JSON text
                continue
            offset = self.keys.get(here, self.values.get(here))
            if offset is not None:
                return self._at(offset)
        return Span(self.file, self.first_line, 1)

    def _at(self, offset: int) -> Span:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Span(self.file, self.first_line + line, offset - self.line_starts[line] + 1)

    def _scan(self, text: str) -> None:
        # Each open container: [path, next index (a list) or None (an object)].
        stack: list[list[object]] = []
        position = _skip_space(text, 0)
        path: tuple[PathElement, ...] = ()
        expecting_value = True
        while position < len(text):
            char = text[position]
            if expecting_value:
                self.values[path] = position
                if char in "{[":
                    stack.append([path, 0 if char == "[" else None])
                    position = _skip_space(text, position + 1)
                    if text[position:position + 1] in ("]", "}"):
                        expecting_value = False
                        continue
                    if char == "[":
                        path = (*path, 0)
                    else:
                        path, position = self._key(text, position, path)
                    continue
                found = (_STRING if char == '"' else _SCALAR).match(text, position)
                position = found.end() if found else position + 1
                expecting_value = False
            elif char == ",":
                frame = stack[-1]
                parent = frame[0]
                assert isinstance(parent, tuple)
                position = _skip_space(text, position + 1)
                if frame[1] is None:
                    path, position = self._key(text, position, parent)
                else:
                    assert isinstance(frame[1], int)
                    frame[1] += 1
                    path = (*parent, frame[1])
                expecting_value = True
                continue
            elif char in "]}":
                if not stack:
                    return
                parent = stack.pop()[0]
                assert isinstance(parent, tuple)
                path = parent
                position += 1
            else:
                position += 1
            position = _skip_space(text, position)

    def _key(self, text: str, position: int, parent: tuple[PathElement, ...]) -> tuple[tuple[PathElement, ...], int]:
        """Read ``"key":`` at ``position``: the entry's path and where its value starts."""
        found = _STRING.match(text, position)
        if found is None:
            return parent, position + 1
        key = json.loads(found.group())
        path = (*parent, key)
        self.keys[path] = position
        colon = _skip_space(text, found.end())
        return path, _skip_space(text, colon + 1)
