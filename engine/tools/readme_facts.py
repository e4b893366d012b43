"""Region READMEs: the figures that must not drift (worked-case counts, policy digests), generated.

Each region's ``README.md`` holds one block between the markers below; this module
writes it from the worked-case files and the resolved policy, so a count or digest is
never typed by hand. ``python -m engine.tools.readme_facts`` rewrites every block (``--check``
only reports stale ones, exit 1); the test suite checks that every block is current.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from engine.runtime.library import PolicyLibrary
from engine.tools.worked_cases import case_files, load_cases

BEGIN = "<!-- BEGIN GENERATED: worked cases and digests (python -m engine.tools.readme_facts); do not edit by hand -->"
END = "<!-- END GENERATED -->"
POLICIES = Path(__file__).resolve().parents[2] / "policies"


def facts_block(library: PolicyLibrary, root: Path, region: str) -> str:
    """The generated block for one region folder (``hebi``, ``inner_mongolia``; sub-jurisdictions listed too)."""
    counts: dict[str, Counter[str]] = {}
    for key, path in case_files(root):
        if key == region or key.startswith(region + "/"):
            counts.setdefault(key, Counter())[path.name] = len(load_cases(key, path))
    lines = [BEGIN, "", "| policy | worked cases | per file | version | digest on the first day covered |",
             "|---|---|---|---|---|"]
    for key in sorted(counts):
        checked = library.region(key)
        resolved = library.resolve(key, checked.chain.span_from)
        files = ", ".join(f"`{name}` {n}" for name, n in sorted(counts[key].items()))
        lines.append(f"| `{key}` | {sum(counts[key].values())} | {files} | {checked.chain.version} | "
                     f"{checked.chain.span_from}: `{resolved.digest}` |")
    lines += ["", f"Run them with `.venv/bin/python -m pytest policies/{region} -q`.", "", END]
    return "\n".join(lines)


def rewritten(text: str, block: str) -> str | None:
    """The README text with its block replaced, or None when the README has no markers."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[:start] + block + text[end + len(END):]


def regions(root: Path) -> list[str]:
    """Top-level region folders with a README and worked cases (the common layer has none)."""
    return sorted(p.parent.name for p in root.glob("*/README.md") if (p.parent / "tests").is_dir())


def stale(root: Path = POLICIES) -> list[str]:
    """READMEs whose generated block is missing or out of date."""
    library = PolicyLibrary.open(root)
    found = []
    for region in regions(root):
        readme = root / region / "README.md"
        text = readme.read_text(encoding="utf-8")
        if rewritten(text, facts_block(library, root, region)) != text:
            found.append(str(readme))
    return found


def write(root: Path = POLICIES) -> list[str]:
    """Rewrite every region README's block; the READMEs changed."""
    library = PolicyLibrary.open(root)
    changed = []
    for region in regions(root):
        readme = root / region / "README.md"
        text = readme.read_text(encoding="utf-8")
        new = rewritten(text, facts_block(library, root, region))
        if new is None:
            raise SystemExit(f"{readme}: no generated block; add the two marker lines where it goes:\n{BEGIN}\n{END}")
        if new != text:
            temporary = readme.with_suffix(".md.tmp")
            temporary.write_text(new, encoding="utf-8")
            temporary.replace(readme)
            changed.append(str(readme))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale READMEs (exit 1 if any)")
    parser.add_argument("--policies", type=Path, default=POLICIES)
    args = parser.parse_args(argv)
    if args.check:
        found = stale(args.policies)
        for path in found:
            print(f"{path}: generated block out of date; run python -m engine.tools.readme_facts", file=sys.stderr)
        return 1 if found else 0
    for path in write(args.policies):
        print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
