"""The pytest plugin: a policy tree's worked cases and invariants as test items, in any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine.tools.worked_cases import load_cases

ROOT = Path(__file__).resolve().parents[2]


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DIBAO_POLICIES"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=folder,
                          capture_output=True, text=True, env=env, check=False)


def test_each_worked_case_of_this_repository_is_collected_once() -> None:
    path = ROOT / "policies" / "hebi" / "tests" / "standard.yaml"
    done = pytest_in(ROOT, "--collect-only", str(path.relative_to(ROOT)))
    counts = [line for line in done.stdout.splitlines() if "standard.yaml" in line]
    assert counts == [f"policies/hebi/tests/standard.yaml: {len(load_cases('hebi', path))}"], done.stdout
    assert not (ROOT / "conftest.py").exists()  # the plugin replaced the repository's own collector


def test_plain_pytest_in_a_folder_with_a_tree_runs_its_cases_and_invariants(tmp_path: Path) -> None:
    for layer in ("common", "hebi"):
        shutil.copytree(ROOT / "policies" / layer, tmp_path / "policies" / layer)
    shutil.copy(ROOT / "policies" / "invariants.yaml", tmp_path / "policies" / "invariants.yaml")
    cases = sum(len(load_cases("hebi", p)) for p in (tmp_path / "policies" / "hebi" / "tests").glob("*.yaml"))
    standard = tmp_path / "policies" / "hebi" / "tests" / "standard.yaml"
    text = standard.read_text(encoding="utf-8")
    assert 'dibao.standard_monthly: "267.50"' in text
    standard.write_text(text.replace('dibao.standard_monthly: "267.50"', 'dibao.standard_monthly: "267.51"', 1),
                        encoding="utf-8")
    done = pytest_in(tmp_path)
    assert done.returncode == 1, done.stdout
    assert f"1 failed, {cases} passed" in done.stdout, done.stdout  # the cases, less one, and the invariants item
    assert "FAIL policies/hebi/tests/standard.yaml:" in done.stdout or "FAIL " in done.stdout
    assert "dibao.standard_monthly: expected '267.51', got '267.50'" in done.stdout
    assert "dibao.standard_monthly = 267.50    [per_month(dibao.standard_annual)]" in done.stdout  # the calculation
    off = pytest_in(tmp_path, "-p", "no:dibao")
    assert off.returncode == 5, off.stdout  # no tests collected without the plugin
