"""Reviewing a change with ``dibao diff``: --rev with REGION@DATE and no placeholder, the version change
shown, a content change without a new version warned about, a region on one side only named as such."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIBAO = [sys.executable, "-m", "engine.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "policies", old)
    shutil.copytree(ROOT / "policies", new)
    return old, new


def raise_2019(tree: Path, version: str | None) -> None:
    policy = tree / "hebi" / "policy.yaml"
    text = policy.read_text(encoding="utf-8").replace("value: 3860 yuan/year", "value: 3900 yuan/year")
    if version:
        text = text.replace('version: "2017.2"', f'version: "{version}"')
    policy.write_text(text, encoding="utf-8")


def test_a_new_version_is_shown(trees: tuple[Path, Path]) -> None:
    old, new = trees
    raise_2019(new, "2017.3")
    done = run("diff", str(old), str(new), "--region", "hebi", "--date", "2019-06-30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "version 2017.2 → 2017.3"
    report = json.loads(run("diff", str(old), str(new), "--region", "hebi", "--date", "2019-06-30", "--json").stdout)
    assert (report["old_version"], report["new_version"]) == ("2017.2", "2017.3")
    assert report["notes"] == ["version 2017.2 → 2017.3"]


def test_a_change_without_a_new_version_is_a_warning(trees: tuple[Path, Path]) -> None:
    old, new = trees
    raise_2019(new, None)
    done = run("diff", str(old), str(new), "--region", "hebi", "--date", "2019-06-30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == ("warning: the hebi layer changed but its version is still 2017.2; give it a "
                                           "new version (policy: version:)")
    assert "dibao.standard_annual" in done.stdout
    unchanged = run("diff", str(old), str(new), "--region", "hebi", "--date", "2018-06-30")
    assert "warning" not in unchanged.stdout  # nothing in force that day changed
    dates = run("diff", "hebi@2019-06-30", "hebi@2020-06-30")
    assert "warning" not in dates.stdout  # two dates of one tree: values change by date, not by edits


def test_a_region_on_one_side_only_is_named(trees: tuple[Path, Path]) -> None:
    old, new = trees
    shutil.rmtree(old / "suining")
    done = run("diff", str(old), str(new), "--region", "suining", "--date", "2017-10-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == f"suining is only on the new side ({new}): {old} has no region suining"
    report = json.loads(run("diff", str(old), str(new), "--region", "suining", "--date", "2017-10-01", "--json").stdout)
    assert report["old_version"] is None and report["new_version"] == "2017.1"
    assert {c["change"] for c in report["changes"]} == {"added"}
    back = run("diff", str(new), str(old), "--region", "suining", "--date", "2017-10-01", "--json")
    assert {c["change"] for c in json.loads(back.stdout)["changes"]} == {"removed"}
    assert json.loads(back.stdout)["notes"][0].startswith("suining is only on the old side")


def test_rev_takes_region_at_date_without_a_placeholder(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    shutil.copytree(ROOT / "policies", repository / "policies")
    env = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *env, *command], cwd=repository, check=True, capture_output=True)
    raise_2019(repository / "policies", "2017.3")
    done = run("diff", "--rev", "HEAD", "hebi@2019-06-30", "--policies", str(repository / "policies"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["hebi@2019-06-30 (HEAD) → hebi@2019-06-30 (working tree)", "version 2017.2 → 2017.3"]
    assert any(line.startswith("parameter changed  dibao.standard_annual  3860.00") for line in lines)
    done = run("diff", "--rev", "HEAD", "hebi@2019-06-30", "hebi@2020-01-01", "--policies",
               str(repository / "policies"))
    assert done.returncode == 2 and "with --rev give one REGION@DATE" in done.stderr
    done = run("diff", "--rev", "HEAD", "--policies", str(repository / "policies"))
    assert done.returncode == 2 and "--rev needs REGION@DATE" in done.stderr
