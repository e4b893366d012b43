"""Check: types, names, periods, tables, guards and cycles, before any household is seen.

``check_program`` takes every definition of a resolved or layered policy (parameters and
rules, each with one or more expressions) and returns all diagnostics at once plus a
checked copy of every expression, whose nodes carry their types (``syntax.type_of``),
which the interpreter and compiler use to pick exact operations. Nothing here evaluates a household.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import replace

from engine.base.diagnostics import Diagnostic, Related, Span, did_you_mean
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import AGGREGATES, BUILTINS
from engine.language.decision_tables import unreachable_rows
from engine.language.definitions import CheckResult, Definition, mismatch, start_span
from engine.language.fields import HouseholdFields, household_fields
from engine.language.formatter import format_expression
from engine.language.guards import never_zero, nonzero_facts
from engine.language.literals import literal_number, literal_type, money_zero, value_literals, zero_money, zero_pair
from engine.language.program_checks import costly, cycles
from engine.language.syntax import type_of

_ORDER = ("<", "<=", ">", ">=")
_EQUALITY = ("==", "!=")


def check_program(definitions: Mapping[str, Definition], fields: HouseholdFields | None = None) -> CheckResult:
    """Type-check every definition's expressions and look for cycles between rules; ``fields``: the household's
    names with a region's kinds (``household_fields(vocabulary)``; default: the bundled vocabulary's)."""
    result = CheckResult()
    for definition in definitions.values():
        deps: set[str] = set()
        checked_bodies = []
        for body in definition.bodies:
            checker = _ExpressionChecker(definitions, definition, result, deps, fields)
            checked = checker.infer(body, {})
            found = type_of(checked)
            if found != t.ANY and not t.assignable(found, definition.type) and not zero_money(body, definition.type):
                result.diagnostics.append(mismatch(definition, found, start_span(body)))
            checked_bodies.append(checked)
        result.bodies[definition.name] = tuple(checked_bodies)
        result.dependencies[definition.name] = deps
    result.diagnostics.extend(cycles(definitions, result.dependencies))
    result.diagnostics.extend(costly(definitions))
    return result


def check_expression(node: s.Node, definitions: Mapping[str, Definition] | None = None,
                     expected: t.Type | None = None, scope: str = "household",
                     name: str = "<expression>", fields: HouseholdFields | None = None) -> tuple[s.Node, CheckResult]:
    """Check one free-standing expression (tests, ``--set`` values, invariants): its checked copy
    (``type_of`` gives its type) and what checking found."""
    result = CheckResult()
    owner = Definition(name, "rule", expected or t.ANY, node.span, (node,), scope)
    checker = _ExpressionChecker(definitions or {}, owner, result, set(), fields)
    checked = checker.infer(node, {})
    found = type_of(checked)
    if expected is not None and found != t.ANY and not t.assignable(found, expected) \
            and not zero_money(node, expected):
        result.diagnostics.append(mismatch(owner, found, start_span(node)))
    return checked, result


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

    def infer(self, node: s.Node, bound: dict[str, t.Type]) -> s.Node:
        """The checked copy of an expression: every node of it carries its type."""
        match node:
            case s.Literal():
                return replace(node, type=literal_type(node))
            case s.Name():
                return replace(node, type=self.name(node, bound))
            case s.Unary():
                operand = self.infer(node.operand, bound)
                return replace(node, operand=operand, type=self.unary(node, type_of(operand)))
            case s.Binary():
                return self.binary(node, bound)
            case s.SetLiteral():
                return self.set_literal(node, bound)
            case s.Call():
                args = tuple(self.infer(a, bound) for a in node.args)
                return replace(node, args=args, type=self.call(node, [type_of(a) for a in args]))
            case s.Aggregate():
                return self.aggregate(node, bound)
            case s.If():
                return self.conditional(node, bound)
            case s.Cases():
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
    def unary(self, node: s.Unary, operand: t.Type) -> t.Type:
        if operand == t.ANY:
            return t.ANY
        if node.op == "not":
            if operand != t.BOOL:
                return self.error("E-TYPE", f"'not' needs a bool, not {operand}", node.span)
            return t.BOOL
        if t.is_numeric(operand) or isinstance(operand, t.Money):
            return operand
        return self.error("E-TYPE", f"cannot negate {operand}", node.span)

    def binary(self, node: s.Binary, bound: dict[str, t.Type]) -> s.Binary:
        if node.op in ("and", "or"):
            left, right = self.logical(node, bound)
            return replace(node, left=left, right=right, type=t.BOOL)
        left, right = self.infer(node.left, bound), self.infer(node.right, bound)
        return replace(node, left=left, right=right, type=self.binary_type(node, type_of(left), type_of(right)))

    def binary_type(self, node: s.Binary, left: t.Type, right: t.Type) -> t.Type:
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

    def logical(self, node: s.Binary, bound: dict[str, t.Type]) -> tuple[s.Node, s.Node]:
        """The checked sides of ``and``/``or``, each of which must be a bool."""
        left = self.infer(node.left, bound)
        if node.op == "and":  # the right side is read only when the left holds
            with self.assuming(node.left):
                right = self.infer(node.right, bound)
        else:
            right = self.infer(node.right, bound)
        for side in (left, right):
            if type_of(side) not in (t.BOOL, t.ANY):
                self.error("E-TYPE", f"'{node.op}' needs bools on both sides; this side is {type_of(side)}",
                           side.span)
        return left, right

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
        if t.unify(left, right) is None and not zero_pair(node, left, right):
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
        if joined is None and zero_pair(node, left, right):
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
            if zero_pair(node, left, right):
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
        if never_zero(divisor, self.definitions):
            return
        text = format_expression(divisor)
        if text in self.guards:
            return
        if literal_number(divisor) == 0:
            self.error("E-DIVISION", "division by zero", divisor.span)
            return
        self.error("E-DIVISION", f"the divisor {text} can be zero; guard it, e.g. "
                   f"if {text} > 0 then … else …", divisor.span)

    def set_literal(self, node: s.SetLiteral, bound: dict[str, t.Type]) -> s.SetLiteral:
        element: t.Type = t.ANY
        items = tuple(self.infer(item, bound) for item in node.items)
        for item in items:
            found = type_of(item)
            joined = t.unify(element, found)
            if joined is None:
                self.error("E-TYPE", f"a set's items must share one type; found {element} and {found}", item.span)
            else:
                element = joined
        return replace(node, items=items, type=t.SetOf(element))

    # calls and aggregations ---------------------------------------------------------
    def call(self, node: s.Call, args: list[t.Type]) -> t.Type:
        builtin = BUILTINS.get(node.function)
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

    def aggregate(self, node: s.Aggregate, bound: dict[str, t.Type]) -> s.Aggregate:
        checked_source = self.infer(node.source, bound)
        source = type_of(checked_source)
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
        condition = None
        if node.condition is not None:
            condition = self.infer(node.condition, inner)
            if type_of(condition) not in (t.BOOL, t.ANY):
                self.error("E-TYPE", f"the 'where' filter must be a bool, not {type_of(condition)}",
                           node.condition.span)
        checked_body = self.infer(node.body, inner)
        self.guards = saved
        result = self.aggregate_result(node, type_of(checked_body))
        checked_default = self.infer(node.default, bound) if node.default is not None else None
        return replace(node, source=checked_source, body=checked_body, condition=condition,
                       default=checked_default, type=self.with_default(node, result, checked_default))

    def with_default(self, node: s.Aggregate, result: t.Type, checked_default: s.Node | None) -> t.Type:
        """An aggregation's type once its ``else`` value is taken into account."""
        if node.default is not None and checked_default is not None:
            default = type_of(checked_default)
            if node.function not in ("min", "max", "first", "last"):
                self.error("E-TYPE", f"{node.function}(…) has a value when nothing matches; an 'else' value is only "
                           "for min, max, first and last", node.default.span)
            elif result != t.ANY and default != t.ANY and t.unify(result, default) is None \
                    and not zero_money(node.default, result):
                self.error("E-TYPE", f"the 'else' value is {default} but {node.function}(…) gives {result}",
                           node.default.span)
            else:
                self.literal_in_enum(result, default, node.default)
                if not zero_money(node.default, result):
                    result = t.unify(result, default) or result  # the value may be the else value
        return result

    def literal_in_enum(self, expected: t.Type, found: t.Type, node: s.Node) -> None:
        """A text literal standing where an enumeration's value is expected must be one of its values."""
        if isinstance(expected, t.Enum) and expected.label and isinstance(found, t.Enum) and not found.label:
            for literal in value_literals(node):
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
    def conditional(self, node: s.If, bound: dict[str, t.Type]) -> s.If:
        condition = self.expect_bool(node.condition, bound, "the 'if' condition")
        with self.assuming(node.condition):
            checked_then = self.infer(node.then, bound)
        with self.assuming(node.condition, negated=True):
            checked_otherwise = self.infer(node.otherwise, bound)
        found = self.conditional_type(node, type_of(checked_then), type_of(checked_otherwise))
        return replace(node, condition=condition, then=checked_then, otherwise=checked_otherwise, type=found)

    def conditional_type(self, node: s.If, then: t.Type, otherwise: t.Type) -> t.Type:
        then, otherwise = money_zero(node.then, then, otherwise), money_zero(node.otherwise, otherwise, then)
        self.literal_in_enum(then, otherwise, node.otherwise)
        self.literal_in_enum(otherwise, then, node.then)
        return self.join(then, otherwise, node.otherwise.span, "the 'then' and 'else' branches")

    def cases(self, node: s.Cases, bound: dict[str, t.Type]) -> s.Cases:
        values: list[tuple[s.Node, t.Type]] = []
        rows: list[s.CaseRow] = []
        otherwise = None
        problems, always = unreachable_rows(node)
        self.result.diagnostics.extend(problems)
        with contextlib.ExitStack() as earlier:
            for row in node.rows:
                condition = self.expect_bool(row.condition, bound, "a table row's condition")
                with self.assuming(row.condition):
                    value = self.infer(row.value, bound)
                rows.append(replace(row, condition=condition, value=value))
                values.append((row.value, type_of(value)))
                earlier.enter_context(self.assuming(row.condition, negated=True))  # later rows: this one failed
            if node.otherwise is not None:
                otherwise = self.infer(node.otherwise, bound)
                values.append((node.otherwise, type_of(otherwise)))
        if node.otherwise is None and always is None:
            self.error("E-TABLE-FALLBACK", "this decision table has no 'else' row: a household that matches no "
                       "row would get no value", node.span)
        return replace(node, rows=tuple(rows), otherwise=otherwise, type=self.join_rows(values))

    @contextlib.contextmanager
    def assuming(self, condition: s.Node, negated: bool = False) -> Iterator[None]:
        """Inside: what the condition (or its negation) proves non-zero guards divisions."""
        facts = nonzero_facts(condition, negated, self.guard_names)
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
            found = money_zero(value_node, found, money) if money is not None else found
            result = self.join(result, found, value_node.span, "the table's rows")
        for value_node, found in values:
            if enum is not None:
                self.literal_in_enum(enum, found, value_node)
        return result

    def expect_bool(self, node: s.Node, bound: dict[str, t.Type], what: str) -> s.Node:
        checked = self.infer(node, bound)
        if type_of(checked) not in (t.BOOL, t.ANY):
            self.error("E-TYPE", f"{what} must be a bool, not {type_of(checked)}", node.span)
        return checked

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


