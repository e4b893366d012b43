"""The columnar compiler: a checked expression → a function computing its column for a whole batch.

The same checked expressions the interpreter runs are compiled to operations of the column
kernel (``engine.language.columns``) at a *level* (one value per household, per member, per
income…): built-in calls use the column form in the built-ins' table, household fields the
column reader in the fields' table, aggregations the reductions of ``engine.batch.reductions``.
Both branches of an ``if`` are computed and selected row by row; a row whose value could not
be computed is marked *bad* instead of raising (the caller asks the interpreter for exactly
those households). Constructs the compiler does not cover raise ``NotColumnar`` at compile
time; those rules go to the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.batch.column_batch import BATCH_COLUMNS, LIST_FIELDS, Batch, broadcast, column_values
from engine.batch.record_layout import ancestors
from engine.batch.reductions import empty_rows, reduce
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import BUILTINS, Duration, shift_column
from engine.language.column_calendar import EPOCH
from engine.language.columns import (
    I64,
    LARGEST,
    SMALLEST,
    Col,
    NotColumnar,
    Vocab,
    add_signed,
    as_rat,
    choose,
    compare,
    decimal_rat,
    guard,
    mul,
    rat_add,
    rat_div,
    rat_mul,
    select,
)
from engine.language.fields import HOUSEHOLD_NAMES, RECORD_FIELDS, Field
from engine.policy.resolve import Unavailable

if TYPE_CHECKING:
    from engine.batch.columnar import ColumnarProgram


@dataclass(frozen=True)
class Context:
    level: str
    variables: Mapping[str, str]


@dataclass(frozen=True)
class ListRef:
    owner: str
    child: str



Code = Callable[["Run"], Col]


class Run:
    """Evaluating one batch: memo of rule columns and the evaluation date. It is the ``Columns`` the
    household fields' column readers read."""

    def __init__(self, program: ColumnarProgram, batch: Batch, as_of: date) -> None:
        self.program = program
        self.batch = batch
        self.as_of = as_of
        self.as_of_days = as_of.toordinal() - EPOCH
        self.values: dict[str, Col] = {}
        self.variables: dict[str, Col] = {}
        self.cache: dict[str, Any] = {}
        self.shared: dict[Any, Col] = {}

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A column derived from the batch once per run (members' ages are read by many rules)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def stored(self, level: str, name: str) -> Any:
        return column_values(self.batch, level, name)

    def missing(self, level: str, name: str) -> Any:
        return self.batch.columns[level].get(f"{name}_missing", False)

    def children(self, level: str) -> np.ndarray:
        segments = self.batch.segments(level)
        return np.asarray(segments.ends - segments.starts)

    def rule(self, name: str) -> Col:
        if name not in self.values:
            self.values[name] = self.program.code[name](self)
        return self.values[name]


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
    ">=": np.greater_equal,
}


class Compiler:
    """Compiles the expressions of one program's rules (see the module's docstring)."""

    def __init__(self, program: ColumnarProgram) -> None:
        self.program = program

    def type_of(self, node: s.Node) -> t.Type:
        return s.type_of(node)

    def compile(self, node: s.Node, context: Context) -> Code:
        """The code of a node; a subexpression met more than once in the program (the same text, types and
        variables, in any rule) is computed once per batch (``Shared``)."""
        if isinstance(node, s.Literal):
            return self.compile_node(node, context)
        key = (self.program.shape(node), context.level, tuple(sorted(context.variables.items())))
        return self.program.shared(key, lambda: self.compile_node(node, context))

    def compile_node(self, node: s.Node, context: Context) -> Code:
        match node:
            case s.Literal():
                return self.c_Literal(node, context)
            case s.Name():
                return self.c_Name(node, context)
            case s.Unary():
                return self.c_Unary(node, context)
            case s.Binary():
                return self.c_Binary(node, context)
            case s.SetLiteral():
                return self.c_SetLiteral(node, context)
            case s.If():
                return self.c_If(node, context)
            case s.Cases():
                return self.c_Cases(node, context)
            case s.Call():
                return self.c_Call(node, context)
            case s.Aggregate():
                return self.c_Aggregate(node, context)
        raise NotColumnar(type(node).__name__)  # pragma: no cover - every node kind is matched above

    # --- leaves --------------------------------------------------------------------------
    def c_Literal(self, node: s.Literal, context: Context) -> Code:
        value: object = node.value
        if node.kind == "duration" and isinstance(value, (int, Decimal)):
            value = Duration(int(value), node.unit)
        col = constant(value, self.type_of(node))
        return lambda run: col

    def c_Name(self, node: s.Name, context: Context) -> Code:
        head = node.parts[0]
        if head in context.variables:
            return self.variable_path(node, context)
        dotted = node.dotted
        if dotted in self.program.rules:
            rule = self.program.rules[dotted]
            if rule.scope == "member":
                raise NotColumnar("a member rule read outside a member")
            return self.lifted(lambda run: run.rule(dotted), "household", context)
        if dotted == "as_of":
            return lambda run: Col("date", np.asarray(run.as_of_days, dtype=I64))
        read = field_reader("household", dotted)
        if read is not None:
            return self.lifted(read, "household", context)
        if dotted in ("members", "events", "requests"):
            raise NotColumnar(f"{dotted} outside an aggregation")
        if dotted not in self.program.parameters:
            raise NotColumnar(f"unknown name {dotted}")
        col = parameter_column(self.program.parameters[dotted], self.type_of(node))
        return lambda run: col

    def lifted(self, code: Code, level: str, context: Context) -> Code:
        if context.level == level:
            return code
        if level not in ancestors(context.level):
            raise NotColumnar(f"{level} value read at {context.level}")
        return lambda run: broadcast(code(run), run.batch, level, context.level)

    def variable_path(self, node: s.Name, context: Context) -> Code:
        level = context.variables[node.parts[0]]
        path = node.parts[1:]
        if not path:
            raise NotColumnar("a record used as a value")
        field_name = path[0]
        if (level, field_name) in LIST_FIELDS:
            raise NotColumnar("a list outside an aggregation")
        read = field_reader(level, field_name) if len(path) == 1 else None
        if read is not None:
            return self.lifted(read, level, context)
        rule_name = ".".join(path)
        if level == "member" and rule_name in self.program.rules and self.program.rules[rule_name].scope == "member":
            return self.lifted(lambda run: run.rule(rule_name), "member", context)
        raise NotColumnar(f"field {'.'.join(node.parts)}")

    def list_ref(self, node: s.Node, context: Context) -> ListRef:
        if not isinstance(node, s.Name):
            raise NotColumnar("an aggregation over a computed list")
        if len(node.parts) == 1 and ("household", node.parts[0]) in LIST_FIELDS:
            return ListRef("household", LIST_FIELDS[("household", node.parts[0])])
        if len(node.parts) == 2 and node.parts[0] in context.variables:
            owner = context.variables[node.parts[0]]
            child = LIST_FIELDS.get((owner, node.parts[1]))
            if child is not None:
                return ListRef(owner, child)
        raise NotColumnar(f"aggregation over {'.'.join(node.parts)}")

    # --- operators -----------------------------------------------------------------------
    def c_Unary(self, node: s.Unary, context: Context) -> Code:
        operand = self.compile(node.operand, context)
        if node.op == "not":
            return lambda run: _not(operand(run))
        return lambda run: _negate(operand(run))

    def c_Binary(self, node: s.Binary, context: Context) -> Code:
        op = node.op
        left = self.compile(node.left, context)
        if op in ("in", "not in"):
            return self.membership(node, left, context)
        right = self.compile(node.right, context)
        if op in ("and", "or"):
            return lambda run: _logical(op, left(run), right(run))
        left_type, right_type = self.type_of(node.left), self.type_of(node.right)
        if op in _COMPARE:
            operator = _COMPARE[op]
            return lambda run: compare(left(run), right(run), operator)
        if left_type == t.DATE:
            sign = 1 if op == "+" else -1
            return lambda run: shift_column(left(run), _duration(right(run)), sign)
        if isinstance(left_type, t.Duration) or isinstance(right_type, t.Duration):
            raise NotColumnar("duration arithmetic")
        if op == "+":
            return lambda run: _arith(left(run), right(run), 1)
        if op == "-":
            return lambda run: _arith(left(run), right(run), -1)
        if op == "*":
            return lambda run: _times(left(run), right(run))
        return lambda run: rat_div(left(run), right(run))

    def membership(self, node: s.Binary, left: Code, context: Context) -> Code:
        negate = node.op == "not in"
        right_node = node.right
        if isinstance(right_node, s.SetLiteral) and all(isinstance(i, s.Literal) for i in right_node.items):
            values = {i.value for i in right_node.items if isinstance(i, s.Literal)}
        elif isinstance(right_node, s.Name) and right_node.dotted in self.program.parameters:
            raw = self.program.parameters[right_node.dotted]
            if isinstance(raw, Unavailable) or not isinstance(raw, (frozenset, set, tuple)):
                raise NotColumnar("membership in a parameter without a value")
            values = set(raw)
        else:
            raise NotColumnar("membership in a computed set")
        if any(isinstance(v, (Decimal, date)) for v in values):
            raise NotColumnar("membership of decimals or dates")
        choices = np.array(sorted(values, key=str), dtype=object)

        def member(run: Run) -> Col:
            col = left(run)
            if col.kind == "list":
                raise NotColumnar("membership of a list")
            if col.kind == "cat":
                codes = col.den.codes(values)
                if len(codes) == 1:  # one word: compare codes rather than read a table per row
                    found = np.asarray(col.data) == codes[0]
                else:
                    member_of = np.zeros(len(col.den.values), dtype=bool)
                    member_of[codes] = True
                    found = member_of[np.asarray(col.data)]
            else:
                found = np.isin(np.asarray(col.data, dtype=object), choices)
            return Col("bool", ~found if negate else found, 1, col.bad)

        return member

    def c_SetLiteral(self, node: s.SetLiteral, context: Context) -> Code:
        raise NotColumnar("a set outside 'in'")

    def c_If(self, node: s.If, context: Context) -> Code:
        condition = self.compile(node.condition, context)
        words = enum_vocabulary(self.type_of(node))
        then = self.choice(node.then, context, words)
        otherwise = self.choice(node.otherwise, context, words)
        return lambda run: select(condition(run), then(run), otherwise(run))

    def c_Cases(self, node: s.Cases, context: Context) -> Code:
        words = enum_vocabulary(self.type_of(node))
        rows = [(self.compile(r.condition, context), self.choice(r.value, context, words)) for r in node.rows]
        if node.otherwise is None:
            raise NotColumnar("a table without else")
        fallback = self.choice(node.otherwise, context, words)

        def table(run: Run) -> Col:
            result = fallback(run)
            for condition, value in reversed(rows):
                result = select(condition(run), value(run), result)
            return result

        return table

    def choice(self, node: s.Node, context: Context, words: Vocab | None) -> Code:
        """One value an ``if`` or a table chooses: a text constant of an enumeration is its code in the
        enumeration's vocabulary (a choice between such constants is then a column of codes, which
        comparisons and ``in`` read as integers)."""
        if words is not None and isinstance(node, s.Literal) and isinstance(node.value, str) \
                and node.value in words.index:
            col = Col("cat", np.asarray(words.index[node.value], dtype=np.int16), words)
            return lambda run: col
        return self.compile(node, context)

    def c_Call(self, node: s.Call, context: Context) -> Code:
        builtin = BUILTINS.get(node.function)
        if builtin is None or builtin.column is None:
            raise NotColumnar(f"function {node.function}" + (f": {builtin.no_column}" if builtin else ""))
        function = builtin.column
        args = [self.compile(a, context) for a in node.args]
        result_type = self.type_of(node)
        return lambda run: function([a(run) for a in args], result_type)

    def c_Aggregate(self, node: s.Aggregate, context: Context) -> Code:
        source = self.list_ref(node.source, context)
        if source.owner not in ancestors(context.level):
            raise NotColumnar("an aggregation over another branch")
        inner_vars = {v: lvl for v, lvl in context.variables.items()
                      if lvl in ancestors(source.child)[1:]}
        inner = Context(source.child, {**inner_vars, node.var: source.child})
        counted = Col("bool", np.asarray(True))
        body = self.compile(node.body, inner) if node.function != "count" else (lambda run: counted)
        condition = self.compile(node.condition, inner) if node.condition is not None else None
        kind = node.function
        result_type = self.type_of(node)

        def aggregate(run: Run) -> Col:
            values = body(run)
            chosen = condition(run) if condition is not None else None
            return reduce(kind, run.batch, source.child, values, chosen, result_type)

        lifted = self.lifted(aggregate, source.owner, context)
        if node.default is None:
            return lifted
        # The ``else`` value may read the caller's own variables (``else e.date`` inside a loop over
        # events), so it is computed at the caller's level and chosen, after lifting, where the
        # aggregation had nothing to pick.
        default = self.compile(node.default, context)
        emptiness = self.lifted(
            lambda run: empty_rows(run.batch, source.child, condition(run) if condition else None),
            source.owner, context)

        def with_default(run: Run) -> Col:
            picked = lifted(run)
            empty = emptiness(run)
            picked = Col(picked.kind, picked.data, picked.den, choose(empty.data, False, picked.bad))
            return select(empty, default(run), picked)

        return with_default



@lru_cache(maxsize=256)
def enum_vocabulary(type_: t.Type) -> Vocab | None:
    """One vocabulary per enumeration (so that two choices of the same type share it), or None."""
    if not isinstance(type_, t.Enum) or not type_.values or len(type_.values) > 30_000:
        return None
    return Vocab(tuple(sorted(type_.values)))


def constant(value: Any, type_: t.Type) -> Col:
    if isinstance(value, bool):
        return Col("bool", np.asarray(value))
    if isinstance(value, int):
        if abs(value) > LARGEST:
            return UNHELD
        if isinstance(type_, t.Money) or type_ in (t.NUMBER, t.RATE):
            return Col("rat", np.asarray(value, dtype=I64), 1)
        return Col("int", np.asarray(value, dtype=I64))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return UNHELD
        numerator, denominator = decimal_rat(value)
        if abs(numerator) > LARGEST or denominator > LARGEST:
            return UNHELD
        return Col("rat", np.asarray(numerator, dtype=I64), denominator)
    if isinstance(value, date):
        return Col("date", np.asarray(value.toordinal() - EPOCH, dtype=I64))
    if isinstance(value, Duration):
        return Col("duration", np.asarray(value.count, dtype=I64), value.unit)
    if isinstance(value, str):
        return Col("obj", np.asarray(value, dtype=object))
    if isinstance(value, (tuple, frozenset, list)):
        raise NotColumnar("a list constant")
    raise NotColumnar(f"a constant of type {type(value).__name__}")


# A value no int64 column holds exactly (a 29-digit amount, a rate with 25 decimals): every row that
# reads it is bad, so the interpreter answers those households exactly.
UNHELD = Col("bad", np.asarray(0, dtype=I64), 1, np.asarray(True))


def parameter_column(value: object, type_: t.Type) -> Col:
    if isinstance(value, Unavailable):
        return Col("bad", np.asarray(0, dtype=I64), 1, np.asarray(True))
    if isinstance(value, (frozenset, set, tuple)):
        raise NotColumnar("a set parameter read as a value")
    return constant(value, type_)



def _not(col: Col) -> Col:
    return Col("bool", ~np.asarray(col.data, dtype=bool), 1, col.bad)


def _negate(col: Col) -> Col:
    data = np.asarray(col.data, dtype=I64)
    return Col(col.kind, -choose(data == SMALLEST, 0, data), col.den, col.bad | (data == SMALLEST))


def _logical(op: str, left: Col, right: Col) -> Col:
    a = np.asarray(left.data, dtype=bool)
    b = np.asarray(right.data, dtype=bool)
    right_bad = right.bad if np.any(right.bad) else False
    if op == "and":  # a false left side makes the right side irrelevant (short circuit)
        return Col("bool", a & b, 1, left.bad | (a & right_bad) if right_bad is not False else left.bad)
    return Col("bool", a | b, 1, left.bad | (~a & right_bad) if right_bad is not False else left.bad)



def _arith(left: Col, right: Col, sign: int) -> Col:
    if left.kind == "int" and right.kind == "int":
        data = add_signed(left.data, right.data, sign)
        return Col("int", data, 1, left.bad | right.bad | guard((left.data, 2), (right.data, 2)))
    if left.kind == "duration" and right.kind == "duration":
        raise NotColumnar("duration arithmetic")
    return rat_add(_numeric(left), _numeric(right), sign)


def _times(left: Col, right: Col) -> Col:
    if left.kind == "int" and right.kind == "int":
        bad = left.bad | right.bad | guard((left.data, right.data))
        return Col("int", mul(left.data, right.data), 1, bad)
    return rat_mul(_numeric(left), _numeric(right))


def _numeric(col: Col) -> Col:
    if col.kind == "bad":
        return Col("rat", col.data, 1, col.bad)
    return as_rat(col)



def _duration(col: Col) -> Col:
    if col.kind != "duration":
        raise NotColumnar("date arithmetic with a non-duration")
    return col


def field_reader(level: str, name: str) -> Code | None:
    """How to read a field of the record at a level (``status.tekun`` at the household, ``kind`` at an
    income): its column reader in the fields' table, or else the batch column of the field's name; None
    when neither exists (the field is then left to the interpreter)."""
    table: Mapping[str, Field] = HOUSEHOLD_NAMES if level == "household" else RECORD_FIELDS.get(level, {})
    found = table.get(name)
    if found is None or (level == "household" and not name.startswith(("status.", "household."))):
        return None
    column = name.split(".")[-1] if level == "household" else name
    if found.column is None and column not in BATCH_COLUMNS.get(level, ()):
        return None
    return lambda run: found.read_column(run, level, column)
