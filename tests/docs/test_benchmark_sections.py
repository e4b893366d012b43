"""BENCHMARKS.md: each benchmark script replaces only its own section."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sections():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_sections", ROOT / "bench" / "sections.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_script_rewrites_its_section_and_no_other(tmp_path: Path) -> None:
    sections = _sections()
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n", encoding="utf-8")
    sections.write_section("run", "## Interpreter\n\nold run figures", path)
    sections.write_section("batch", "## Batch\n\nbatch figures", path)
    path.write_text(path.read_text(encoding="utf-8") + "\n## Service\n\nservice figures\n", encoding="utf-8")
    sections.write_section("run", "## Interpreter\n\nnew run figures", path)
    text = path.read_text(encoding="utf-8")
    assert "new run figures" in text and "old run figures" not in text
    assert "batch figures" in text and "service figures" in text
    assert text.index("new run figures") < text.index("batch figures") < text.index("service figures")


def test_the_repository_file_has_each_scripts_markers() -> None:
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    for name in ("run", "batch"):
        assert text.count(f"<!-- begin {name} -->") == 1 and text.count(f"<!-- end {name} -->") == 1
