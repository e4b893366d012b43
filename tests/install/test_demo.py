"""`make demo` runs the bundled caseload with the example local values: no record is rejected for
a value nobody supplied. When the policies gain a must-supply parameter, this names it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MISSING = re.compile(r"^(?:household [^:]*: )?(\S+) \(.*(?:must be supplied for|has no value on)")


def test_the_demo_rejects_no_record_for_a_missing_value(tmp_path: Path) -> None:
    dibao = tmp_path / "dibao"
    dibao.write_text(f"#!/bin/sh\nexec {sys.executable} -m engine.cli \"$@\"\n")
    dibao.chmod(0o755)
    out = tmp_path / "out"
    done = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh")], capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "DIBAO": str(dibao), "OUT": str(out), "LANG": "C.UTF-8"})
    assert done.returncode == 0, done.stderr
    errors = sorted(out.glob("*.errors.jsonl"))
    assert len(errors) == 5, done.stderr
    missing: dict[str, set[str]] = {}
    for path in errors:
        for line in path.read_text(encoding="utf-8").splitlines():
            found = MISSING.match(json.loads(line)["reason"])
            if found:
                missing.setdefault(path.name.removesuffix(".errors.jsonl"), set()).add(found.group(1))
    assert not missing, "the demo rejects records for values nobody supplied; add them to examples/params/" + \
        "; ".join(f"{run}: {', '.join(sorted(names))}" for run, names in sorted(missing.items()))
