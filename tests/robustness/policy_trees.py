"""Small policy trees for the hardening tests: the corpus's base tree with rules added."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "corpus" / "base" / "policies"
EXAMPLE = HERE.parent / "household" / "good" / "contract_example.json"
REGION_FILE = Path("demo") / "policy.yaml"
AS_OF = "2021-06-30"


def rule(name: str, type_: str, expr: str, *, output: bool = False, scope: str = "household") -> str:
    """One rule of the demo region, as YAML under ``rules:``."""
    extra = "    output: true\n" if output else ""
    extra += f"    scope: {scope}\n" if scope != "household" else ""
    return (f"\n  {name}:\n    type: {type_}\n    label: {name}\n{extra}    expr: {json.dumps(expr)}\n"
            "    source: {doc: demo-doc, clause: 四}\n")


def tree_with(root: Path, *rules: str) -> Path:
    """A copy of the base tree at ``root`` whose demo region also has ``rules``."""
    shutil.copytree(BASE, root)
    region = root / REGION_FILE
    region.write_text(region.read_text(encoding="utf-8") + "".join(rules), encoding="utf-8")
    return root


def chain(length: int) -> list[str]:
    """``chain.r0`` … ``chain.r{length-1}``, each one more than the one before, and ``chain.top``."""
    rules = [rule("chain.r0", "int", "household.size")]
    rules += [rule(f"chain.r{i}", "int", f"chain.r{i - 1} + 1") for i in range(1, length)]
    return [*rules, rule("chain.top", "int", f"chain.r{length - 1}", output=True)]


def squares(count: int) -> list[str]:
    """``sq.r{i}`` = ``sq.r{i-1}`` squared, ``count`` times over: a value of 2^count digits."""
    rules = [rule("sq.r0", "number", "household.size + 1.5")]
    rules += [rule(f"sq.r{i}", "number", f"sq.r{i - 1} * sq.r{i - 1}") for i in range(1, count)]
    return [*rules, rule("sq.top", "number", f"sq.r{count - 1}", output=True)]


def household(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record.update(changes)
    return record


def write_household(path: Path, record: dict[str, Any]) -> Path:
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path
