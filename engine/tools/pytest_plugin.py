"""A pytest plugin for policy repositories (entry point ``pytest11``, name ``dibao``).

In a folder holding a policy tree, plain ``pytest`` collects the tree's regression tests
without any Python: every worked case of ``<tree>/<region>/tests/*.yaml`` (and of a
sub-jurisdiction's ``tests/``) is one test item, and ``<tree>/invariants.yaml`` gives one
item per region checking every invariant that applies to it. The tree is the one
``dibao`` itself would find from pytest's root folder (``DIBAO_POLICIES``, else the
nearest ``policies/``); the tree bundled with the package is never collected.

A failure is reported as ``dibao test`` and ``dibao consistency`` report it: expected
against actual and the explain tree of each differing output, or the violating household
with its values. The ini option ``dibao_examples`` sets how many generated households
each invariant is checked on per region (default 25); ``-p no:dibao`` turns the plugin off.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.runtime.library import BUNDLED, PolicyLibrary, choose_tree
from engine.tools.worked_cases import CaseOutcome, WorkedCase, load_cases, run_case

TREE = pytest.StashKey[Path | None]()
LIBRARY = pytest.StashKey[PolicyLibrary]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("dibao_examples", "generated households per invariant and region (dibao plugin)", default="25")


def pytest_configure(config: pytest.Config) -> None:
    choice = choose_tree(start=config.rootpath)
    config.stash[TREE] = None if choice.found_by == BUNDLED else choice.path.resolve()


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    tree = parent.config.stash.get(TREE, None)
    if tree is None or file_path.suffix != ".yaml":
        return None
    if file_path == tree / "invariants.yaml":
        return InvariantsFile.from_parent(parent, path=file_path)
    if file_path.parent.name == "tests":
        try:
            region = file_path.parent.parent.relative_to(tree).as_posix()
        except ValueError:
            return None
        if region != "." and region.count("/") <= 1:
            return WorkedCaseFile.from_parent(parent, path=file_path)
    return None


def library_of(config: pytest.Config) -> PolicyLibrary:
    """The tree's library, loaded once per run."""
    if LIBRARY not in config.stash:
        tree = config.stash[TREE]
        assert tree is not None
        config.stash[LIBRARY] = PolicyLibrary.open(tree)
    return config.stash[LIBRARY]


class WorkedCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        tree = self.config.stash[TREE]
        assert tree is not None
        region = self.path.parent.parent.relative_to(tree).as_posix()
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
        outcome = run_case(self.case, library_of(self.config))
        if not outcome.passed:
            raise WorkedCaseFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, WorkedCaseFailure):
            from engine.tools.testing import failure_lines

            return "\n".join(failure_lines(library_of(self.config), excinfo.value.outcome))
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.span.line - 1, f"{self.case.region}: {self.case.name}"


class WorkedCaseFailure(Exception):
    def __init__(self, outcome: CaseOutcome) -> None:
        super().__init__(outcome.case.name)
        self.outcome = outcome


class InvariantsFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        library = library_of(self.config)
        for region in library.regions:
            yield InvariantsItem.from_parent(self, name=f"invariants: {region}", region=region)


class InvariantsItem(pytest.Item):
    def __init__(self, *, region: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region = region

    def runtest(self) -> None:
        from engine.extras import require_extra

        require_extra("consistency", "checking the invariants")
        from engine.tools.consistency import bundled_population, check_region, load_invariants

        library = library_of(self.config)
        examples = int(str(self.config.getini("dibao_examples")))
        report = check_region(library, self.region, load_invariants(self.path), examples,
                              bundled_population(library.root.parent, 30))
        unchecked = [name for name, count in report.checked.items() if count == 0]
        if report.problems or report.violations or unchecked:
            raise InvariantsFailure(report, unchecked)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        failure = excinfo.value
        if isinstance(failure, DiagnosticError):
            return str(failure)
        if isinstance(failure, InvariantsFailure):
            from engine.tools.reports import print_consistency

            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                print_consistency(library_of(self.config), [failure.report], None, False)
            unchecked = [f"  {name}: applies but no household reached it" for name in failure.unchecked]
            return "\n".join([text.getvalue().rstrip(), *unchecked])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"invariants: {self.region}"


class InvariantsFailure(Exception):
    def __init__(self, report: Any, unchecked: list[str]) -> None:
        super().__init__(report.region)
        self.report = report
        self.unchecked = unchecked
