"""The hand-made corpus of bad inputs: each gives its diagnostic, located, and never a traceback.

The inputs are the files under ``policies/``, ``households/`` and ``expressions/`` plus a
few built here (too large or too odd to keep in the repository); ``expected.yaml`` says
what each must give. See the head of ``expected.yaml`` for how each kind is run.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.cli import main
from engine.household.record import load_households
from engine.language.checker import check_expression
from engine.language.parser import parse_expression
from engine.policy.policy_files import load_tree
from engine.runtime.policy_check import check_tree

HERE = Path(__file__).resolve().parent
BASE = HERE / "base" / "policies"
EXAMPLE = HERE.parent / "household" / "good" / "contract_example.json"
MANIFEST = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))


# --- inputs built here ------------------------------------------------------------------


def policy_of_2_megabytes() -> tuple[str, bytes]:
    """The region's file with 2 MB of quoted document text in a note, and a mistake after it."""
    base = (BASE / "demo" / "policy.yaml").read_text(encoding="utf-8")
    line = "      第三条 农村低保标准按照当地农村居民基本生活所需确定，并适时调整。Article text quoted for reviewers.\n"
    note = "    note: |\n" + line * (2_000_000 // len(line.encode("utf-8")))
    text = base.replace("    title: 示例市农村低保实施办法\n", "    title: 示例市农村低保实施办法\n" + note)
    return "policy.yaml", text.replace("for m in members)", "for m in member)").encode("utf-8")


def policy_with_a_1_megabyte_expression() -> tuple[str, bytes]:
    """A table row whose value is one line of a million characters."""
    base = (BASE / "demo" / "policy.yaml").read_text(encoding="utf-8")
    return "policy.yaml", base.replace("then: 6\n", "then: " + "1 + " * 250_000 + "1\n").encode("utf-8")


def household_of_1000_members() -> tuple[str, bytes]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    member = record["members"][0]
    record["members"] = [{**member, "id": f"p{i}"} for i in range(1000)]
    return "household-of-1000-members.json", json.dumps(record, ensure_ascii=False).encode("utf-8")


MAKERS: dict[str, Callable[[], tuple[str, bytes]]] = {
    "policy_of_2_megabytes": policy_of_2_megabytes,
    "policy_with_a_1_megabyte_expression": policy_with_a_1_megabyte_expression,
    "household_of_1000_members": household_of_1000_members,
}


def _input(section: str, entry: dict[str, Any]) -> tuple[str, bytes]:
    if "make" in entry:
        return MAKERS[entry["make"]]()
    return entry["file"], (HERE / section / entry["file"]).read_bytes()


def _cases(section: str) -> list[Any]:
    cases = []
    for entry in MANIFEST[section]:
        name = entry.get("file") or entry["make"]
        label = f"{name}:{entry.get('code', 'any')}"
        marks = [pytest.mark.xfail(strict=True, reason=entry["xfail"])] if "xfail" in entry else []
        cases.append(pytest.param(entry, id=label, marks=marks))
    return cases


# --- matching --------------------------------------------------------------------------------


def _matches(diagnostic: Diagnostic, entry: dict[str, Any], file: str | None = None) -> bool:
    if entry.get("code") and diagnostic.code != entry["code"]:
        return False
    if entry.get("message") and entry["message"] not in diagnostic.message:
        return False
    if entry.get("suggestion") and diagnostic.suggestion != entry["suggestion"]:
        return False
    span = diagnostic.span
    if span is None:
        return not ({"line", "column"} & set(entry)) and file is None
    if "line" in entry and span.line != entry["line"]:
        return False
    if "column" in entry and span.column != entry["column"]:
        return False
    return file is None or span.file.replace("\\", "/").endswith(file)


def _expect(diagnostics: list[Diagnostic], entry: dict[str, Any], file: str | None = None,
            located: bool = True) -> None:
    assert diagnostics, "accepted; expected a diagnostic"
    for diagnostic in diagnostics:
        assert diagnostic.code and diagnostic.message.strip(), diagnostic
        if located:
            assert diagnostic.span is not None and diagnostic.span.line >= 1, diagnostic.one_line()
    found = [d for d in diagnostics if _matches(d, entry, file)]
    shown = "\n".join(d.one_line() for d in diagnostics[:10])
    assert found, f"no diagnostic like {entry} among:\n{shown}"


def _cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as done:
            code = done.code if done.code is not None else 0
    output = out.getvalue() + err.getvalue()
    assert "Traceback" not in output, output[-2000:]
    assert "internal error" not in output, output[-2000:]
    return code, err.getvalue()


# --- the three kinds of input --------------------------------------------------------------------


@pytest.mark.parametrize("entry", _cases("policies"))
def test_policy(entry: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(BASE, root)
    _name, data = _input("policies", entry)
    target = entry.get("as", "demo/policy.yaml")
    (root / target).write_bytes(data)

    check = check_tree(load_tree(root))
    errors = [d for d in check.diagnostics if d.severity == "error"]
    _expect(errors, entry, entry.get("in", target))

    code, stderr = _cli(["check", str(root)])
    assert code == 2, stderr[-2000:]
    if entry.get("message"):
        assert entry["message"] in stderr


@pytest.mark.parametrize("entry", _cases("households"))
def test_household(entry: dict[str, Any], tmp_path: Path) -> None:
    name, data = _input("households", entry)
    path = tmp_path / name
    path.write_bytes(data)

    results = list(load_households(path))
    if "records" in entry:
        assert len(results) == entry["records"]
    rejected = [d for result in results if isinstance(result, list) for d in result]
    _expect(rejected, entry, name)

    if path.suffix != ".jsonl":
        code, stderr = _cli(["evaluate", "--policies", str(BASE), "--region", "demo", "--date", "2021-06-30",
                             str(path)])
        assert code == 2, stderr[-2000:]
        if entry.get("message"):
            assert entry["message"] in stderr


@pytest.mark.parametrize("entry", _cases("expressions"))
def test_expression(entry: dict[str, Any]) -> None:
    _name, data = _input("expressions", entry)
    text = data.decode("utf-8")
    try:
        node = parse_expression(text)
    except DiagnosticError as error:
        diagnostics = error.diagnostics
    else:
        _found, result = check_expression(node)
        diagnostics = result.diagnostics
    _expect(diagnostics, entry)


def test_the_corpus_has_at_least_50_inputs() -> None:
    inputs = {(section, entry.get("file") or entry["make"]) for section in ("policies", "households", "expressions")
              for entry in MANIFEST[section]}
    assert len(inputs) >= 50
    for section in ("policies", "households", "expressions"):
        on_disk = {p.name for p in (HERE / section).iterdir()}
        listed = {entry["file"] for entry in MANIFEST[section] if "file" in entry}
        assert on_disk == listed, f"{section}: files without an entry or entries without a file"


def test_the_base_tree_checks_clean() -> None:
    check = check_tree(load_tree(BASE))
    assert check.ok, [d.one_line() for d in check.diagnostics]
