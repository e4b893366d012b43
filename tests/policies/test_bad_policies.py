"""Data-driven malformed policy trees: ``bad/<case>/policies/`` with ``bad/<case>/expected.yaml``.

Each case is a small self-contained policy tree (a common layer and a region ``demo``)
with one mistake a policy officer could make. ``expected.yaml`` lists what loading and
checking it must report, one entry per diagnostic::

    - {code: E-NAME, message: "part of the message", file: policies/demo/policy.yaml,
       line: 32, column: 55, suggestion: dibao.standard_monthly}
    - {count: 1}

``column`` and ``suggestion`` (the did-you-mean) are optional; ``file`` is relative to
the case folder. ``related`` lists the other places the diagnostic points at (the first
definition of a duplicate, the value an overlapping one overlaps), each
``{label: "part of the label", file: ..., line: N}``, and ``path`` the field path it
carries as data (``parameters['dibao.standard_annual']``). A ``{count: N}`` entry says
how many diagnostics the tree produces in all. An entry with ``xfail: reason`` states
behaviour the engine does not have yet: it runs as a strict expected failure, so it turns
red the day the engine is fixed.

Whatever the file contains, loading and checking it must end in diagnostics, never in
another exception. A few cases also run through ``dibao check`` as a user would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.policy.policy_files import load_tree
from engine.runtime.library import PolicyLibrary
from engine.runtime.policy_check import check_tree

HERE = Path(__file__).parent
REPOSITORY = HERE.parent.parent
BAD = HERE / "bad"
CLEAN = HERE / "fixtures" / "clean" / "policies"
CASES = sorted(p for p in BAD.iterdir() if p.is_dir())


def expectations(case: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    entries = data if isinstance(data, list) else [data]
    assert all(isinstance(e, dict) for e in entries), case
    return entries


def _params() -> list[Any]:
    found = []
    for case in CASES:
        for index, entry in enumerate(expectations(case)):
            marks = [pytest.mark.xfail(strict=True, reason=entry["xfail"])] if "xfail" in entry else []
            found.append(pytest.param(case, entry, id=f"{case.name}[{index}]", marks=marks))
    return found


def relative_file(diagnostic: Diagnostic, case: Path) -> str:
    """The diagnostic's file relative to the case folder (files are named relative to the working folder)."""
    assert diagnostic.span is not None, diagnostic
    path = Path(diagnostic.span.file)
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_relative_to(case):
        path = path.relative_to(case)
    return path.as_posix()


def matches(diagnostic: Diagnostic, entry: dict[str, Any], case: Path) -> bool:
    if diagnostic.code != entry["code"] or entry["message"] not in diagnostic.message:
        return False
    if "file" in entry and relative_file(diagnostic, case) != entry["file"]:
        return False
    assert diagnostic.span is not None
    if "line" in entry and diagnostic.span.line != entry["line"]:
        return False
    if "column" in entry and diagnostic.span.column != entry["column"]:
        return False
    if "path" in entry and diagnostic.path_text != entry["path"]:
        return False
    if "related" in entry and not _related_match(diagnostic, entry["related"], case):
        return False
    return "suggestion" not in entry or diagnostic.suggestion == entry["suggestion"]


def _related_match(diagnostic: Diagnostic, expected: list[dict[str, Any]], case: Path) -> bool:
    if len(diagnostic.related) != len(expected):
        return False
    for related, want in zip(diagnostic.related, expected, strict=True):
        place = Diagnostic(diagnostic.code, related.label, related.span)
        if want["label"] not in related.label or relative_file(place, case) != want["file"] \
                or related.span.line != want["line"]:
            return False
    return True


def dibao(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``dibao`` command (or the same entry point through this Python)."""
    script = shutil.which("dibao", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-c", "from engine.cli import main; main()"]
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


# --- the fixtures themselves ------------------------------------------------------------


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert (case / "expected.yaml").is_file(), case
        assert (case / "policies").is_dir(), case
        for entry in expectations(case):
            keys = set(entry) - {"xfail", "related", "path"}
            assert keys == {"count"} or {"code", "message", "file"} <= keys, (case.name, entry)


def test_the_clean_tree_has_no_problems() -> None:
    library = PolicyLibrary.open(CLEAN)
    assert library.diagnostics == []
    assert library.regions == ["demo"]


# --- what each case reports ---------------------------------------------------------------


@pytest.mark.parametrize(("case", "entry"), _params())
def test_expected_diagnostic(case: Path, entry: dict[str, Any]) -> None:
    diagnostics = PolicyLibrary.open(case / "policies").diagnostics
    shown = "\n".join(d.one_line() for d in diagnostics)
    if "count" in entry:
        assert len(diagnostics) == entry["count"], shown
        return
    assert any(matches(d, entry, case) for d in diagnostics), f"expected {entry}\ngot:\n{shown}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nothing_but_diagnostics_escapes(case: Path) -> None:
    """Load, check, resolve and evaluate whatever loaded: only located diagnostics come out."""
    root = case / "policies"
    tree = load_tree(root)
    report = check_tree(tree)
    if not any("xfail" in entry for entry in expectations(case)):
        assert report.diagnostics, "a bad tree must report something"
    for diagnostic in report.diagnostics:
        assert diagnostic.severity == "error"
        assert diagnostic.message.strip()
        assert diagnostic.span is not None, diagnostic
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1, diagnostic
        assert relative_file(diagnostic, case).startswith("policies/"), diagnostic
    library = PolicyLibrary.open(root)
    for region in library.regions:
        try:
            resolved = library.resolve(region, library.region(region).chain.span_from)
            library.program(resolved)
        except DiagnosticError as error:
            assert error.diagnostics


# --- the command line -----------------------------------------------------------------------

CLI_CASES = [
    ("yaml-syntax-error", "E-YAML", 4, 12, "could not parse YAML: mapping values are not allowed here"),
    ("expr-syntax-in-folded-block", "E-SYNTAX", 29, 49, "unexpected ')'; expected the end of the expression"),
    ("enum-typo", "E-ENUM", 32, 63, "'nne' is not a labour capacity"),
    ("parameter-coverage-gap", "E-COVERAGE", 14, 3, "has no value for 2017-01 – 2017-06"),
    ("keyed-values-out-of-order", "E-KEYED", 21, 7, "the dates of keyed values go in order"),
    ("keyed-short-form-without-source", "E-SCHEMA", 19, 7, "values.2017-07-01: missing key 'source'"),
    ("set-list-with-a-misspelt-kind", "E-ENUM", 26, 38, "'dividend' is not an income kind"),
    ("exists-without-where", "E-SYNTAX", 33, 9, "unexpected 'and'; expected '+' or '-', 'where'"),
]


@pytest.mark.parametrize(("name", "code", "line", "column", "message"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_dibao_check_reports_a_located_line_and_a_caret(name: str, code: str, line: int, column: int,
                                                        message: str) -> None:
    case = BAD / name
    done = dibao("check", "policies", cwd=case)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    head = re.compile(rf"^(.*/)?policies/demo/policy\.yaml:{line}:{column}: error\[{code}\]: .*{re.escape(message)}")
    found = [i for i, text in enumerate(lines) if head.match(text)]
    assert found, done.stderr
    source = (case / "policies" / "demo" / "policy.yaml").read_bytes().decode("utf-8").splitlines()[line - 1]
    assert lines[found[0] + 1] == f"  {line:>4} | {source}"
    caret = lines[found[0] + 2]
    assert re.fullmatch(r" {7}\| *\^+", caret), caret
    assert re.search(r"regions checked.*: [1-9][0-9]* problems?$", lines[-1]), lines[-1]


def test_dibao_check_json_lists_the_diagnostics() -> None:
    done = dibao("check", "--json", "policies", cwd=BAD / "unknown-name-did-you-mean")
    assert done.returncode == 2
    (only,) = json.loads(done.stdout)
    assert only["code"] == "E-NAME"
    assert only["span"] == {"file": "policies/demo/policy.yaml", "line": 32, "column": 55}
    assert only["suggestion"] == "dibao.standard_monthly"


def test_dibao_check_exits_0_on_a_clean_tree() -> None:
    done = dibao("check", "policies", cwd=CLEAN.parent)
    assert done.returncode == 0, done.stderr
    assert "error[" not in done.stderr
    assert "1 regions checked: 0 problems" in done.stderr


def test_dibao_check_shows_the_right_source_line_from_another_directory() -> None:
    case = BAD / "enum-typo"
    done = dibao("check", str((case / "policies").relative_to(REPOSITORY)), cwd=REPOSITORY)
    assert done.returncode == 2
    source = (case / "policies" / "demo" / "policy.yaml").read_text(encoding="utf-8").splitlines()[31]
    assert f"    32 | {source}" in done.stderr.splitlines()


# --- engine defects found with hand-made trees -------------------------------------------------


def _clean_copy(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(CLEAN, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_span_ending_in_9999_is_not_a_crash(tmp_path: Path) -> None:
    root = _clean_copy(tmp_path)
    _edit(root / "demo" / "policy.yaml", "to: 2020-12-31}", "to: 9999-12-31}")
    with contextlib.suppress(DiagnosticError):
        check_tree(load_tree(root))


def test_the_two_argument_max_builtin_can_be_called(tmp_path: Path) -> None:
    root = _clean_copy(tmp_path)
    _edit(root / "demo" / "policy.yaml", "expr: sum(sum(i.monthly for i in m.incomes) for m in members)",
          "expr: max(sum(sum(i.monthly for i in m.incomes) for m in members) - 100 yuan/month, 0 yuan/month)")
    library = PolicyLibrary.open(root)
    assert library.diagnostics == []
    assert library.resolve("demo", date(2018, 1, 1)).variants["income.countable_monthly"]
