"""The wheel installs anywhere: built from the sources, installed into a new virtual environment
outside the checkout, and run from other folders with the bundled tree or a copied, edited one.

The new environment gets only the wheel (``--no-deps``, no index); the libraries dibao depends
on are made visible to it from the environment running the tests (a ``.pth`` line), so the test
needs no network and takes seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from engine.runtime.library import tree_digest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("engine", "grammar", "schema", "policies", "sources", "pyproject.toml", "setup.py", "MANIFEST.in",
           "README.md", "CHANGELOG.md")
HOUSEHOLD = ROOT / "examples" / "households" / "contract_example.json"


def run(args: list[str | Path], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"})
    if check:
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only the wheel built from a copy of the sources."""
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_data"))
        else:
            shutil.copy2(path, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", base / "dist", source], cwd=base)
    (wheel,) = (base / "dist").glob("dibao-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
        cwd=base)
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip()
    (Path(site) / "dibao_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_the_wheel_carries_the_grammar_schema_policies_and_sources(installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("dibao-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("engine/_data/grammar/rules.lark", "engine/_data/schema/policy.schema.json",
                   "engine/_data/schema/params.schema.json", "engine/_data/policies/common/policy.yaml",
                   "engine/_data/policies/hebi/tests/standard.yaml", "engine/_data/policies/invariants.yaml",
                   "engine/_data/sources/000_20f40e1960017597.txt", "engine/api.py", "engine/tools/pytest_plugin.py"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "dibao = engine.cli:main" in text and "dibao = engine.tools.pytest_plugin" in text


def test_version_names_the_package_and_the_bundled_tree(installed: Path, tmp_path: Path) -> None:
    done = run([installed / "bin" / "dibao", "--version"], cwd=tmp_path)
    first, second = done.stdout.splitlines()
    assert first.startswith("dibao 0.")
    assert second.startswith(f"bundled policy tree {tree_digest(ROOT / 'policies')} ")
    assert str(installed) in second


def test_check_evaluate_and_batch_run_from_another_folder_on_the_bundled_tree(installed: Path, tmp_path: Path) -> None:
    dibao = installed / "bin" / "dibao"
    shutil.copy(HOUSEHOLD, tmp_path / "household.json")
    check = run([dibao, "check"], cwd=tmp_path)
    assert "bundled with dibao" in check.stderr and "0 problems" in check.stderr
    done = run([dibao, "evaluate", "--region", "hebi", "--date", "2017-10-01", "household.json"], cwd=tmp_path)
    answer = json.loads(done.stdout)
    assert set(answer) == {"region", "date", "policy", "household", "outputs", "members"}
    assert answer["outputs"]["dibao.standard_annual"] == "3210.00"
    tree = answer["policy"]["tree"]
    assert tree["found_by"] == "bundled" and tree["path"].startswith(str(installed))
    assert tree["digest"] == tree_digest(ROOT / "policies")
    shutil.copy(ROOT / "examples" / "caseload" / "hebi.jsonl", tmp_path / "hebi.jsonl")
    shutil.copy(ROOT / "examples" / "params" / "hebi.yaml", tmp_path / "local.yaml")
    batch = run([dibao, "batch", "--region", "hebi", "--date", "2017-10-01", "--params", "local.yaml", "hebi.jsonl",
                 "--out", "out/hebi.parquet"], cwd=tmp_path)
    assert "2000 records → 2000 rows" in batch.stderr, batch.stderr
    assert json.loads((tmp_path / "out" / "hebi.parquet.meta.json").read_text())["dibao.tree"]["found_by"] == "bundled"


def test_a_copied_edited_tree_is_found_from_a_subfolder(installed: Path, tmp_path: Path) -> None:
    """A policy officer copies the bundled tree, edits Hebi's 2017 standard, and works in a subfolder."""
    bundled = run([installed / "bin" / "python", "-c", "from engine.base.resources import bundled_policies; "
                   "print(bundled_policies())"], cwd=tmp_path).stdout.strip()
    shutil.copytree(bundled, tmp_path / "policies")
    policy = tmp_path / "policies" / "hebi" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    assert text.count("value: 3210 yuan/year") == 1
    policy.write_text(text.replace("value: 3210 yuan/year", "value: 3300 yuan/year"), encoding="utf-8")
    work = tmp_path / "cases" / "2017"
    work.mkdir(parents=True)
    shutil.copy(HOUSEHOLD, work / "household.json")
    done = run([installed / "bin" / "dibao", "evaluate", "--region", "hebi", "--date", "2017-10-01",
                "household.json"], cwd=work)
    answer = json.loads(done.stdout)
    assert answer["outputs"]["dibao.standard_annual"] == "3300.00"
    assert answer["policy"]["tree"]["found_by"] == "found"
    assert answer["policy"]["tree"]["path"] == str((tmp_path / "policies").resolve())
    collected = run([installed / "bin" / "python", "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                     "policies/hebi"], cwd=tmp_path)
    assert "policies/hebi/tests/standard.yaml::" in collected.stdout, collected.stdout


def test_the_python_api_from_another_folder(installed: Path, tmp_path: Path) -> None:
    record = json.loads(HOUSEHOLD.read_text())
    program = ("import json, engine; "
               f"print(json.dumps(engine.evaluate({record!r}, 'hebi', '2017-10-01').to_dict()))")
    done = run([installed / "bin" / "python", "-c", program], cwd=tmp_path)
    answer = json.loads(done.stdout)
    assert answer["household"] == "HB-0001" and answer["outputs"]["dibao.standard_monthly"] == "267.50"
