"""Data-driven bad households: ``bad/<case>.json`` with ``bad/<case>.expected`` beside it.

Each line of a ``.expected`` file is ``<field path>: <message part>``: some diagnostic
must start with ``<field path>: `` and contain the whole line. The number of lines is
the number of diagnostics the record must produce.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.household.record import load_households, read_households, record_id

BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.glob("*.json"))


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert all(case.with_suffix(".expected").is_file() for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_bad_record_is_reported_at_its_path(case: Path) -> None:
    expected = case.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    expected = [line for line in expected if line.strip()]
    results = list(load_households(case))
    assert len(results) == 1
    diagnostics = results[0]
    assert isinstance(diagnostics, list), "the record should have been rejected"
    messages = [d.message for d in diagnostics]
    for line in expected:
        path = line.split(": ", 1)[0]
        assert any(m.startswith(path + ": ") and line in m for m in messages), (line, messages)
    assert len(diagnostics) == len(expected), messages
    lines = case.read_text(encoding="utf-8").splitlines()
    for diagnostic in diagnostics:
        assert diagnostic.code == "E-HOUSEHOLD"
        assert diagnostic.message.startswith(f"{diagnostic.path_text}: "), (diagnostic.path, diagnostic.message)
        assert diagnostic.span is not None
        assert diagnostic.span.file == str(case)
        assert ": " in diagnostic.message
        # placed where the value is written: at its key, or (a field missing) at the object that lacks it
        assert 1 <= diagnostic.span.line <= len(lines)
        here = lines[diagnostic.span.line - 1][diagnostic.span.column - 1:]
        last = re.split(r"[.\[\]]", diagnostic.message.split(": ", 1)[0].rstrip("]"))[-1]
        if last == "record":
            assert (diagnostic.span.line, diagnostic.span.column) == (1, 1)
        elif "is required" in diagnostic.message or not last or last.isdigit():
            assert here[:1] in ("{", "[", '"'), (diagnostic.one_line(), here[:40])
        else:
            assert here.startswith(f'"{last}"'), (diagnostic.one_line(), here[:40])


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_known_id_is_named(case: Path) -> None:
    ((_, raw),) = read_households(case)
    (diagnostics,) = load_households(case)
    assert isinstance(diagnostics, list)
    identifier = record_id(raw)
    for diagnostic in diagnostics:
        assert diagnostic.message.endswith(f"(record {identifier})") == (identifier is not None)
