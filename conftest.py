"""pytest collects each region's worked cases from ``policies/<region>/tests/*.yaml``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.diagnostics import DiagnosticError
from engine.i18n import language_from_environment
from engine.library import PolicyLibrary
from engine.testing import value_text
from engine.worked_cases import WorkedCase, load_cases, run_case

POLICIES = Path(__file__).parent / "policies"

if language_from_environment() != "en":  # the tests read English messages; Chinese ones are tested with --lang zh
    os.environ.update({"LANGUAGE": "", "LC_ALL": "C.UTF-8", "LC_MESSAGES": ""})


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "tests" and POLICIES in file_path.parents:
        return WorkedCaseFile.from_parent(parent, path=file_path)
    return None


class WorkedCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        region = str(self.path.parent.parent.relative_to(POLICIES))
        try:
            cases = load_cases(region, self.path)
        except DiagnosticError as error:
            raise pytest.Collector.CollectError(str(error)) from None
        for case in cases:
            yield WorkedCaseItem.from_parent(self, name=f"{case.checks[0]}: {case.name}", case=case)


class WorkedCaseItem(pytest.Item):
    def __init__(self, *, case: WorkedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        outcome = run_case(self.case, PolicyLibrary.open(POLICIES))
        if not outcome.passed:
            raise WorkedCaseFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, WorkedCaseFailure):
            outcome = excinfo.value.outcome
            lines = [f"{self.case.span}: worked case {self.case.name!r} ({', '.join(self.case.checks)}) failed"]
            if outcome.error:
                lines.append(f"  error: {outcome.error}")
            lines += [f"  {name}: expected {value_text(want)}, got {value_text(got)}"
                      for name, want, got in outcome.mismatches]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.span.line - 1, f"{self.case.region}: {self.case.name}"


class WorkedCaseFailure(Exception):
    def __init__(self, outcome: Any) -> None:
        super().__init__(outcome.case.name)
        self.outcome = outcome
