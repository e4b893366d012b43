"""The package keeps its layers: the import contract holds, the picture of it is current, and
the README's layout names every layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "architecture.py"
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def test_every_import_points_down_the_layers() -> None:
    done = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_the_architecture_page_is_current() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contract is not vacuous: the base layer importing the interpreter is refused."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "engine", copy / "engine", ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    exact = copy / "engine" / "base" / "exact.py"
    exact.write_text(exact.read_text(encoding="utf-8") + "\nfrom engine.runtime import interpreter  # noqa\n",
                     encoding="utf-8")
    done = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=copy,
                          capture_output=True, text=True, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    assert "engine.base is not allowed to import engine.runtime" in done.stdout


def test_the_readme_layout_names_every_layer() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "engine").iterdir() if (p / "__init__.py").exists())
    missing = [name for name in packages if f"`engine/{name}/`" not in readme]
    assert not missing, f"README.md's layout table lacks {missing}"
