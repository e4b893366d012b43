"""BENCHMARKS.md in sections, one per benchmark script, each between its own markers.

A script replaces only its section (``<!-- begin NAME -->`` … ``<!-- end NAME -->``); every
other script's figures stay as they were measured. A section not yet in the file is added
at its end.
"""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- begin {name} -->", f"<!-- end {name} -->"


def replace_section(current: str, name: str, text: str) -> str:
    """``current`` with the section ``name`` holding ``text`` (added at the end when absent)."""
    begin, end = markers(name)
    block = f"{begin}\n{text.strip()}\n{end}"
    if begin in current and end in current.split(begin, 1)[1]:
        before, rest = current.split(begin, 1)
        return before + block + rest.split(end, 1)[1]
    return current.rstrip() + "\n\n" + block + "\n"


def write_section(name: str, text: str, path: Path = BENCHMARKS) -> None:
    """Replace the section ``name`` of BENCHMARKS.md with ``text``, leaving the other sections alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(current, name, text), encoding="utf-8")
