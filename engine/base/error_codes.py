"""Error codes: every code a diagnostic can carry, with one line of meaning each.

This table is the one place a code is defined. The test suite scans the package for
codes and fails on one missing here; ``docs/errors.md`` is generated from it
(``python -m engine.base.error_codes`` rewrites it, ``--check`` reports a stale page, exit 1).
A code has one meaning: two kinds of problem get two codes. ``RENAMED`` keeps the codes
earlier versions used, with the code that replaced each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CODES: dict[str, str] = {
    # expressions (the rules language)
    "E-SYNTAX": "the text is not an expression of the rules language",
    "E-LIMIT": "an expression is too long, too deeply nested, or has a number with too many digits",
    "E-DATE": "a date is not written YYYY-MM-DD or is not a real calendar day",
    "E-NAME": "an expression uses a name that is not defined",
    "E-FIELD": "an expression reads a field a member, income, expense or event does not have",
    "E-FUNCTION": "an expression calls a function or aggregation that does not exist",
    "E-ARITY": "a function is called with the wrong number of arguments",
    "E-TYPE": "values of types that do not go together (adding text to money, branches of two types)",
    "E-PERIOD": "money of different periods (a month and a year) meets without a conversion",
    "E-ENUM": "a text value is not one of the values its set allows (an income kind, an event cause)",
    "E-TABLE-UNREACHABLE": "a row of a decision table (cases) can never match",
    "E-TABLE-FALLBACK": "a decision table (cases) has no 'else' row, so a household can get no value",
    "E-DIVISION": "a divisor can be zero",
    "E-CYCLE": "rules depend on each other in a circle",
    "E-SCOPE": "a member rule is read without a member, or a household rule for one",
    "E-CONSTANT": "a parameter value reads a name: it must be a constant",
    "E-EVAL": "a problem only a household or a date shows, found while evaluating",
    "W-COST": "a rule's work grows fast with the lengths of the lists it walks (a warning)",
    # policy files
    "E-YAML": "a YAML file is not valid YAML, or uses a tag or value the reader does not accept",
    "E-ENCODING": "a text file is not in the encoding it is read in",
    "E-SCHEMA": "a policy file does not follow the policy-file schema (a key missing, unknown or of the wrong kind)",
    "E-VOCABULARY": "the household vocabulary a policy file declares is wrong (a code twice, no Chinese name, a "
                    "region redefining a common code, causes for an unknown event kind)",
    "E-POLICY": "a policy folder or its `policy:` block is wrong (missing, repeated, out of bounds, misnamed)",
    "E-TYPE-NAME": "a declared type is not a type of the language",
    "E-DUPLICATE": "a parameter, rule or source is defined twice in one layer",
    "E-RANGE": "a dated range (a value, a variant, a policy's span) ends before it starts",
    "E-KEYED": "values keyed by start date out of date order, or a `to:` on a keyed value that is not the last",
    "E-OVERLAP": "two dated values or variants of one name cover the same day",
    "E-COVERAGE": "a day of the policy's span has no value or variant for a name that needs one",
    "E-OVERRIDE": "a layer overrides a name with a different type",
    "E-INHERITS": "a layer inherits a layer that does not exist, or inherits in a circle",
    "E-CITATION": "a value or rule cites a source that is not declared",
    "E-SEED": "a source's seed reference is not one of the bundled source documents",
    "E-CONTRACT": "an output or common parameter does not have the type or scope the contract gives it",
    "E-DOC": "a README has no block for the generated document to fill",
    # asking the engine
    "E-REGION": "a region that is not in the policy tree",
    "E-SPAN": "a date outside the span the region's policy answers for",
    "E-PARAMETER": "a parameter that the region does not have",
    "E-OUTPUT": "an output that the region does not define",
    "E-SET": "an override (--set, set=) names no parameter or gives a value that cannot be read",
    "E-PARAMS": "a local parameter file is wrong (another region, an unknown parameter, a bad value)",
    "E-ARGS": "the command's arguments do not go together",
    "E-REV": "a revision that cannot be read from the repository",
    "E-DECISION": "a decision that is not in the decision log",
    # inputs and outputs
    "E-HOUSEHOLD": "a household record does not follow the household format",
    "E-JSON": "a .json file or a JSON Lines line is not valid JSON (or repeats a key, or is not UTF-8)",
    "E-IO": "a file cannot be read or written, or its format cannot be told from its name",
    "E-TABLE": "a table of household records (Parquet, CSV, a DataFrame) cannot be read or has the wrong columns",
    "E-XLSX": "an Excel workbook cannot be read or a cell of it is wrong",
    "E-CASE": "a worked-case file is wrong",
    "E-INVARIANT": "an invariants file is wrong",
    "E-BATCH": "a batch lost count of its records (records in differ from rows out plus errors)",
    "E-REPEATED": "a household id appears again in one caseload (the household is evaluated once)",
    "E-HUKOU": "a household in a batch is registered in another region (--any-hukou evaluates it anyway)",
    "E-REQUEST": "an HTTP request body or parameter is wrong",
    "E-UPLOAD": "a file uploaded on the staff pages cannot be used",
    "E-LOG": "the decision log cannot be opened or has another schema version",
    "E-EXTRA": "a feature needs optional dependencies that are not installed",
    "E-INSTALL": "a command needs programs that are not installed",
}

RENAMED: dict[str, str] = {
    "E-DATES": "E-RANGE",  # a range that ends before it starts, not a malformed date
}

BEGIN = "<!-- BEGIN GENERATED: error codes (python -m engine.base.error_codes); do not edit by hand -->"
END = "<!-- END GENERATED -->"
PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def meaning(code: str) -> str | None:
    """The meaning of a code (a renamed one answers with its successor's)."""
    return CODES.get(RENAMED.get(code, code))


def table() -> str:
    """The generated block of ``docs/errors.md``."""
    lines = [BEGIN, "", "| code | meaning |", "|---|---|"]
    lines += [f"| `{code}` | {text} |" for code, text in sorted(CODES.items())]
    lines += ["", "Codes of earlier versions:", "", "| was | now |", "|---|---|"]
    lines += [f"| `{old}` | `{new}` |" for old, new in sorted(RENAMED.items())]
    return "\n".join([*lines, "", END])


def rewritten(text: str) -> str | None:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[:start] + table() + text[end + len(END):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale page (exit 1)")
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    new = rewritten(text)
    if new is None:
        print(f"{PAGE}: no generated block; add the two marker lines:\n{BEGIN}\n{END}", file=sys.stderr)
        return 1
    if new == text:
        return 0
    if args.check:
        print(f"{PAGE}: error table out of date; run python -m engine.base.error_codes", file=sys.stderr)
        return 1
    temporary = PAGE.with_suffix(".md.tmp")
    temporary.write_text(new, encoding="utf-8")
    temporary.replace(PAGE)
    print(f"rewrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
