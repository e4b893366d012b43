"""The columnar program: checked rules compiled to column operations over whole tables of households.

A :class:`ColumnarProgram` compiles every rule of a region (``engine.batch.compiler``) and
runs the outputs asked for on a :class:`~engine.batch.column_batch.Batch`, each rule after
those it reads. Money and every other decimal is an exact rational held in int64 arrays
(``engine.language.columns``), so nothing is rounded before the output, as in the
interpreter; a row that could not be computed (a parameter left to be supplied, an unset
date, an overflow, a date outside the working-day calendar, an empty ``min``) is marked
*bad*, and the caller re-evaluates exactly those households with the interpreter. Rules the
compiler does not cover, and the rules that read them, are left to the interpreter
(``unsupported`` says why).

The pieces the batch readers and writers use are importable from here too: the batch
(``Batch``, ``Coded``, ``Deferred``, ``Vocab``, ``BATCH_COLUMNS``) and the kernel's outputs
(``Col``, ``ListTable``, ``decoded``, ``to_fen``, ``EPOCH``, ``outside_calendar``,
``make_dates``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from typing import Any

from engine.batch.column_batch import BATCH_COLUMNS, Batch, Deferred, Segments
from engine.batch.compiler import Code, Compiler, Context, Run
from engine.language import syntax as s
from engine.language.column_calendar import EPOCH, make_dates, outside_calendar
from engine.language.columns import Coded, Col, ListTable, NotColumnar, Vocab, decoded, to_fen
from engine.language.rule_order import dependency_order, rule_reads
from engine.policy.resolve import RuleCode

__all__ = [
    "BATCH_COLUMNS",
    "EPOCH",
    "Batch",
    "Coded",
    "Col",
    "ColumnarProgram",
    "Deferred",
    "ListTable",
    "Segments",
    "Vocab",
    "decoded",
    "make_dates",
    "outside_calendar",
    "to_fen",
]


class ColumnarProgram:
    """Rules compiled to column operations; ``unsupported`` names the rules left to the interpreter."""

    def __init__(self, rules: Mapping[str, RuleCode], parameters: Mapping[str, object]) -> None:
        self.rules = dict(rules)
        self.parameters = dict(parameters)
        self.code: dict[str, Code] = {}
        self.unsupported: dict[str, str] = {}
        self.shared_codes: dict[Any, Shared] = {}  # by shape, level and variables
        self._shapes: dict[int, Any] = {}
        for name, rule in self.rules.items():
            level = "member" if rule.scope == "member" else "household"
            context = Context(level, {"member": "member"} if rule.scope == "member" else {})
            try:
                self.code[name] = Compiler(self).compile(rule.body, context)
            except NotColumnar as why:
                self.unsupported[name] = str(why)
        self._shapes.clear()
        self._spread_unsupported()
        self.reads = {name: rule_reads(rule.body, self.rules) for name, rule in self.rules.items()}

    def shared(self, key: Any, compile_node: Callable[[], Code]) -> Code:
        """The code of a subexpression, compiled once for every place it appears (``key``: its shape and
        the level and variables it is read with)."""
        found = self.shared_codes.get(key)
        if found is None:
            found = self.shared_codes[key] = Shared(key, compile_node())
        else:
            found.uses += 1
        return found

    def shape(self, node: s.Node) -> Any:
        """A node as a hashable value without its places in the file: equal for the same text and types."""
        known = self._shapes.get(id(node))
        if known is not None:
            return known[1]
        parts: list[Any] = [type(node).__name__, s.type_of(node)]
        for name in _FIELDS.get(type(node)) or _fields_of(type(node)):
            value = getattr(node, name)
            if isinstance(value, s.Node):
                value = self.shape(value)
            elif isinstance(value, tuple):
                value = tuple(self.shape(v) if isinstance(v, s.Node) else v for v in value)
            parts.append((type(value).__name__, value))
        shape = tuple(parts)
        self._shapes[id(node)] = (node, shape)  # the node is kept so that its id is not reused meanwhile
        return shape

    def _spread_unsupported(self) -> None:
        """A rule that reads a rule left to the interpreter is left to it too."""
        changed = True
        while changed:
            changed = False
            for name in list(self.code):
                if any(used in self.unsupported for used in self._uses(name)):
                    self.unsupported[name] = "reads a rule the columnar compiler does not cover"
                    del self.code[name]
                    changed = True

    def _uses(self, name: str) -> set[str]:
        body = self.rules[name].body
        used = set()
        for node in s.walk(body):
            if isinstance(node, s.Name):
                used.add(node.dotted)
                used.update(".".join(node.parts[i:]) for i in range(1, len(node.parts)))
        return used & set(self.rules)

    def run(self, batch: Batch, as_of: date, outputs: list[str]) -> dict[str, Col]:
        run = Run(self, batch, as_of)
        wanted = [name for name in outputs if name in self.code]
        for _scope, name in self._order(wanted):  # each rule after those it reads: no deep recursion
            run.rule(name)
        return {name: run.rule(name) for name in wanted}

    def _order(self, wanted: list[str]) -> list[tuple[str, str]]:
        return dependency_order([(self.rules[n].scope, n) for n in wanted], self.reads)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_of(kind: type) -> tuple[str, ...]:
    """A node class's fields other than its place and its type (those are in every shape already)."""
    names = _FIELDS[kind] = tuple(f.name for f in fields(kind) if f.name not in ("span", "type"))
    return names


class Shared:
    """The code of a subexpression that may appear more than once: run once per batch when it does."""

    def __init__(self, key: Any, code: Code) -> None:
        self.key = key
        self.code = code
        self.uses = 1

    def __call__(self, run: Run) -> Col:
        if self.uses == 1:
            return self.code(run)
        value = run.shared.get(self.key)
        if value is None:
            value = run.shared[self.key] = self.code(run)
        return value
