"""Household records: validate the raw record, normalise it into frozen dataclasses.

The public entry points of ``engine.household``; the model, values, schema, validator and
readers are its sibling modules, re-exported here.

This stage takes a household record as parsed from JSON, JSON Lines or YAML (see the
household record in the project contract and ``docs/households.md``) and either returns
a :class:`Household` or reports every problem it found as ``E-HOUSEHOLD`` diagnostics.

Contract of the stage
---------------------
* ``validate_household(record)`` returns a ``Household`` or raises ``DiagnosticError``
  carrying *all* problems, sorted by field path. ``household_errors(record)`` returns the
  same diagnostics without raising. No input, however malformed, produces any other
  exception.
* Every message starts with the field path, e.g.
  ``members[1].incomes[0].amount: must not be negative``; a problem with the record as a
  whole uses the path ``record``. The diagnostic's ``path`` holds the same path as data
  (``("members", 1, "incomes", 0, "amount")``; the empty tuple for the whole record), so
  no caller parses it back out of the message. When the record's ``id`` is a usable string the
  message ends with ``(record <id>)`` so a batch run can name it. Read from a file,
  the span is the line and column where the value (or its key) is written; a record
  handed in as Python data is placed at ``Span(source, line or 1, 1)``.
* Structure (types, required fields, allowed values, unknown fields) is checked by one
  cerberus schema (``engine.household.schema``), built once per vocabulary; values
  (amounts, dates, names) by small ``check_with`` functions (``engine.household.values``);
  cross-field rules (duplicate member ids, request member references, event causes) by
  small functions over the raw record (``engine.household.problems``). A record that
  passes every rule is accepted by a test derived from the same schema
  (``engine.household.fast_path``) without building any message.
* The kinds of income, expense and event and the causes of events are the vocabulary's
  (``engine.household.vocabulary``): the one passed as ``vocabulary=``, else the one in
  force, else the one bundled with dibao. A policy tree's region may add kinds.
* Money is exact: amounts become ``decimal.Decimal``. JSON is parsed with
  ``parse_float=Decimal``, and YAML by the strict loader policy files use
  (``engine.base.yaml_source``): a number is plain decimal digits or it stays text, so
  ``0750`` is the amount 750 and ``0x2EE`` or ``1_000`` are rejected, never converted, and
  no binary float is involved. A Python ``float`` handed in directly is read from its shortest
  ``repr`` (``267.5`` -> ``Decimal("267.5")``), then checked like any other amount.
* Dates become ``datetime.date``; YAML dates are kept as their text and parsed
  here, so an impossible date is a located error rather than a loader crash.

Defaults (each one documented, none silent)
-------------------------------------------
* member ``disability``: absent or ``null`` means no disability (``None``).
* member ``seriously_ill``, ``employed``, ``applies_single_person``: ``false``.
* member ``incomes``, ``expenses``: empty.
* ``status``: absent means every flag below at its default; inside it the booleans
  ``registered_poor``, ``lifted_out``, ``tekun``, ``children_support_sufficient``
  default to ``false`` and the dates ``dibao_since``, ``monitored_since`` to ``null``.
* ``events``, ``requests``: empty. ``events[].cause`` and ``requests[].member``: ``null``
  (a cause is required exactly for the event kinds that have causes).
* An explicit ``null`` is accepted only where the default is ``null``; a ``null``
  boolean, list or object is an error (leave the field out to get its default).

Value rules
-----------
* Amounts: a decimal string (``"1200"``, ``"267.50"``; digits, an optional ``-`` and an
  optional fraction, nothing else) or a JSON number; finite, not negative, at most 2
  decimal places (yuan.fen), at most 1,000,000,000,000. Booleans are not numbers.
* Dates: ``YYYY-MM-DD`` text (or a ``date`` object), a real calendar day, between
  1900-01-01 and 2100-12-31.
* Ids (household, member) are non-blank strings; ``hukou`` is a lower-case region
  name (``hebi``, ``inner_mongolia``: letters, digits, ``_`` or ``-``).
* Sizes, so that one record's cost is bounded: at most 50 members, 50 incomes and 50
  expenses per member, 200 events and 50 requests; longer lists are reported and only
  their first items checked.

Readers
-------
``read_households(path)`` yields ``(line, raw_record)`` pairs; a line that cannot be
read becomes an :class:`Unreadable` carrying its diagnostics (``E-JSON``, ``E-YAML``),
so no record is ever lost. ``load_households(path)`` yields, per record, a ``Household``
or the list of its diagnostics. ``.json`` holds one object, ``.yaml``/``.yml`` one
mapping, ``.jsonl`` one object per line (blank lines skipped). The path ``-`` reads
standard input (JSON Lines for the batch readers, one JSON object for
``load_household``). Problems with the file itself raise ``DiagnosticError`` (``E-IO``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.fast_path import plainly_read, plainly_valid
from engine.household.model import (
    CERTIFICATES,
    CODE,
    DISABILITY_CATEGORIES,
    EARLIEST,
    EDUCATION_LEVELS,
    EVENT_CAUSES,
    EVENT_KINDS,
    EXPENSE_KINDS,
    INCOME_KINDS,
    LABOUR_CAPACITIES,
    LATEST,
    MAX_AMOUNT,
    MAX_EVENTS,
    MAX_FLOWS,
    MAX_MEMBERS,
    MAX_REQUESTS,
    PERIODS,
    REQUEST_KINDS,
    TEKUN_SUPPORTS,
    Disability,
    Event,
    Expense,
    Household,
    Income,
    Member,
    Request,
    Status,
    Unreadable,
)
from engine.household.problems import Locate, Problem, diagnostics_of, problems_of, record_id
from engine.household.readers import (
    _io_error,
    _located_records,
    _read_located,
    read_household_text,
    read_households,
)
from engine.household.schema import SCHEMA, record_schema
from engine.household.values import build_household, whole_number_text, whole_numbers
from engine.household.vocabulary import Vocabulary

__all__ = [
    "CERTIFICATES",
    "DISABILITY_CATEGORIES",
    "EDUCATION_LEVELS",
    "EVENT_CAUSES",
    "EVENT_KINDS",
    "EXPENSE_KINDS",
    "INCOME_KINDS",
    "LABOUR_CAPACITIES",
    "MAX_AMOUNT",
    "MAX_EVENTS",
    "MAX_FLOWS",
    "MAX_MEMBERS",
    "MAX_REQUESTS",
    "PERIODS",
    "REQUEST_KINDS",
    "TEKUN_SUPPORTS",
    "Disability",
    "Event",
    "Expense",
    "Household",
    "Income",
    "Member",
    "Request",
    "Status",
    "Unreadable",
    "household_errors",
    "load_household",
    "load_households",
    "parse_household_text",
    "read_household_text",
    "read_households",
    "record_id",
    "validate_household",
    "whole_number_text",
]

# Names the record's other readers share (the table layout, the JSON Lines batch reader).
_SCHEMA = SCHEMA
_EARLIEST, _LATEST, _CODE = EARLIEST, LATEST, CODE
_household = build_household


def _problems(record: object, vocabulary: Vocabulary | None = None) -> list[Problem]:
    return problems_of(record, record_schema(vocabulary))


def _plainly_valid(record: object, vocabulary: Vocabulary | None = None) -> bool:
    return plainly_valid(record, record_schema(vocabulary))


def household_errors(
    record: object, *, source: str = "<household>", line: int | None = None, locate: Locate | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[Diagnostic]:
    """Every problem in ``record`` as ``E-HOUSEHOLD`` diagnostics; empty when it is valid.

    ``vocabulary``: the kinds and causes the record may use (default: the vocabulary in force)."""
    record = whole_numbers(record)
    return diagnostics_of(record, _problems(record, vocabulary), source, line, locate)


def validate_household(
    record: object, *, source: str = "<household>", line: int | None = None, locate: Locate | None = None,
    vocabulary: Vocabulary | None = None,
) -> Household:
    """The normalised household, or ``DiagnosticError`` with all of its problems.

    ``vocabulary`` holds the kinds and causes the record may use: a policy tree region's
    (``PolicyLibrary.vocabulary_of``), by default the vocabulary in force. A record that
    passes every rule is accepted by the test derived from the schema (``fast_path``); any
    other goes through the full validator, which names each problem. Both give the same
    household for a record they accept (a test keeps them so).
    """
    schema = record_schema(vocabulary)
    parsed = plainly_read(record, schema)
    if parsed is not None:
        assert isinstance(record, Mapping)
        return build_household(record, parsed)
    record = whole_numbers(record)
    problems = problems_of(record, schema)
    if problems:
        raise DiagnosticError(diagnostics_of(record, problems, source, line, locate))
    assert isinstance(record, Mapping)
    return build_household(record)


def _checked(line: int, raw: object, source: str, locate: Locate | None = None,
             vocabulary: Vocabulary | None = None) -> Household | list[Diagnostic]:
    if isinstance(raw, Unreadable):
        return list(raw.diagnostics)
    try:
        return validate_household(raw, source=source, line=line, locate=locate, vocabulary=vocabulary)
    except DiagnosticError as error:
        return list(error.diagnostics)


def parse_household_text(
    text: str, *, fmt: str, source: str, vocabulary: Vocabulary | None = None
) -> Iterator[Household | list[Diagnostic]]:
    """For each record in ``text``: the ``Household``, or the list of its diagnostics."""
    for line, raw, locate in _located_records(text, fmt=fmt, source=source):
        yield _checked(line, raw, source, locate, vocabulary)


def load_households(
    path: Path | str, *, fmt: str | None = None, vocabulary: Vocabulary | None = None
) -> Iterator[Household | list[Diagnostic]]:
    """For each record in a file: the ``Household``, or the list of its diagnostics.

    Exactly one item per record (per non-blank line of a JSON Lines file), so
    records in = households + rejected records, always. Each diagnostic is placed at the
    line and column of the value it is about. ``vocabulary``: as for ``validate_household``.
    """
    path = Path(path)
    source = "<stdin>" if str(path) == "-" else str(path)
    for line, raw, locate in _read_located(path, fmt=fmt):
        yield _checked(line, raw, source, locate, vocabulary)


def load_household(path: Path | str, *, fmt: str | None = None, vocabulary: Vocabulary | None = None) -> Household:
    """The one household in a file (``-``: one JSON object on standard input).

    Raises ``DiagnosticError`` with every problem, or when the file holds no record or
    more than one.
    """
    path = Path(path)
    if str(path) == "-":
        fmt = fmt or "json"
    source = "<stdin>" if str(path) == "-" else str(path)
    results = list(load_households(path, fmt=fmt, vocabulary=vocabulary))
    if len(results) != 1:
        raise _io_error(
            source, f"expected one household record, found {len(results)}"
        )
    result = results[0]
    if isinstance(result, list):
        raise DiagnosticError(result)
    return result
