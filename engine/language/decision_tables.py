"""Decision tables: rows that can never match (after a row that always does, a condition
written twice, a condition that is false), found from the rows' canonical text."""

from __future__ import annotations

from engine.base.diagnostics import Diagnostic, Related
from engine.language import syntax as s
from engine.language.formatter import format_expression

_CODE = "E-TABLE-UNREACHABLE"


def unreachable_rows(node: s.Cases) -> tuple[list[Diagnostic], s.CaseRow | None]:
    """The rows that can never match, reported; the first row that matches every household, if any."""
    found: list[Diagnostic] = []
    seen: dict[str, s.CaseRow] = {}
    always: s.CaseRow | None = None
    for row in node.rows:
        text = format_expression(row.condition)
        if always is not None:
            found.append(Diagnostic(_CODE, f"this row can never match: the row at line {always.span.line} "
                                    "matches every household first", row.span,
                                    related=(Related(always.span, "the row that matches every household"),)))
        elif text in seen:
            found.append(Diagnostic(_CODE, f"this row can never match: the row at line {seen[text].span.line} "
                                    f"has the same condition ({text})", row.span,
                                    related=(Related(seen[text].span, "the earlier row with the same condition"),)))
        elif text == "false":
            found.append(Diagnostic(_CODE, "this row can never match: its condition is false", row.span))
        seen.setdefault(text, row)
        if text == "true" and always is None:
            always = row
    if node.otherwise is not None and always is not None:
        found.append(Diagnostic(_CODE, f"the 'else' row can never match: the row at line {always.span.line} "
                                "matches every household first", node.otherwise.span,
                                related=(Related(always.span, "the row that matches every household"),)))
    return found, always
