"""The household vocabulary as Markdown tables, generated into docs/households.md.

The kinds of income, expense and event and the causes of events, with their Chinese names
and meanings, are data of the policy tree (``policies/common/vocabulary.yaml``). The tables
of docs/households.md between the ``vocabulary`` markers are generated from the bundled
tree's vocabulary: ``python -m engine.tools.vocabulary_table`` rewrites them, ``--check``
reports stale tables (exit 1); a test runs the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.household.vocabulary import Term, Vocabulary, bundled_vocabulary

BEGIN = "<!-- vocabulary: generated from policies/common/vocabulary.yaml by python -m engine.tools.vocabulary_table -->"
END = "<!-- vocabulary: end -->"
DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "households.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(terms: list[Term]) -> list[str]:
    return [f"| `{t.code}` | {_cell(t.name)} | {_cell(t.meaning)} |" for t in terms]


def vocabulary_markdown(vocabulary: Vocabulary) -> str:
    """Three tables: income kinds, expense kinds, event kinds with their causes."""
    def of(section: str) -> list[Term]:
        return [t for t in vocabulary.terms if t.section == section]

    head = ["| code | 名称 | meaning |", "|---|---|---|"]
    out = ["Income kinds (`incomes[].kind`):", "", *head, *_rows(of("income_kinds")), "",
           "Expense kinds (`expenses[].kind`):", "", *head, *_rows(of("expense_kinds")), "",
           "Event kinds (`events[].kind`) and their causes (`events[].cause`, required exactly for the kinds that "
           "have causes):", "", "| code | 名称 | meaning | causes |", "|---|---|---|---|"]
    for kind in of("event_kinds"):
        causes = [t for t in vocabulary.terms if t.section == "causes" and t.of == kind.code]
        listed = ", ".join(f"`{c.code}` ({_cell(c.name)})" for c in causes) or "none"
        out.append(f"| `{kind.code}` | {_cell(kind.name)} | {_cell(kind.meaning)} | {listed} |")
    return "\n".join(out)


def updated(text: str, vocabulary: Vocabulary) -> str:
    """``text`` with the block between the markers replaced by the vocabulary's tables."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + vocabulary_markdown(vocabulary) + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale tables (exit 1) instead of writing")
    args = parser.parse_args(argv)
    text = DOCUMENT.read_text(encoding="utf-8")
    fresh = updated(text, bundled_vocabulary())
    if args.check:
        if fresh != text:
            print(f"{DOCUMENT.name}: the vocabulary tables are stale; run python -m engine.tools.vocabulary_table",
                  file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        temporary = DOCUMENT.with_suffix(".md.tmp")
        temporary.write_text(fresh, encoding="utf-8")
        temporary.replace(DOCUMENT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
