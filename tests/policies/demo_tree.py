"""A policy tree of two layers written for one test: a small common layer and a region ``demo``."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMON = ROOT / "tests" / "policies" / "bad" / "missing-source" / "policies" / "common" / "policy.yaml"

#: The demo region's header and its one source; a test appends its parameters and rules.
DEMO_HEADER = """policy:
  id: demo
  kind: region
  name: 示例市
  version: "1"
  inherits: common
  span: {from: 2016-01-01, to: 2020-12-31}

sources:
  demo-doc:
    title: 示例市低保文件

"""


def demo_tree(tmp_path: Path, demo_policy: str) -> Path:
    """``tmp_path/policies`` holding the common layer and ``demo/policy.yaml`` with ``demo_policy``."""
    root = tmp_path / "policies"
    (root / "common").mkdir(parents=True)
    (root / "demo").mkdir()
    shutil.copy(COMMON, root / "common" / "policy.yaml")
    (root / "demo" / "policy.yaml").write_text(demo_policy, encoding="utf-8")
    return root
