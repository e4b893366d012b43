"""Indentation mistakes in YAML, told in words: what the indentation means and how to fix it.

YAML reads structure from indentation, and a parser that meets a line indented by
mistake reports what it expected (``expected <block end>, but found '?'``), often on a
later line than the mistake. ``explain_indentation`` looks at the keys and list items
above the place the parser stopped (read with YAML's own scanner, so keys inside
``{...}`` or quoted text are not taken for block keys) and, when it recognises the
mistake, gives the line it is on, the column, and a message: which key is out of line,
with what YAML takes it to mean, and the column to move it to. It recognises

* a key indented less than the keys above it in the same item (``source:`` under the
  ``-`` of a dated value, or further left), read as a key of an outer mapping;
* a key indented more than the key above it, read as the rest of that key's value or
  as a mapping that cannot start there; or between two levels of keys;
* a list item (``- ``) out of line with the items above it.

Anything else returns None and the parser's own message stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_KEY_LINE = re.compile(r"^( *)(?:(- +))?([^\s#'\"{\[\]}:,-][^:#]*?|\"[^\"]*\"|'[^']*'):(?: |$)")
_DASH_LINE = re.compile(r"^( *)- ")


@dataclass(frozen=True)
class BlockKey:
    """A key of a block mapping (not inside ``{...}``): its line, column (1-based) and text."""

    line: int
    column: int
    name: str


@dataclass(frozen=True)
class Explanation:
    line: int
    column: int
    message: str


def explain_indentation(text: str, line: int, problem: str, context: str | None,
                        context_line: int | None, context_column: int | None) -> Explanation | None:
    """An explanation of the parser's error at ``line`` (1-based), or None when it is not an indentation mistake."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    keys, dashes = _structure(text, line)
    here = _line_key(lines[line - 1], line)
    if problem.startswith("mapping values are not allowed here") and here is not None:
        return _deeper_than_value(here, keys)
    if not problem.startswith("expected <block end>") or context_column is None or context_line is None:
        return None
    if "'-'" in problem:
        return _dash_out_of_line(lines[line - 1], line, dashes)
    if here is None:
        return None
    if context and "block collection" in context:
        return _under_the_dash(here, dashes, context_column)
    return _out_of_mapping(here, keys, context_column)


def _structure(text: str, stop: int) -> tuple[list[BlockKey], list[BlockKey]]:
    """Block keys and list items before line ``stop``, as YAML's scanner reads them."""
    keys: list[BlockKey] = []
    dashes: list[BlockKey] = []
    flow = 0
    pending_key = False
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            mark = token.start_mark
            if mark.line + 1 >= stop:
                break
            if isinstance(token, (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)):
                flow += 1
            elif isinstance(token, (yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)):
                flow = max(flow - 1, 0)
            elif isinstance(token, yaml.BlockEntryToken) and flow == 0:
                dashes.append(BlockKey(mark.line + 1, mark.column + 1, "-"))
            elif isinstance(token, yaml.KeyToken) and flow == 0:
                pending_key = True
                continue
            elif isinstance(token, yaml.ScalarToken) and pending_key:
                keys.append(BlockKey(mark.line + 1, mark.column + 1, str(token.value)))
            pending_key = False
    except yaml.YAMLError:
        pass
    return keys, dashes


def _line_key(text: str, line: int) -> BlockKey | None:
    found = _KEY_LINE.match(text)
    if found is None:
        return None
    column = len(found.group(1)) + len(found.group(2) or "") + 1
    return BlockKey(line, column, found.group(3).strip("'\""))


def _deeper_than_value(here: BlockKey, keys: list[BlockKey]) -> Explanation | None:
    """``value:`` indented under ``to: 2019-12-31``: YAML reads it as more words of that value."""
    above = keys[-1] if keys else None
    if above is None or above.column >= here.column:
        return None
    return Explanation(here.line, here.column, (
        f"`{here.name}:` is indented more than `{above.name}:` on line {above.line} (column {here.column}, not "
        f"{above.column}), so YAML reads it as more of the value of `{above.name}:`, which cannot hold `key: value`; "
        f"if it is a key of its own, indent it to column {above.column}, in line with `{above.name}:`"))


def _under_the_dash(here: BlockKey, dashes: list[BlockKey], list_column: int) -> Explanation | None:
    """``source:`` at the column of the ``-`` (or between it and the item's keys)."""
    item = next((d for d in reversed(dashes) if d.column == list_column), None)
    if item is None:
        return None
    item_keys = item.column + 2
    if not list_column <= here.column < item_keys:
        return None
    if here.column == list_column:
        meaning = (f"the column of the `- ` that starts the item at line {item.line}, whose keys are at column "
                   f"{item_keys}: YAML reads a key there as something new in the list, not part of the item, and a "
                   "list holds only `- ` items")
    else:
        meaning = (f"between the `- ` (column {list_column}) that starts the item at line {item.line} and the item's "
                   f"keys (column {item_keys}), so YAML cannot tell what it belongs to")
    return Explanation(here.line, here.column, (
        f"`{here.name}:` is at column {here.column}, {meaning}. Indent `{here.name}:` to column {item_keys}, in line "
        "with the item's keys"))


def _out_of_mapping(here: BlockKey, keys: list[BlockKey], mapping_column: int) -> Explanation | None:
    """A key deeper than its mapping: either this key is over-indented, or a key above it came out too far left."""
    if here.column <= mapping_column or not keys:
        return None
    last = keys[-1]
    before = keys[-2] if len(keys) > 1 else None
    if here.column < last.column:
        enclosing = next((k for k in reversed(keys) if k.column < last.column), None)
        whose = f"`{enclosing.name}`" if enclosing else "the mapping above"
        return Explanation(here.line, here.column, (
            f"`{here.name}:` is at column {here.column}, less than the keys of {whose} (column {last.column}, like "
            f"`{last.name}:` on line {last.line}) and more than the keys at column {mapping_column}, so YAML cannot "
            f"tell which mapping it belongs to. To keep it in {whose}, indent it to column {last.column}"))
    if last.column == mapping_column and before is not None and before.column == here.column:
        parent = next((k for k in reversed(keys) if k.column < mapping_column), None)
        owner = f"`{parent.name}`" if parent else "the mapping above"
        return Explanation(last.line, last.column, (
            f"`{last.name}:` is at column {last.column}, less than `{before.name}:` on line {before.line} (column "
            f"{before.column}), so YAML reads it as a key of {owner}, not of the mapping `{before.name}:` is in, and "
            f"`{here.name}:` on line {here.line} then has nothing to belong to. Indent `{last.name}:` to column "
            f"{before.column}, in line with `{before.name}:`"))
    return Explanation(here.line, here.column, (
        f"`{here.name}:` is at column {here.column}, more than `{last.name}:` on line {last.line} (column "
        f"{last.column}); a key indented further than the key above it would start a mapping inside that key's "
        f"value, which already has one. If it is a key of the same mapping, indent it to column {mapping_column}"))


def _dash_out_of_line(text: str, line: int, dashes: list[BlockKey]) -> Explanation | None:
    found = _DASH_LINE.match(text)
    if found is None:
        return None
    column = len(found.group(1)) + 1
    item = next((d for d in reversed(dashes) if d.column != column), None)
    if item is None:
        return None
    return Explanation(line, column, (
        f"this list item (`- `) is at column {column}, but the item above it, at line {item.line}, is at column "
        f"{item.column}; items of one list line up, so YAML cannot read this one as an item of that list. Move the "
        f"`- ` to column {item.column}"))
