"""Compile one checked expression into a tree of closures over an ``Evaluation``.

Every closure the compiler builds is chosen here by the node's kind and operator (no
``eval``, no attribute access from policy text): names become reads of rules, parameters,
household fields or an aggregation's variable (through its slot); operators become exact
``Decimal`` arithmetic and comparisons; calls go to the built-ins' one-household
implementations; aggregations charge their items to the household's budget. A failure
while evaluating (division by zero, a missing field, no matching row) is an
``EvaluationError`` located at the expression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import BUILTINS, BuiltinError, Duration, shift
from engine.language.constants import literal_value
from engine.language.fields import HOUSEHOLD_NAMES, RECORD_FIELDS, MissingValue
from engine.language.operators import ARITHMETIC, COMPARISONS, MEMBERSHIP
from engine.policy.resolve import Unavailable
from engine.runtime.evaluation import Evaluation, evaluation_error

if TYPE_CHECKING:
    from engine.runtime.interpreter import Program

Code = Callable[[Evaluation], Any]
ZERO = Decimal(0)


class ExpressionCompiler:
    """Turns one expression into closures; ``bound`` maps variable names to slots."""

    def __init__(self, program: Program, bound: dict[str, int], var_types: dict[str, t.Type]) -> None:
        self.program = program
        self.bound = bound
        self.var_types = var_types
        self.rule = "<expression>"

    def type_of(self, node: s.Node) -> t.Type:
        return s.type_of(node)

    def compile(self, node: s.Node, rule: str | None = None) -> Code:
        if rule is not None:
            self.rule = rule
        match node:
            case s.Literal():
                return self.c_Literal(node)
            case s.Name():
                return self.c_Name(node)
            case s.Unary():
                return self.c_Unary(node)
            case s.Binary():
                return self.c_Binary(node)
            case s.SetLiteral():
                return self.c_SetLiteral(node)
            case s.Call():
                return self.c_Call(node)
            case s.Aggregate():
                return self.c_Aggregate(node)
            case s.If():
                return self.c_If(node)
            case s.Cases():
                return self.c_Cases(node)
        raise TypeError(type(node).__name__)  # pragma: no cover

    def c_Literal(self, node: s.Literal) -> Code:
        value = literal_value(node)
        return lambda ev: value

    def c_Name(self, node: s.Name) -> Code:
        head = node.parts[0]
        if head in self.bound:
            return self.field_path(node, self.bound[head], node.parts[1:])
        dotted = node.dotted
        if dotted in HOUSEHOLD_NAMES:
            return self.household_name(dotted, node.span)
        if dotted in self.program.rules:
            return lambda ev: ev.rule(dotted)
        return self.parameter(dotted, node.span)

    def household_name(self, dotted: str, span: Span) -> Code:
        get = HOUSEHOLD_NAMES[dotted].get

        def read(ev: Evaluation) -> Any:
            try:
                value = get(ev.household, ev.as_of)
            except MissingValue as error:
                raise evaluation_error(span, str(error)) from None
            if ev.tracer is not None:
                ev.tracer.read("field", dotted, value)
            return value

        return read

    def parameter(self, dotted: str, span: Span) -> Code:
        if dotted not in self.program.parameters:
            raise DiagnosticError([Diagnostic("E-NAME", f"no value for {dotted!r} in this policy", span)])
        value = self.program.parameters[dotted]
        if isinstance(value, Unavailable):
            message = value.message

            def missing(ev: Evaluation) -> Any:
                raise evaluation_error(span, message)

            return missing

        def read(ev: Evaluation) -> Any:
            if ev.tracer is not None:
                ev.tracer.read("parameter", dotted, value)
            return value

        return read

    def field_path(self, node: s.Name, slot: int, path: tuple[str, ...]) -> Code:
        record_type: t.Type = self.var_types.get(node.parts[0], t.ANY)
        getters: list[Callable[[Any, Evaluation], Any]] = []
        for index, part in enumerate(path):
            assert isinstance(record_type, t.Record)
            fields = RECORD_FIELDS[record_type.label]
            if part not in fields and record_type.label == "member":
                rule_name = ".".join(path[index:])
                getters.append(_member_rule_getter(rule_name))
                break
            getters.append(_field_getter(fields[part].get, node.span))
            record_type = fields[part].type
        if len(getters) == 1:
            only = getters[0]
            return lambda ev: only(ev.slots[slot], ev)

        def read(ev: Evaluation) -> Any:
            value = ev.slots[slot]
            for getter in getters:
                value = getter(value, ev)
            return value

        return read

    def c_Unary(self, node: s.Unary) -> Code:
        operand = self.compile(node.operand)
        if node.op == "not":
            return lambda ev: not operand(ev)
        return lambda ev: -operand(ev)

    def c_Binary(self, node: s.Binary) -> Code:
        left = self.compile(node.left)
        right = self.compile(node.right)
        op = node.op
        if op == "and":
            return lambda ev: left(ev) and right(ev)
        if op == "or":
            return lambda ev: left(ev) or right(ev)
        if op in MEMBERSHIP:
            return self.membership(node, left, right)
        if op in COMPARISONS:
            compare = COMPARISONS[op]
            return lambda ev: compare(left(ev), right(ev))
        if self.type_of(node.left) == t.DATE:
            sign = 1 if op == "+" else -1
            span = node.span

            def shifted(ev: Evaluation) -> Any:
                try:
                    return shift(left(ev), right(ev), sign)
                except BuiltinError as error:
                    raise evaluation_error(span, str(error)) from None

            return shifted
        if op == "/":
            return self.division(node, left, right)
        if isinstance(self.type_of(node.left), t.Duration):
            sign = 1 if op == "+" else -1
            return lambda ev: _add_durations(left(ev), right(ev), sign)
        return _lambda_arith(ARITHMETIC[op], left, right)

    def division(self, node: s.Binary, left: Code, right: Code) -> Code:
        span = node.span

        def divide(ev: Evaluation) -> Any:
            denominator = right(ev)
            if not denominator:
                raise evaluation_error(span, "division by zero")
            return exact.div(left(ev), denominator)

        return divide

    def membership(self, node: s.Binary, left: Code, right: Code) -> Code:
        negate = node.op == "not in"
        if isinstance(node.right, s.SetLiteral) and all(isinstance(i, s.Literal) for i in node.right.items):
            constant = frozenset(literal_value(i) for i in node.right.items if isinstance(i, s.Literal))
            if negate:
                return lambda ev: left(ev) not in constant
            return lambda ev: left(ev) in constant
        if negate:
            return lambda ev: left(ev) not in right(ev)
        return lambda ev: left(ev) in right(ev)

    def c_SetLiteral(self, node: s.SetLiteral) -> Code:
        items = [self.compile(i) for i in node.items]
        return lambda ev: frozenset(item(ev) for item in items)

    def c_Call(self, node: s.Call) -> Code:
        impl = BUILTINS[node.function].impl
        args = [self.compile(a) for a in node.args]
        span = node.span

        def call(ev: Evaluation) -> Any:
            try:
                return impl(*[a(ev) for a in args])
            except BuiltinError as error:
                raise evaluation_error(span, str(error)) from None

        if len(args) == 1:
            only = args[0]

            def call_one(ev: Evaluation) -> Any:
                try:
                    return impl(only(ev))
                except BuiltinError as error:
                    raise evaluation_error(span, str(error)) from None

            return call_one
        return call

    def c_Aggregate(self, node: s.Aggregate) -> Code:
        slot = self.program._new_slot()
        source = self.compile(node.source)
        source_type = self.type_of(node.source)
        element = source_type.element if isinstance(source_type, t.ListOf) else t.ANY
        inner = ExpressionCompiler(self.program, {**self.bound, node.var: slot}, {**self.var_types, node.var: element})
        inner.rule = self.rule
        body = inner.compile(node.body)
        condition = inner.compile(node.condition) if node.condition is not None else None
        default = self.compile(node.default) if node.default is not None else None
        return _aggregate(node, self.type_of(node), slot, _counted(source, self.rule, node.span), body, condition,
                          default)

    def c_If(self, node: s.If) -> Code:
        condition = self.compile(node.condition)
        then = self.compile(node.then)
        otherwise = self.compile(node.otherwise)
        return lambda ev: then(ev) if condition(ev) else otherwise(ev)

    def c_Cases(self, node: s.Cases) -> Code:
        rows = [(self.compile(r.condition), self.compile(r.value)) for r in node.rows]
        otherwise = self.compile(node.otherwise) if node.otherwise is not None else None
        span = node.span

        def table(ev: Evaluation) -> Any:
            for condition, value in rows:
                if condition(ev):
                    return value(ev)
            if otherwise is None:
                raise evaluation_error(span, "no row of the decision table matches this household")
            return otherwise(ev)

        return table




def _member_rule_getter(rule_name: str) -> Callable[[Any, Evaluation], Any]:
    return lambda value, ev: ev.member_rule(rule_name, value)


def _field_getter(accessor: Callable[[Any, date], Any], span: Span) -> Callable[[Any, Evaluation], Any]:
    def get(value: Any, ev: Evaluation) -> Any:
        try:
            return accessor(value, ev.as_of)
        except MissingValue as error:  # an optional field the record leaves out (an expense's level)
            raise evaluation_error(span, str(error)) from None

    return get


def _add_durations(left: Duration, right: Duration, sign: int) -> Duration:
    return Duration(left.count + sign * right.count, left.unit)


def _lambda_arith(function: Callable[[Any, Any], Any], left: Code, right: Code) -> Code:
    return lambda ev: function(left(ev), right(ev))


def _counted(source: Code, rule: str, span: Span) -> Code:
    """An aggregation's items, charged to the household's budget before they are visited."""

    def items(ev: Evaluation) -> Any:
        found = source(ev)
        if not hasattr(found, "__len__"):
            found = tuple(found)
        ev.count_items(len(found), rule, span)
        return found

    return items


def _zero_of(result: t.Type) -> Any:
    return 0 if result == t.INT else ZERO


def _aggregate(node: s.Aggregate, result: t.Type, slot: int, source: Code, body: Code,
               condition: Code | None, default: Code | None) -> Code:
    kind = node.function
    span = node.span

    def selected(ev: Evaluation) -> Iterable[Any]:
        slots = ev.slots
        for item in source(ev):
            slots[slot] = item
            if condition is None or condition(ev):
                yield body(ev)

    if kind == "sum":
        zero = _zero_of(result)
        return lambda ev: exact.total(selected(ev), zero)
    if kind == "count":
        return lambda ev: sum(1 for _ in selected(ev))
    if kind == "any":
        return lambda ev: any(selected(ev))
    if kind == "all":
        return lambda ev: all(selected(ev))
    if kind == "collect":
        return lambda ev: tuple(selected(ev))

    def pick(ev: Evaluation) -> Any:
        values = list(selected(ev))
        if not values:
            if default is None:
                raise evaluation_error(span, f"{kind}(…) found no items; add 'else <value>' inside the brackets")
            return default(ev)
        if kind == "min":
            return min(values)
        if kind == "max":
            return max(values)
        return values[0] if kind == "first" else values[-1]

    return pick

