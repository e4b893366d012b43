"""A household file and a worked case's ``household:`` are read by one YAML loader and one
validator: the same record is accepted or refused alike, with the same message at the place
its value is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.record import load_household
from engine.runtime.library import PolicyLibrary
from engine.tools.worked_cases import load_cases, run_case

MEMBER = """\
      - id: p1
        birth_date: "1980-01-01"
        labour_capacity: full
        employed: {employed}
"""


def household_file(folder: Path, employed: str) -> tuple[Path, int]:
    text = "id: H-1\nhukou: hebi\nmembers:\n" + "\n".join(line[4:] for line in MEMBER.format(
        employed=employed).splitlines()) + "\n"
    path = folder / "household.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines().index(f"    employed: {employed}") + 1


def case_file(folder: Path, employed: str) -> tuple[Path, int]:
    text = ("cases:\n  - name: one member\n    checks: H1\n    date: 2017-10-01\n    expect: {dibao.eligible: false}\n"
            "    household:\n      id: H-1\n      hukou: hebi\n      members:\n" + MEMBER.format(employed=employed))
    path = folder / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines().index(f"        employed: {employed}") + 1


def from_file(path: Path) -> list[Diagnostic]:
    try:
        load_household(path)
    except DiagnosticError as error:
        return list(error.diagnostics)
    return []


def from_case(path: Path) -> list[Diagnostic]:
    [case] = load_cases("hebi", path)
    return run_case(case, PolicyLibrary.open()).diagnostics


@pytest.mark.parametrize("employed", ["yes", "on", "1", "'true'", "Yes"])
def test_a_value_refused_in_a_household_file_is_refused_in_a_worked_case_at_its_own_place(
        tmp_path: Path, employed: str) -> None:
    path, line = household_file(tmp_path, employed)
    cases, case_line = case_file(tmp_path, employed)
    [in_file], [in_case] = from_file(path), from_case(cases)
    assert (in_file.code, in_file.message) == (in_case.code, in_case.message)
    assert "members[0].employed" in in_file.message
    assert in_file.span is not None and in_case.span is not None
    assert (in_file.span.file, in_file.span.line) == (str(path), line)
    assert (Path(in_case.span.file).name, in_case.span.line) == ("cases.yaml", case_line)
    assert in_file.span.column == in_case.span.column - 4  # the same value, four columns further in


@pytest.mark.parametrize("employed", ["true", "false", "True", "FALSE"])
def test_a_value_accepted_in_a_household_file_is_accepted_in_a_worked_case(tmp_path: Path, employed: str) -> None:
    path, _ = household_file(tmp_path, employed)
    cases, _ = case_file(tmp_path, employed)
    assert from_file(path) == []
    assert load_household(path).members[0].employed is (employed.lower() == "true")
    [case] = load_cases("hebi", cases)
    assert case.as_of == date(2017, 10, 1)
    assert run_case(case, PolicyLibrary.open()).error is None
