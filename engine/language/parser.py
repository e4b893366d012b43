"""Parse: expression text → ``engine.language.syntax`` nodes, or located diagnostics.

The grammar lives in ``grammar/rules.lark`` (LALR). Lark's parse tree is converted to
frozen dataclasses right away; nothing else in the engine sees Lark objects. Positions
come from a ``Locator`` that maps an offset in the expression text to a ``Span`` in the
file (for an expression inside YAML, the place in the YAML file). Bounds on length and
nesting keep hostile input from exhausting the parser.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Protocol

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.resources import grammar_path
from engine.language import syntax as s
from engine.language.builtins import AGGREGATES

MAX_EXPRESSION_LENGTH = 20_000
MAX_NESTING = 64
MAX_DIGITS = 30
# Characters that change how text displays without showing: zero-width ones and bidirectional
# controls. In a rule (strings and comments included) they could make it read as something it is not.
_HIDDEN = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "MONEY": "an amount of money",
    "PERCENT": "a percentage",
    "DURATION": "a duration",
    "DATE": "a date",
    "STRING": "a text in quotes",
    "COMPARE": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "MINUS": "'-'",
    "$END": "the end of the expression",
}

ParseTree = Tree[Token]  # what the grammar parses into: trees whose leaves are tokens


def _children(item: ParseTree | Token | None) -> list[ParseTree | Token]:
    """The parts of a sub-tree the grammar builds as a tree (an optional part left out has none)."""
    if item is None:
        return []
    assert isinstance(item, Tree), item
    return item.children


class Locator(Protocol):
    """Maps an offset in an expression's text to a place in its file."""

    def span_at(self, offset: int, end_offset: int | None = None) -> Span: ...


@dataclass(frozen=True)
class TextLocator:
    """Locator for an expression that is the whole text, or starts at (line, column) of a file."""

    file: str
    text: str
    line: int = 1
    column: int = 1

    def span_at(self, offset: int, end_offset: int | None = None) -> Span:
        start = self._position(offset)
        end = self._position(end_offset) if end_offset is not None else (None, None)
        return Span(self.file, start[0], start[1], end[0], end[1])

    def _position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        before = self.text[:offset]
        newlines = before.count("\n")
        if newlines == 0:
            return self.line, self.column + offset
        return self.line + newlines, offset - before.rfind("\n")


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse_expression(text: str, locator: Locator | None = None) -> s.Node:
    """Parse one expression; raise ``DiagnosticError`` with located diagnostics on failure."""
    where = locator or TextLocator("<expression>", text)
    _check_bounds(text, where)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as error:
        raise DiagnosticError([_syntax_diagnostic(error, text, where)]) from None
    except LarkError as error:  # pragma: no cover - lark's other errors are grammar bugs
        raise DiagnosticError([Diagnostic("E-SYNTAX", f"could not parse: {error}", where.span_at(0))]) from None
    _check_tree_depth(tree, where)
    return _Builder(where).build(tree)


def _check_bounds(text: str, where: Locator) -> None:
    if not text.strip():
        raise DiagnosticError([Diagnostic("E-SYNTAX", "the expression is empty", where.span_at(0))])
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise DiagnosticError([Diagnostic(
            "E-LIMIT", f"the expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}",
            where.span_at(0))])
    hidden = _HIDDEN.search(text)
    if hidden is not None:
        char = hidden.group()
        name = unicodedata.name(char, f"U+{ord(char):04X}").lower()
        raise DiagnosticError([Diagnostic(
            "E-SYNTAX", f"unexpected character {char!r} ({name}): an invisible or direction-changing character "
            "would make the rule display differently from what it does; delete it", where.span_at(hidden.start()))])
    depth = 0
    for offset, char in enumerate(text):
        if char in "({":
            depth += 1
            if depth > MAX_NESTING:
                raise DiagnosticError([Diagnostic(
                    "E-LIMIT", f"brackets are nested more than {MAX_NESTING} deep", where.span_at(offset))])
        elif char in ")}":
            depth -= 1


def _check_tree_depth(tree: ParseTree, where: Locator) -> None:
    stack: list[tuple[ParseTree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > 2 * MAX_NESTING + 1:  # the innermost value is a level too
            offset = getattr(node.meta, "start_pos", 0) if not node.meta.empty else 0
            raise DiagnosticError([Diagnostic(
                "E-LIMIT", f"the expression nests more than {2 * MAX_NESTING} operations deep; split it into rules",
                where.span_at(offset))])
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _syntax_diagnostic(error: UnexpectedInput, text: str, where: Locator) -> Diagnostic:
    offset = error.pos_in_stream if error.pos_in_stream is not None else len(text)
    if isinstance(error, UnexpectedEOF):
        offset = len(text.rstrip())
        expected = _expected_words(error.expected)
        return Diagnostic("E-SYNTAX", f"the expression ends too early; expected {expected}", where.span_at(offset))
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            offset = len(text.rstrip())
            return Diagnostic("E-SYNTAX", f"the expression ends too early; expected {_expected_words(error.expected)}",
                              where.span_at(offset))
        return Diagnostic("E-SYNTAX", f"unexpected {str(token)!r}; expected {_expected_words(error.expected)}",
                          where.span_at(offset, offset + len(str(token))))
    if isinstance(error, UnexpectedCharacters):
        char = text[offset] if offset < len(text) else ""
        hint = _character_hint(char)
        return Diagnostic("E-SYNTAX", f"unexpected character {char!r}{hint}", where.span_at(offset, offset + 1))
    return Diagnostic("E-SYNTAX", "could not parse the expression", where.span_at(offset))


def _character_hint(char: str) -> str:
    hints = {
        "=": "; compare with '==' ",
        "&": "; write 'and'",
        "|": "; write 'or'",
        "!": "; write 'not' or '!='",
        "[": "; sets are written with braces: {\"a\", \"b\"}",
    }
    return hints.get(char, "").rstrip()


def _expected_words(expected: Collection[str]) -> str:
    words = sorted({_TERMINAL_WORDS.get(name, _keyword(name)) for name in expected})
    if len(words) > 6:
        words = [*words[:6], "…"]
    return ", ".join(words) if words else "something else"


def _keyword(terminal: str) -> str:
    if terminal.isupper():
        return f"'{terminal.lower()}'"
    return repr(terminal)


_MONTHS_PER = {"year": 12, "years": 12, "年": 12}


class _Builder:
    """Converts one Lark tree into syntax nodes (iteratively bounded by ``_check_tree_depth``)."""

    def __init__(self, where: Locator) -> None:
        self.where = where
        self.problems: list[Diagnostic] = []

    def build(self, tree: ParseTree | Token) -> s.Node:
        node = self.node(tree)
        if self.problems:
            raise DiagnosticError(self.problems)
        return node

    def span(self, item: ParseTree | Token) -> Span:
        if isinstance(item, Token):
            start = item.start_pos or 0
            return self.where.span_at(start, item.end_pos)
        if item.meta.empty:
            return self.where.span_at(0)
        return self.where.span_at(item.meta.start_pos, item.meta.end_pos)

    def node(self, item: ParseTree | Token) -> s.Node:
        if isinstance(item, Token):  # pragma: no cover - every token is wrapped by a rule
            raise AssertionError(f"bare token {item!r}")
        handler = getattr(self, f"n_{item.data}", None)
        if handler is None:  # pragma: no cover - grammar and builder out of step
            raise AssertionError(f"no builder for {item.data}")
        built: s.Node = handler(item)
        return built

    # literals -----------------------------------------------------------------
    def too_long(self, t: ParseTree, raw: str) -> bool:
        digits = sum(ch.isdigit() for ch in raw)
        if digits > MAX_DIGITS:
            self.problems.append(Diagnostic("E-LIMIT", f"a number with {digits} digits; numbers have at most "
                                            f"{MAX_DIGITS}", self.span(t)))
            return True
        return False

    def n_number(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0]).replace("_", "")
        if self.too_long(t, raw):
            return s.Literal(self.span(t), "number", 0)
        value: Decimal | int = Decimal(raw) if "." in raw else int(raw)
        return s.Literal(self.span(t), "number", value)

    def n_percent(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0]).rstrip("%").replace("_", "")
        if self.too_long(t, raw):
            return s.Literal(self.span(t), "percent", Decimal(0))
        sign, digits, exponent = Decimal(raw).as_tuple()
        assert isinstance(exponent, int)
        return s.Literal(self.span(t), "percent", Decimal((sign, digits, exponent - 2)))

    def n_money(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0])
        if self.too_long(t, raw):
            return s.Literal(self.span(t), "money", Decimal(0), "")
        amount_text = raw.split("yuan")[0].split("元")[0].strip().replace("_", "")
        unit = ""
        if "/" in raw:
            period = raw.split("/")[1].strip()
            unit = {"month": "month", "月": "month", "year": "year", "年": "year"}[period]
        try:
            amount = Decimal(amount_text)
        except InvalidOperation:  # pragma: no cover - the grammar admits only digits
            amount = Decimal(0)
        return s.Literal(self.span(t), "money", amount, unit)

    def n_duration(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0])
        if self.too_long(t, raw):
            return s.Literal(self.span(t), "duration", 0, "days")
        digits = ""
        for char in raw:
            if char.isdigit() or char == "_":
                digits += char
            else:
                break
        count = int(digits.replace("_", ""))
        word = raw[len(digits):].strip()
        if "work" in word or "工作日" in word:
            unit = "working_days"
        elif word.startswith("day") or word == "天":
            unit = "days"
        elif word in _MONTHS_PER:
            unit, count = "months", count * 12
        else:
            unit = "months"
        return s.Literal(self.span(t), "duration", count, unit)

    def n_date(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0])
        year, month, day = (int(p) for p in raw.split("-"))
        if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(max(year, 1), month)[1]) or year < 1:
            self.problems.append(Diagnostic("E-DATE", f"{raw} is not a real date", self.span(t)))
            return s.Literal(self.span(t), "date", date(2000, 1, 1))
        return s.Literal(self.span(t), "date", date(year, month, day))

    def n_string(self, t: ParseTree) -> s.Node:
        raw = str(t.children[0])[1:-1]
        text = raw.replace("\\\\", "\x00").replace('\\"', '"').replace("\\'", "'").replace("\x00", "\\")
        return s.Literal(self.span(t), "text", text)

    def n_true(self, t: ParseTree) -> s.Node:
        return s.Literal(self.span(t), "bool", True)

    def n_false(self, t: ParseTree) -> s.Node:
        return s.Literal(self.span(t), "bool", False)

    # names and calls -----------------------------------------------------------
    def n_name(self, t: ParseTree) -> s.Node:
        return s.Name(self.span(t), tuple(str(t.children[0]).split(".")))

    def n_call(self, t: ParseTree) -> s.Node:
        name, arguments = t.children
        args = tuple(self.node(a) for a in _children(arguments) if a is not None)
        return s.Call(self.span(t), str(name), args)

    def n_aggregate(self, t: ParseTree) -> s.Node:
        function, body, var, source, where, default = t.children
        if str(function) not in AGGREGATES:
            self.problems.append(Diagnostic(
                "E-FUNCTION", f"{function}(… for … in …) is not an aggregation; the aggregations are: "
                f"{', '.join(AGGREGATES)}", self.span(function)))
        return s.Aggregate(
            self.span(t),
            str(function),
            self.node(body),
            str(var),
            self.node(source),
            self.node(_children(where)[0]) if where is not None else None,
            self.node(_children(default)[0]) if default is not None else None,
        )

    def n_exists_expr(self, t: ParseTree) -> s.Node:
        """``exists x in LIST where COND``: the same node as ``any(true for x in LIST where COND)``, so the checker
        speaks of its 'where' and every evaluator already knows it."""
        var, source, condition = t.children
        span = self.span(t)
        return s.Aggregate(span, "any", s.Literal(span, "bool", True), str(var), self.node(source),
                           self.node(condition), None)

    def n_set_literal(self, t: ParseTree) -> s.Node:
        arguments = t.children[0]
        items = tuple(self.node(a) for a in _children(arguments) if a is not None)
        return s.SetLiteral(self.span(t), items)

    # operators -----------------------------------------------------------------
    def n_binary(self, t: ParseTree) -> s.Node:
        left, op, right = t.children
        return s.Binary(self.span(op), s.binary_op(str(op)), self.node(left), self.node(right))

    def n_compare(self, t: ParseTree) -> s.Node:
        return self.n_binary(t)

    def n_in_op(self, t: ParseTree) -> s.Node:
        left, right = t.children
        return s.Binary(self.span(t), "in", self.node(left), self.node(right))

    def n_not_in_op(self, t: ParseTree) -> s.Node:
        left, right = t.children
        return s.Binary(self.span(t), "not in", self.node(left), self.node(right))

    def n_and_op(self, t: ParseTree) -> s.Node:
        left, right = t.children
        return s.Binary(self.span(t), "and", self.node(left), self.node(right))

    def n_or_op(self, t: ParseTree) -> s.Node:
        left, right = t.children
        return s.Binary(self.span(t), "or", self.node(left), self.node(right))

    def n_not_op(self, t: ParseTree) -> s.Node:
        return s.Unary(self.span(t), "not", self.node(t.children[0]))

    def n_negate(self, t: ParseTree) -> s.Node:
        return s.Unary(self.span(t), "-", self.node(t.children[0]))

    # conditionals --------------------------------------------------------------
    def n_if_expr(self, t: ParseTree) -> s.Node:
        condition, then, otherwise = t.children
        return s.If(self.span(t), self.node(condition), self.node(then), self.node(otherwise))

    def n_cases_expr(self, t: ParseTree) -> s.Node:
        *rows, fallback = t.children
        built = tuple(
            s.CaseRow(self.span(row), self.node(_children(row)[0]), self.node(_children(row)[1])) for row in rows
        )
        otherwise = self.node(_children(fallback)[0]) if fallback is not None else None
        return s.Cases(self.span(t), built, otherwise)
