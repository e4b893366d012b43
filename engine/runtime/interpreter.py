"""Interpret: checked rules → Python closures → values for one household.

Each checked expression is compiled once into a tree of closures whose every name the
compiler chose (no ``eval``, no attribute access from policy text). Evaluation is lazy
and memoised per household: an output is computed from what it needs, once. Money is
exact ``Decimal``; nothing is rounded here (outputs round, see ``engine.runtime.outputs``).

Evaluation has a budget, so that no policy can hang or exhaust the machine on one
household: values have at most ``exact.MAX_DIGITS`` digits, and the aggregations of one
household visit at most ``MAX_AGGREGATE_ITEMS`` items; past either, the rule stops with
a located message naming it. Nor does it depend on Python's recursion depth: when rules
read rules so deeply that lazy evaluation would nest too far (``Program.eager``), each
household first evaluates the rules in dependency order, so every rule finds what it
reads already computed (an error met on the way is kept and raised where the rule is
read, as lazy evaluation would).

A ``Tracer`` may observe evaluation (which rule read which values); control flow never
depends on it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.household.record import Household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import BUILTINS, MAX_AGGREGATE_ITEMS, BuiltinError, Duration, shift
from engine.language.constants import literal_value
from engine.language.fields import HOUSEHOLD_NAMES, MEMBER, RECORD_FIELDS, MissingValue
from engine.language.rule_order import Key, dependency_order, nesting_depth, rule_reads
from engine.policy.resolve import RuleCode, Unavailable

Code = Callable[["Evaluation"], Any]
ZERO = Decimal(0)
EAGER_DEPTH = 150  # nesting of rules and expressions beyond which rules are evaluated in dependency order


class EvaluationError(DiagnosticError):
    """A rule could not be computed for this household (located at the expression)."""


@dataclass(frozen=True, slots=True)
class Read:
    """One thing a rule read: a rule (for a member: ``member`` is its id), a parameter or a field."""

    kind: str  # "rule", "parameter" or "field"
    name: str
    value: object
    member: str | None = None


@dataclass
class RuleTrace:
    """What one rule evaluation read: rules, parameters and household fields, in order."""

    name: str
    member: str | None
    reads: list[Read] = field(default_factory=list)
    value: object = None


class Tracer:
    """Records every rule evaluated and what it read; attach one to explain a household."""

    def __init__(self) -> None:
        self.rules: dict[tuple[str, str | None], RuleTrace] = {}
        self.stack: list[RuleTrace] = []

    def enter(self, name: str, member: str | None) -> None:
        self.stack.append(RuleTrace(name, member))

    def leave(self, value: object) -> None:
        frame = self.stack.pop()
        frame.value = value
        self.rules[(frame.name, frame.member)] = frame
        self.read("rule", frame.name, value, frame.member)

    def read(self, kind: str, name: str, value: object, member: str | None = None) -> None:
        if self.stack:
            self.stack[-1].reads.append(Read(kind, name, value, member))


class Evaluation:
    """The state of evaluating one household: memo of rule values and aggregation slots."""

    __slots__ = ("as_of", "failures", "household", "items", "member_values", "program", "slots", "tracer",
                 "unread", "values")

    def __init__(self, program: Program, household: Household, as_of: date, tracer: Tracer | None) -> None:
        self.program = program
        self.household = household
        self.as_of = as_of
        self.values: dict[str, Any] = {}
        self.member_values: dict[tuple[str, str], Any] = {}
        self.failures: dict[object, EvaluationError] = {}  # what evaluating ahead met, raised when read
        self.unread: set[object] = set()  # evaluated ahead and not yet read by a rule (for the tracer)
        self.slots: list[Any] = [None] * program.slot_count
        self.tracer = tracer
        self.items = 0

    def rule(self, name: str) -> Any:
        try:
            value = self.values[name]
        except KeyError:
            pass
        else:
            if self.tracer is not None and name in self.unread:
                self.unread.discard(name)
                self.tracer.read("rule", name, value)
            return value
        failure = self.failures.get(name)
        if failure is not None:
            raise failure
        code = self.program.code[name]
        tracer = self.tracer
        if tracer is not None:
            tracer.enter(name, None)
        try:
            value = code(self)
        except exact.TooLarge as error:
            raise self.program.too_large(name, error) from None
        if tracer is not None:
            tracer.leave(value)
        self.values[name] = value
        return value

    def member_rule(self, name: str, member: Any) -> Any:
        key = (name, member.id)
        try:
            value = self.member_values[key]
        except KeyError:
            pass
        else:
            if self.tracer is not None and key in self.unread:
                self.unread.discard(key)
                self.tracer.read("rule", name, value, member.id)
            return value
        failure = self.failures.get(key)
        if failure is not None:
            raise failure
        slot = self.program.member_slot[name]
        saved = self.slots[slot]
        self.slots[slot] = member
        tracer = self.tracer
        if tracer is not None:
            tracer.enter(name, member.id)
        try:
            value = self.program.code[name](self)
        except exact.TooLarge as error:
            raise self.program.too_large(name, error) from None
        finally:
            self.slots[slot] = saved
        if tracer is not None:
            tracer.leave(value)
        self.member_values[key] = value
        return value

    def count_items(self, count: int, rule: str, span: Span) -> None:
        """Charge an aggregation's items to the household's budget."""
        self.items += count
        if self.items > MAX_AGGREGATE_ITEMS:
            raise _fail(span, f"rule {rule} needs more work than one household may take: its aggregations "
                        f"would visit more than {MAX_AGGREGATE_ITEMS:,} items (nested aggregations over the "
                        "same list multiply their cost)")

    def ahead(self, order: Iterable[Key]) -> None:
        """Evaluate rules in dependency order, keeping any error for the place the rule is read."""
        for scope, name in order:
            if scope == "household":
                if name not in self.values and name not in self.failures:
                    self._ahead(name, partial(self.rule, name))
                continue
            for member in self.household.members:
                key = (name, member.id)
                if key not in self.member_values and key not in self.failures:
                    self._ahead(key, partial(self.member_rule, name, member))

    def _ahead(self, key: object, compute: Callable[[], Any]) -> None:
        depth = len(self.tracer.stack) if self.tracer is not None else 0
        try:
            compute()
        except EvaluationError as error:
            self.failures[key] = error
            if self.tracer is not None:  # the rules left unfinished by the error
                del self.tracer.stack[depth:]
            return
        self.unread.add(key)


class Program:
    """A compiled set of rules over fixed parameter values, ready to evaluate households."""

    def __init__(self, rules: Mapping[str, RuleCode], parameters: Mapping[str, object]) -> None:
        self.rules = dict(rules)
        self.parameters = dict(parameters)
        self.slot_count = 0
        self.member_slot: dict[str, int] = {}
        self.code: dict[str, Code] = {}
        for name, rule in self.rules.items():
            if rule.scope == "member":
                self.member_slot[name] = self._new_slot()
        for name, rule in self.rules.items():
            if rule.scope == "member":
                compiler = _Compiler(self, {"member": self.member_slot[name]}, {"member": MEMBER})
            else:
                compiler = _Compiler(self, {}, {})
            self.code[name] = compiler.compile(rule.body, name)
        self.reads = {name: rule_reads(rule.body, self.rules) for name, rule in self.rules.items()}
        self.eager = nesting_depth(self.rules, self.reads) > EAGER_DEPTH
        self._orders: dict[tuple[str, ...], list[Key]] = {}

    def too_large(self, name: str, error: exact.TooLarge) -> EvaluationError:
        return _fail(self.rules[name].body.span, f"rule {name}: {error} (the limit is {exact.MAX_DIGITS}); a rule "
                     "that multiplies a value by itself again and again grows it past any amount of money")

    def order(self, wanted: Iterable[str]) -> list[Key]:
        """The rules that ``wanted`` reads, directly or not, each after the rules it reads."""
        starts = tuple(wanted)
        found = self._orders.get(starts)
        if found is None:
            found = dependency_order([(self.rules[n].scope, n) for n in starts], self.reads)
            if len(self._orders) > 64:
                self._orders.clear()
            self._orders[starts] = found
        return found

    def _new_slot(self) -> int:
        self.slot_count += 1
        return self.slot_count - 1

    def evaluate(self, household: Household, as_of: date, outputs: Iterable[str] | None = None,
                 tracer: Tracer | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Values of the household outputs and, per member id, of the member outputs asked for.

        An output whose ``available_when`` is false for the household is ``None`` (not available).
        """
        evaluation = Evaluation(self, household, as_of, tracer)
        wanted = list(outputs) if outputs is not None else list(self.rules)
        if self.eager:
            evaluation.ahead(self.order(wanted))
        values: dict[str, Any] = {}
        members: dict[str, dict[str, Any]] = {m.id: {} for m in household.members}
        for name in wanted:
            rule = self.rules[name]
            if rule.scope == "member":
                for member in household.members:
                    members[member.id][name] = evaluation.member_rule(name, member)
            elif rule.available is not None and not evaluation.rule(rule.available):
                values[name] = None
            else:
                values[name] = evaluation.rule(name)
        return values, members


def _fail(span: Span, message: str) -> EvaluationError:
    return EvaluationError([Diagnostic("E-EVAL", message, span)])


class _Compiler:
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
                raise _fail(span, str(error)) from None
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
                raise _fail(span, message)

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
        if op in ("in", "not in"):
            return self.membership(node, left, right)
        if op in _COMPARE:
            compare = _COMPARE[op]
            return lambda ev: compare(left(ev), right(ev))
        if self.type_of(node.left) == t.DATE:
            sign = 1 if op == "+" else -1
            span = node.span

            def shifted(ev: Evaluation) -> Any:
                try:
                    return shift(left(ev), right(ev), sign)
                except BuiltinError as error:
                    raise _fail(span, str(error)) from None

            return shifted
        if op == "/":
            return self.division(node, left, right)
        if isinstance(self.type_of(node.left), t.Duration):
            sign = 1 if op == "+" else -1
            return lambda ev: _add_durations(left(ev), right(ev), sign)
        return _lambda_arith(_ARITH[op], left, right)

    def division(self, node: s.Binary, left: Code, right: Code) -> Code:
        span = node.span

        def divide(ev: Evaluation) -> Any:
            denominator = right(ev)
            if not denominator:
                raise _fail(span, "division by zero")
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
                raise _fail(span, str(error)) from None

        if len(args) == 1:
            only = args[0]

            def call_one(ev: Evaluation) -> Any:
                try:
                    return impl(only(ev))
                except BuiltinError as error:
                    raise _fail(span, str(error)) from None

            return call_one
        return call

    def c_Aggregate(self, node: s.Aggregate) -> Code:
        slot = self.program._new_slot()
        source = self.compile(node.source)
        source_type = self.type_of(node.source)
        element = source_type.element if isinstance(source_type, t.ListOf) else t.ANY
        inner = _Compiler(self.program, {**self.bound, node.var: slot}, {**self.var_types, node.var: element})
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
                raise _fail(span, "no row of the decision table matches this household")
            return otherwise(ev)

        return table


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": exact.add, "-": exact.sub, "*": exact.mul}


def _member_rule_getter(rule_name: str) -> Callable[[Any, Evaluation], Any]:
    return lambda value, ev: ev.member_rule(rule_name, value)


def _field_getter(accessor: Callable[[Any, date], Any], span: Span) -> Callable[[Any, Evaluation], Any]:
    def get(value: Any, ev: Evaluation) -> Any:
        try:
            return accessor(value, ev.as_of)
        except MissingValue as error:  # an optional field the record leaves out (an expense's level)
            raise _fail(span, str(error)) from None

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
                raise _fail(span, f"{kind}(…) found no items; add 'else <value>' inside the brackets")
            return default(ev)
        if kind == "min":
            return min(values)
        if kind == "max":
            return max(values)
        return values[0] if kind == "first" else values[-1]

    return pick

