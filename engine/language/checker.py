"""Check: types, names, periods, tables, guards and cycles, before any household is seen.

``check_program`` takes every definition of a resolved or layered policy (parameters and
rules, each with one or more expressions) and returns all diagnostics at once plus the
type of every expression node, which the interpreter and compiler use to pick exact
operations. Nothing here evaluates a household.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from engine.base.diagnostics import Diagnostic, Related, Span, did_you_mean
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import AGGREGATES, BUILTINS
from engine.language.fields import POSITIVE_NAMES, HouseholdFields, household_fields
from engine.language.formatter import format_expression

_ARITHMETIC = ("+", "-", "*", "/")
_ORDER = ("<", "<=", ">", ">=")
_EQUALITY = ("==", "!=")


@dataclass(frozen=True)
class Definition:
    """A parameter or rule as the checker sees it: declared type, scope, its expressions."""

    name: str
    kind: str  # "parameter" or "rule"
    type: t.Type
    span: Span
    bodies: tuple[s.Node, ...] = ()
    scope: str = "household"  # or "member"
    nonzero: bool = False  # a parameter whose every value is a non-zero constant


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    node_types: dict[int, t.Type] = field(default_factory=dict)
    dependencies: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def check_program(definitions: Mapping[str, Definition], fields: HouseholdFields | None = None) -> CheckResult:
    """Type-check every definition's expressions and look for cycles between rules; ``fields``: the household's
    names with a region's kinds (``household_fields(vocabulary)``; default: the bundled vocabulary's)."""
    result = CheckResult()
    for definition in definitions.values():
        deps: set[str] = set()
        for body in definition.bodies:
            checker = _ExpressionChecker(definitions, definition, result, deps, fields)
            found = checker.infer(body, {})
            if found != t.ANY and not t.assignable(found, definition.type) and not _zero_money(body, definition.type):
                result.diagnostics.append(_mismatch(definition, found, start_span(body)))
        result.dependencies[definition.name] = deps
    result.diagnostics.extend(_cycles(definitions, result.dependencies))
    result.diagnostics.extend(_costly(definitions))
    return result


def check_expression(node: s.Node, definitions: Mapping[str, Definition] | None = None,
                     expected: t.Type | None = None, scope: str = "household",
                     name: str = "<expression>", fields: HouseholdFields | None = None) -> tuple[t.Type, CheckResult]:
    """Check one free-standing expression (tests, ``--set`` values, invariants)."""
    result = CheckResult()
    owner = Definition(name, "rule", expected or t.ANY, node.span, (node,), scope)
    checker = _ExpressionChecker(definitions or {}, owner, result, set(), fields)
    found = checker.infer(node, {})
    if expected is not None and found != t.ANY and not t.assignable(found, expected) \
            and not _zero_money(node, expected):
        result.diagnostics.append(_mismatch(owner, found, start_span(node)))
    return found, result


def start_span(node: s.Node) -> Span:
    """Where an expression's text begins (an operator node's own span is the operator)."""
    while isinstance(node, s.Binary):
        node = node.left
    return node.span


def _mismatch(definition: Definition, found: t.Type, span: Span) -> Diagnostic:
    if isinstance(definition.type, t.Enum) and isinstance(found, t.Enum):
        extra = sorted(found.values - definition.type.values)
        return Diagnostic("E-ENUM", f"{definition.name} is declared {definition.type}; {', '.join(map(repr, extra))} "
                          f"is not one of its values ({', '.join(sorted(definition.type.values))})", span,
                          suggestion=did_you_mean(extra[0], definition.type.values) if extra else None)
    owner, _, role = definition.name.partition(":")
    if role == "available":
        return Diagnostic("E-TYPE", f"available_when of {owner} must be a condition (true or false), but its "
                          f"expression is {found}", span)
    hint = t.period_hint(found, definition.type)
    return Diagnostic(
        "E-PERIOD" if hint else "E-TYPE",
        f"{definition.name} is declared {definition.type} but its expression is {found}"
        + (f"; {hint}" if hint else ""),
        span,
    )


def _zero_money(node: s.Node, target: t.Type) -> bool:
    """The literal 0 stands for zero money of any period."""
    return isinstance(target, t.Money) and isinstance(node, s.Literal) and node.kind == "number" and node.value == 0


class _ExpressionChecker:
    """Infers the type of one expression tree, recording diagnostics and node types."""

    def __init__(self, definitions: Mapping[str, Definition], owner: Definition, result: CheckResult,
                 deps: set[str], fields: HouseholdFields | None = None) -> None:
        self.definitions = definitions
        self.household = fields or household_fields()
        self.owner = owner
        self.result = result
        self.deps = deps
        self.guards: list[str] = []  # canonical texts known to be non-zero here
        self.guard_names: dict[str, set[str]] = {}  # a guard's text → the names it reads

    def error(self, code: str, message: str, span: Span, suggestion: str | None = None,
              related: tuple[Related, ...] = ()) -> t.Type:
        self.result.diagnostics.append(Diagnostic(code, message, span, suggestion=suggestion, related=related))
        return t.ANY

    def infer(self, node: s.Node, bound: dict[str, t.Type]) -> t.Type:
        found = self._infer(node, bound)
        self.result.node_types[id(node)] = found
        return found

    def _infer(self, node: s.Node, bound: dict[str, t.Type]) -> t.Type:
        if isinstance(node, s.Literal):
            return _literal_type(node)
        if isinstance(node, s.Name):
            return self.name(node, bound)
        if isinstance(node, s.Unary):
            return self.unary(node, bound)
        if isinstance(node, s.Binary):
            return self.binary(node, bound)
        if isinstance(node, s.SetLiteral):
            return self.set_literal(node, bound)
        if isinstance(node, s.Call):
            return self.call(node, bound)
        if isinstance(node, s.Aggregate):
            return self.aggregate(node, bound)
        if isinstance(node, s.If):
            return self.conditional(node, bound)
        if isinstance(node, s.Cases):
            return self.cases(node, bound)
        raise TypeError(type(node).__name__)  # pragma: no cover

    # names ----------------------------------------------------------------------
    def name(self, node: s.Name, bound: dict[str, t.Type]) -> t.Type:
        scope_vars = dict(bound)
        if self.owner.scope == "member":
            scope_vars.setdefault("member", self.household.member)
        head = node.parts[0]
        if head in scope_vars:
            return self.fields(node, scope_vars[head], node.parts[1:])
        dotted = node.dotted
        if dotted in self.household.names:
            return self.household.names[dotted].type
        definition = self.definitions.get(dotted)
        if definition is not None:
            if definition.scope == "member":
                return self.error("E-SCOPE", f"{dotted} is a member rule; read it for a member, e.g. "
                                  f"sum(m.{dotted} for m in members)", node.span)
            self.deps.add(dotted)
            return definition.type
        candidates = set(self.household.names) | set(self.definitions) | set(scope_vars)
        hint = did_you_mean(dotted, candidates)
        return self.error("E-NAME", f"unknown name {dotted!r}", node.span, hint)

    def fields(self, node: s.Name, record: t.Type, path: tuple[str, ...]) -> t.Type:
        current = record
        for index, part in enumerate(path):
            if not isinstance(current, t.Record):
                return self.error("E-FIELD", f"{'.'.join(node.parts[:index + 1])} is {current}, which has no fields",
                                  node.span)
            found = current.field_type(part)
            if found is None and current.label == "member":
                rest = ".".join(path[index:])
                rule = self.definitions.get(rest)
                if rule is not None and rule.scope == "member":
                    self.deps.add(rest)
                    return rule.type
            if found is None:
                names = set(self.household.records[current.label])
                if current.label == "member":
                    names |= {n for n, d in self.definitions.items() if d.scope == "member"}
                hint = did_you_mean(".".join(path[index:]), names) or did_you_mean(part, names)
                article = "an" if current.label[:1] in "aeiou" else "a"
                return self.error("E-FIELD", f"{article} {current.label} has no field {part!r}", node.span, hint)
            current = found
        return current

    # operators ------------------------------------------------------------------
    def unary(self, node: s.Unary, bound: dict[str, t.Type]) -> t.Type:
        operand = self.infer(node.operand, bound)
        if operand == t.ANY:
            return t.ANY
        if node.op == "not":
            if operand != t.BOOL:
                return self.error("E-TYPE", f"'not' needs a bool, not {operand}", node.span)
            return t.BOOL
        if t.is_numeric(operand) or isinstance(operand, t.Money):
            return operand
        return self.error("E-TYPE", f"cannot negate {operand}", node.span)

    def binary(self, node: s.Binary, bound: dict[str, t.Type]) -> t.Type:
        if node.op in ("and", "or"):
            return self.logical(node, bound)
        left = self.infer(node.left, bound)
        right = self.infer(node.right, bound)
        if left == t.ANY or right == t.ANY:
            return t.BOOL if node.op in _ORDER + _EQUALITY + ("in", "not in") else t.ANY
        if node.op in ("in", "not in"):
            return self.membership(node, left, right)
        if node.op in _EQUALITY:
            return self.equality(node, left, right)
        if node.op in _ORDER:
            return self.ordering(node, left, right)
        if node.op == "/":
            self.check_divisor(node.right)
        return self.arithmetic(node, left, right)

    def logical(self, node: s.Binary, bound: dict[str, t.Type]) -> t.Type:
        left = self.infer(node.left, bound)
        if node.op == "and":  # the right side is read only when the left holds
            with self.assuming(node.left):
                right = self.infer(node.right, bound)
        else:
            right = self.infer(node.right, bound)
        for side, found in ((node.left, left), (node.right, right)):
            if found not in (t.BOOL, t.ANY):
                self.error("E-TYPE", f"'{node.op}' needs bools on both sides; this side is {found}", side.span)
        return t.BOOL

    def membership(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
        if not isinstance(right, (t.SetOf, t.ListOf)):
            example = '{"a", "b"}'
            return self.error("E-TYPE", f"the right side of '{node.op}' must be a set like {example}, not {right}",
                              node.right.span)
        if right.element != t.ANY and t.unify(left, right.element) is None:
            return self.error("E-TYPE", f"cannot look for {left} in a set of {right.element}", node.span)
        if isinstance(left, t.Enum) and isinstance(node.right, s.SetLiteral):
            for item in node.right.items:
                self.enum_value(left, item)
        if isinstance(left, t.Enum) and isinstance(node.right, s.Name):  # a set parameter's values
            definition = self.definitions.get(node.right.dotted)
            if definition is not None and definition.kind == "parameter":
                for body in definition.bodies:
                    for item in body.items if isinstance(body, s.SetLiteral) else ():
                        self.enum_value(left, item)
        if isinstance(right.element, t.Enum) and right.element.label:
            self.enum_value(right.element, node.left)
        return t.BOOL

    def equality(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
        if t.unify(left, right) is None and not _zero_pair(node, left, right):
            hint = t.period_hint(left, right)
            return self.error("E-PERIOD" if hint else "E-TYPE",
                              f"cannot compare {left} with {right}" + (f"; {hint}" if hint else ""), node.span)
        if isinstance(left, t.Enum):
            self.enum_value(left, node.right)
        if isinstance(right, t.Enum):
            self.enum_value(right, node.left)
        return t.BOOL

    def ordering(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
        joined = t.unify(left, right)
        if joined is None and _zero_pair(node, left, right):
            return t.BOOL
        if joined is None:
            hint = t.period_hint(left, right)
            return self.error("E-PERIOD" if hint else "E-TYPE",
                              f"cannot compare {left} with {right}" + (f"; {hint}" if hint else ""), node.span)
        if not (t.is_numeric(joined) or isinstance(joined, (t.Money, t.Duration)) or joined == t.DATE):
            return self.error("E-TYPE", f"'{node.op}' orders numbers, money, dates or durations, not {joined}",
                              node.span)
        return t.BOOL

    def enum_value(self, enum: t.Enum, item: s.Node) -> None:
        if not enum.label:  # a text literal's own type: any other text may be compared with it
            return
        if isinstance(item, s.Literal) and item.kind == "text" and item.value not in enum.values:
            hint = did_you_mean(str(item.value), enum.values)
            allowed = ", ".join(sorted(enum.values))
            article = "an" if enum.label[:1] in "aeiou" else "a"
            self.error("E-ENUM", f"{item.value!r} is not {article} {enum.label}; the values are: {allowed}", item.span,
                       hint)

    def arithmetic(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
        op = node.op
        if left == t.DATE and isinstance(right, t.Duration) and op in "+-":
            return t.DATE
        if left == t.DATE and right == t.DATE and op == "-":
            return self.error("E-TYPE", "cannot subtract dates; use days_between(a, b) or months_between(a, b)",
                              node.span)
        if isinstance(left, t.Duration) and left == right and op in "+-":
            return left
        if isinstance(left, t.Money) or isinstance(right, t.Money):
            return self.money_arithmetic(node, left, right)
        if t.is_numeric(left) and t.is_numeric(right):
            if op == "/":
                return t.RATE if left == right == t.RATE else t.NUMBER
            return t.numeric_result(left, right)
        return self.error("E-TYPE", f"cannot apply '{op}' to {left} and {right}", node.span)

    def money_arithmetic(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
        op = node.op
        if isinstance(left, t.Money) and isinstance(right, t.Money):
            if left != right:
                return self.error("E-PERIOD", f"cannot {_VERB[op]} {left} and {right}; {t.period_hint(left, right)}",
                                  node.span)
            if op in "+-":
                return left
            if op == "/":
                return t.NUMBER
            return self.error("E-TYPE", "cannot multiply money by money", node.span)
        if op in "+-":
            if _zero_pair(node, left, right):
                return left if isinstance(left, t.Money) else right
            return self.error("E-TYPE", f"cannot {_VERB[op]} {left} and {right}; both sides must be money of the "
                              "same period", node.span)
        money, other = (left, right) if isinstance(left, t.Money) else (right, left)
        if not t.is_numeric(other):
            return self.error("E-TYPE", f"cannot apply '{op}' to {left} and {right}", node.span)
        if op == "/" and not isinstance(left, t.Money):
            return self.error("E-TYPE", f"cannot divide {left} by money", node.span)
        return money

    def check_divisor(self, divisor: s.Node) -> None:
        if _never_zero(divisor, self.definitions):
            return
        text = format_expression(divisor)
        if text in self.guards:
            return
        if _literal_number(divisor) == 0:
            self.error("E-DIVISION", "division by zero", divisor.span)
            return
        self.error("E-DIVISION", f"the divisor {text} can be zero; guard it, e.g. "
                   f"if {text} > 0 then … else …", divisor.span)

    def set_literal(self, node: s.SetLiteral, bound: dict[str, t.Type]) -> t.Type:
        element: t.Type = t.ANY
        for item in node.items:
            found = self.infer(item, bound)
            joined = t.unify(element, found)
            if joined is None:
                self.error("E-TYPE", f"a set's items must share one type; found {element} and {found}", item.span)
            else:
                element = joined
        return t.SetOf(element)

    # calls and aggregations ---------------------------------------------------------
    def call(self, node: s.Call, bound: dict[str, t.Type]) -> t.Type:
        builtin = BUILTINS.get(node.function)
        args = [self.infer(a, bound) for a in node.args]
        if builtin is None:
            hint = did_you_mean(node.function, set(BUILTINS) | set(AGGREGATES))
            return self.error("E-FUNCTION", f"unknown function {node.function!r}", node.span, hint)
        low, high = len(builtin.params) - builtin.optional, len(builtin.params)
        if not low <= len(args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}"
            return self.error("E-ARITY", f"{builtin.name} takes {count} argument{'s' if high != 1 else ''} "
                              f"({builtin.signature}), got {len(args)}", node.span)
        if t.ANY in args:
            return t.ANY
        found = builtin.result(args)
        if isinstance(found, str):
            code = "E-PERIOD" if "per_month" in found or "period" in found else "E-TYPE"
            if builtin.name in ("per_month", "per_year") and any(isinstance(a, t.Money) for a in args):
                code = "E-PERIOD"
                found += (f"; {format_expression(node.args[0])} is already {args[0]}" if args[0] in
                          (t.MONEY_MONTH, t.MONEY_YEAR) else "; a lump sum has no period to convert")
            return self.error(code, f"{builtin.signature}: {found}", node.span)
        return found

    def aggregate(self, node: s.Aggregate, bound: dict[str, t.Type]) -> t.Type:
        source = self.infer(node.source, bound)
        if source == t.ANY:
            element: t.Type = t.ANY
        elif not isinstance(source, t.ListOf):
            self.error("E-TYPE", f"{node.function}(… for {node.var} in …) needs a list, like members; "
                       f"{format_expression(node.source)} is {source}", node.source.span)
            element = t.ANY
        else:
            element = source.element
        inner = {**bound, node.var: element}
        saved = self.guards
        self.guards = [g for g in saved if node.var not in self.guard_names.get(g, {node.var})]  # now each item
        if node.condition is not None:
            condition = self.infer(node.condition, inner)
            if condition not in (t.BOOL, t.ANY):
                self.error("E-TYPE", f"the 'where' filter must be a bool, not {condition}", node.condition.span)
        body = self.infer(node.body, inner)
        self.guards = saved
        result = self.aggregate_result(node, body)
        if node.default is not None:
            default = self.infer(node.default, bound)
            if node.function not in ("min", "max", "first", "last"):
                self.error("E-TYPE", f"{node.function}(…) has a value when nothing matches; an 'else' value is only "
                           "for min, max, first and last", node.default.span)
            elif result != t.ANY and default != t.ANY and t.unify(result, default) is None \
                    and not _zero_money(node.default, result):
                self.error("E-TYPE", f"the 'else' value is {default} but {node.function}(…) gives {result}",
                           node.default.span)
            else:
                self.literal_in_enum(result, default, node.default)
                if not _zero_money(node.default, result):
                    result = t.unify(result, default) or result  # the value may be the else value
        return result

    def literal_in_enum(self, expected: t.Type, found: t.Type, node: s.Node) -> None:
        """A text literal standing where an enumeration's value is expected must be one of its values."""
        if isinstance(expected, t.Enum) and expected.label and isinstance(found, t.Enum) and not found.label:
            for literal in _value_literals(node):
                self.enum_value(expected, literal)

    def aggregate_result(self, node: s.Aggregate, body: t.Type) -> t.Type:
        if body == t.ANY:
            return t.INT if node.function == "count" else (t.BOOL if node.function in ("any", "all") else t.ANY)
        if node.function == "collect" and isinstance(body, (t.ListOf, t.Record)):
            return self.error("E-TYPE", "collect(…) gathers plain values (ids, amounts, dates), not lists or records",
                              node.body.span)
        if node.function == "count":
            return t.INT
        if node.function == "collect":
            return t.ListOf(body)
        if node.function in ("any", "all"):
            if body != t.BOOL:
                return self.error("E-TYPE", f"{node.function}(…) needs a bool for each item, not {body}",
                                  node.body.span)
            return t.BOOL
        if node.function == "sum" and not (t.is_numeric(body) or isinstance(body, t.Money)):
            return self.error("E-TYPE", f"sum(…) adds numbers or money, not {body}", node.body.span)
        if node.function in ("min", "max") and not (
                t.is_numeric(body) or isinstance(body, (t.Money, t.Duration)) or body == t.DATE):
            return self.error("E-TYPE", f"{node.function}(…) needs numbers, money or dates, not {body}",
                              node.body.span)
        return body

    # conditionals ------------------------------------------------------------------
    def conditional(self, node: s.If, bound: dict[str, t.Type]) -> t.Type:
        self.expect_bool(node.condition, bound, "the 'if' condition")
        with self.assuming(node.condition):
            then = self.infer(node.then, bound)
        with self.assuming(node.condition, negated=True):
            otherwise = self.infer(node.otherwise, bound)
        then, otherwise = _money_zero(node.then, then, otherwise), _money_zero(node.otherwise, otherwise, then)
        self.literal_in_enum(then, otherwise, node.otherwise)
        self.literal_in_enum(otherwise, then, node.then)
        return self.join(then, otherwise, node.otherwise.span, "the 'then' and 'else' branches")

    def cases(self, node: s.Cases, bound: dict[str, t.Type]) -> t.Type:
        values: list[tuple[s.Node, t.Type]] = []
        always = self.unreachable_rows(node)
        with contextlib.ExitStack() as earlier:
            for row in node.rows:
                self.expect_bool(row.condition, bound, "a table row's condition")
                with self.assuming(row.condition):
                    values.append((row.value, self.infer(row.value, bound)))
                earlier.enter_context(self.assuming(row.condition, negated=True))  # later rows: this one failed
            if node.otherwise is not None:
                values.append((node.otherwise, self.infer(node.otherwise, bound)))
        if node.otherwise is None and always is None:
            self.error("E-TABLE-FALLBACK", "this decision table has no 'else' row: a household that matches no "
                       "row would get no value", node.span)
        return self.join_rows(values)

    def unreachable_rows(self, node: s.Cases) -> s.CaseRow | None:
        """Report rows that can never match; the first row that matches every household, if any."""
        seen: dict[str, s.CaseRow] = {}
        always: s.CaseRow | None = None
        for row in node.rows:
            text = format_expression(row.condition)
            if always is not None:
                self.error("E-TABLE-UNREACHABLE", f"this row can never match: the row at line {always.span.line} "
                           "matches every household first", row.span,
                           related=(Related(always.span, "the row that matches every household"),))
            elif text in seen:
                self.error("E-TABLE-UNREACHABLE", f"this row can never match: the row at line "
                           f"{seen[text].span.line} has the same condition ({text})", row.span,
                           related=(Related(seen[text].span, "the earlier row with the same condition"),))
            elif text == "false":
                self.error("E-TABLE-UNREACHABLE", "this row can never match: its condition is false", row.span)
            seen.setdefault(text, row)
            if text == "true" and always is None:
                always = row
        if node.otherwise is not None and always is not None:
            self.error("E-TABLE-UNREACHABLE", f"the 'else' row can never match: the row at line "
                       f"{always.span.line} matches every household first", node.otherwise.span,
                       related=(Related(always.span, "the row that matches every household"),))
        return always

    @contextlib.contextmanager
    def assuming(self, condition: s.Node, negated: bool = False) -> Iterator[None]:
        """Inside: what the condition (or its negation) proves non-zero guards divisions."""
        facts = _nonzero_facts(condition, negated, self.guard_names)
        self.guards.extend(facts)
        try:
            yield
        finally:
            del self.guards[len(self.guards) - len(facts):]

    def join_rows(self, values: list[tuple[s.Node, t.Type]]) -> t.Type:
        """One type for a table's values: a literal 0 takes the money type of the others."""
        money = next((found for _, found in values if isinstance(found, t.Money)), None)
        enum = next((found for _, found in values if isinstance(found, t.Enum) and found.label), None)
        result: t.Type = t.ANY
        for value_node, found in values:
            found = _money_zero(value_node, found, money) if money is not None else found
            result = self.join(result, found, value_node.span, "the table's rows")
        for value_node, found in values:
            if enum is not None:
                self.literal_in_enum(enum, found, value_node)
        return result

    def expect_bool(self, node: s.Node, bound: dict[str, t.Type], what: str) -> None:
        found = self.infer(node, bound)
        if found not in (t.BOOL, t.ANY):
            self.error("E-TYPE", f"{what} must be a bool, not {found}", node.span)

    def join(self, left: t.Type, right: t.Type, span: Span, what: str) -> t.Type:
        if left == t.ANY:
            return right
        if right == t.ANY:
            return left
        joined = t.unify(left, right)
        if joined is None:
            hint = t.period_hint(left, right)
            return self.error("E-PERIOD" if hint else "E-TYPE",
                              f"{what} must have one type; found {left} and {right}" + (f"; {hint}" if hint else ""),
                              span)
        return joined


_VERB = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def _literal_type(node: s.Literal) -> t.Type:
    if node.kind == "money":
        return t.Money(node.unit)
    if node.kind == "percent":
        return t.RATE
    if node.kind == "duration":
        return t.Duration(node.unit)
    if node.kind == "date":
        return t.DATE
    if node.kind == "text":
        assert isinstance(node.value, str)
        return t.Enum("", frozenset({node.value}))
    if node.kind == "bool":
        return t.BOOL
    return t.INT if isinstance(node.value, int) else t.NUMBER


def _value_literals(node: s.Node) -> list[s.Literal]:
    """The text literals an expression can give as its value (not those in its conditions)."""
    if isinstance(node, s.Literal):
        return [node] if node.kind == "text" else []
    if isinstance(node, s.If):
        return _value_literals(node.then) + _value_literals(node.otherwise)
    if isinstance(node, s.Cases):
        found = [literal for row in node.rows for literal in _value_literals(row.value)]
        return found + (_value_literals(node.otherwise) if node.otherwise is not None else [])
    return []


def _money_zero(node: s.Node, found: t.Type, other: t.Type) -> t.Type:
    """A literal 0 where the other branch is money takes that money's type."""
    return other if isinstance(other, t.Money) and _zero_money(node, other) else found


def _zero_pair(node: s.Binary, left: t.Type, right: t.Type) -> bool:
    """Money against the literal 0 (``x > 0``, ``x + 0``) is allowed whatever the period."""
    return (isinstance(left, t.Money) and _zero_money(node.right, left)) or (
        isinstance(right, t.Money) and _zero_money(node.left, right))


def _literal_number(node: s.Node) -> Decimal | int | None:
    """The value of a numeric literal (a minus sign included), or None."""
    if isinstance(node, s.Unary) and node.op == "-":
        inner = _literal_number(node.operand)
        return -inner if inner is not None else None
    if isinstance(node, s.Literal) and node.kind in ("number", "money", "percent") and not isinstance(node.value, bool):
        assert isinstance(node.value, (Decimal, int))
        return node.value
    return None


def _never_zero(node: s.Node, definitions: Mapping[str, Definition]) -> bool:
    number = _literal_number(node)
    if number is not None:
        return number != 0
    if isinstance(node, s.Literal):
        return False
    if isinstance(node, s.Name):
        if node.dotted in POSITIVE_NAMES:
            return True
        definition = definitions.get(node.dotted)
        return definition is not None and definition.nonzero
    if isinstance(node, s.Call) and node.function == "max":
        return any(_never_zero(a, definitions) and _positive_literal(a) for a in node.args)
    return False


def _positive_literal(node: s.Node) -> bool:
    number = _literal_number(node)
    return (number is not None and number > 0) or (isinstance(node, s.Name) and node.dotted in POSITIVE_NAMES)


def _nonzero_facts(condition: s.Node, negated: bool = False, names: dict[str, set[str]] | None = None) -> list[str]:
    """Expressions a condition proves non-zero (``x > 0``, ``x != 0``; in its negation ``x == 0``).

    ``names`` records, for each, the names it reads freely (an aggregation that rebinds one of
    them ends the guard)."""
    if isinstance(condition, s.Binary) and condition.op == "and" and not negated:
        return _nonzero_facts(condition.left, False, names) + _nonzero_facts(condition.right, False, names)
    if isinstance(condition, s.Binary) and condition.op == "or" and negated:
        return _nonzero_facts(condition.left, True, names) + _nonzero_facts(condition.right, True, names)
    if isinstance(condition, s.Unary) and condition.op == "not":
        return _nonzero_facts(condition.operand, not negated, names)
    if not isinstance(condition, s.Binary) or condition.op not in _NEGATED:
        return []
    op, subject, bound = condition.op, condition.left, _literal_number(condition.right)
    if bound is None:  # the literal on the left: 0 < x is x > 0
        op, subject, bound = _MIRRORED[op], condition.right, _literal_number(condition.left)
    if bound is None:
        return []
    if negated:
        op = _NEGATED[op]
    proves = (op == "!=" and bound == 0) or (op == "==" and bound != 0) or (op == ">" and bound >= 0) or (
        op == ">=" and bound > 0) or (op == "<" and bound <= 0) or (op == "<=" and bound < 0)
    if not proves:
        return []
    text = format_expression(subject)
    if names is not None:
        names[text] = _free_heads(subject)
    return [text]


def _free_heads(node: s.Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """The first parts of the names an expression reads that no aggregation inside it binds."""
    if isinstance(node, s.Name):
        return {node.parts[0]} - bound
    if isinstance(node, s.Aggregate):
        inner = bound | {node.var}
        found = _free_heads(node.source, bound) | _free_heads(node.body, inner)
        if node.condition is not None:
            found |= _free_heads(node.condition, inner)
        if node.default is not None:
            found |= _free_heads(node.default, bound)
        return found
    return set().union(*(_free_heads(child, bound) for child in s.children(node))) if s.children(node) else set()


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def closure(graph: Mapping[str, Iterable[str]], starts: Iterable[str]) -> set[str]:
    """Every name reachable from ``starts`` along ``graph`` (the starts included)."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for following in graph.get(stack.pop(), ()):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def _cycles(definitions: Mapping[str, Definition], dependencies: Mapping[str, Iterable[str]]) -> list[Diagnostic]:
    """One diagnostic per dependency cycle between rules, naming the whole cycle."""
    found: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()
    for start in sorted(dependencies):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(dependencies.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            name, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[name] = 2
                continue
            nxt = pending.pop(0)
            if nxt not in definitions or definitions[nxt].kind != "rule":
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = definitions[cycle[0]]
                    found.append(Diagnostic("E-CYCLE", "rules depend on themselves: " + " → ".join(cycle), first.span))
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(dependencies.get(nxt, ()))))
    return found


# --- cost ------------------------------------------------------------------------------

COSTLY_NESTING = 3  # lists gone through one inside another (a member rule: once per member) before a warning


def _costly(definitions: Mapping[str, Definition]) -> Iterator[Diagnostic]:
    """A warning for each rule whose work grows with the cube (or a higher power) of a list's length."""
    from engine.language.builtins import MAX_AGGREGATE_ITEMS

    for definition in definitions.values():
        if definition.kind != "rule":
            continue
        for body in definition.bodies:
            nested = deepest_aggregations(body)
            lists = ["members (the rule is evaluated for each member)"] if definition.scope == "member" else []
            lists += [format_expression(node.source) for node in nested]
            if len(lists) < COSTLY_NESTING:
                continue
            yield Diagnostic(
                "W-COST", f"{definition.name}: its work grows with the power {len(lists)} of the lists' lengths "
                f"({' × '.join(lists)}); with 200 items in each that is {200 ** len(lists):,} steps, and "
                f"evaluation stops a household past {MAX_AGGREGATE_ITEMS:,}", nested[0].span,
                notes=("compute the inner aggregation once in a rule of its own, or count what it needs directly",),
                severity="warning")


def deepest_aggregations(node: s.Node) -> list[s.Aggregate]:
    """The longest chain of aggregations nested in one another's body (each repeats the next)."""
    if isinstance(node, s.Aggregate):
        inner = [deepest_aggregations(n) for n in (node.body, node.condition) if n is not None]
        chain = [node, *max(inner, key=len, default=[])]
        beside = [deepest_aggregations(n) for n in (node.source, node.default) if n is not None]
        return max([chain, *beside], key=len)
    return max((deepest_aggregations(child) for child in s.children(node)), key=len, default=[])
