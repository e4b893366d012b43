"""Run the commands a guide shows and compare what they print with what the guide says.

A guide marks what is checked:

* a ```` ```console ```` block holds commands (lines starting ``$ ``), each followed by
  the output it prints (standard output and error as a terminal shows them). In the
  expected output a line ``…`` stands for any number of lines, and ``…`` inside a line
  for any text on that line;
* an HTML comment just before a fenced block applies that block to a file of the working
  copy, as the reader is told to: ``<!-- guide: write FILE -->`` writes it as the file,
  ``append FILE`` adds it at the end, ``insert FILE after "LINE"`` after the first line
  that reads LINE, ``replace FILE "LINE" [through "LAST"] [after "ANCHOR"]`` in place of
  that line (through the line LAST; the first after the line ANCHOR); ``shows FILE``
  checks that the file holds the block's lines (``…`` for any lines);
* ``<!-- guide: env NAME=VALUE -->`` sets an environment variable for the commands that
  follow (a guide for Chinese staff runs with ``LANG=zh_CN.UTF-8``).

Everything runs in a temporary copy of the repository's ``policies``, ``examples`` and
``sources`` folders (committed to a new git repository), in the order the guide gives, with
``dibao`` on the ``PATH`` and ``DIBAO_POLICIES`` naming the copy's ``policies``, as
``dibao`` run in the repository uses the repository's own.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_DIRECTIVE = re.compile(r"<!-- guide: ((?:(?!-->).)*?) -->\s*\Z", re.DOTALL)


@dataclass
class Step:
    line: int
    kind: str  # console, edit, env
    text: str
    directive: str = ""


@dataclass
class Result:
    line: int
    command: str
    expected: list[str]
    actual: list[str]

    @property
    def matches(self) -> bool:
        return matches(self.expected, self.actual)


def steps(guide: Path) -> list[Step]:
    text = guide.read_text(encoding="utf-8")
    found: list[Step] = []
    for comment in re.finditer(r"<!-- guide: env (\S+?)=(\S*) -->", text):
        found.append(Step(text[: comment.start()].count("\n") + 1, "env", f"{comment.group(1)}={comment.group(2)}"))
    for block in _FENCE.finditer(text):
        line = text[: block.start()].count("\n") + 1
        directive = _DIRECTIVE.search(text[max(0, block.start() - 400): block.start()])
        if directive and not directive.group(1).startswith("env "):
            found.append(Step(line, "edit", block.group(2), directive.group(1)))
        elif block.group(1).strip() == "console":
            found.append(Step(line, "console", block.group(2)))
    return sorted(found, key=lambda s: s.line)


def sandbox(folder: Path) -> Path:
    """A copy of what the guides use, committed to a new git repository (for ``dibao diff --rev``)."""
    for name in ("policies", "examples", "sources"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__", "out"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "guide", "GIT_AUTHOR_EMAIL": "guide@example.org",
           "GIT_COMMITTER_NAME": "guide", "GIT_COMMITTER_EMAIL": "guide@example.org"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "the policies as shipped"]):
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    return folder


def run_guide(guide: Path, folder: Path) -> list[Result]:
    """Every command of the guide, run in order in ``folder``; the results to compare."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": "",
           "DIBAO_POLICIES": str(folder / "policies")}
    results: list[Result] = []
    status = 0
    for step in steps(guide):
        if step.kind == "env":
            name, _, value = step.text.partition("=")
            env[name] = value
        elif step.kind == "edit":
            apply_edit(folder, step)
        else:
            for command, expected in commands(step.text):
                done = subprocess.run(["bash", "-c", f"(exit {status}); {command}"], cwd=folder, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
                status = done.returncode
                actual = [line.rstrip() for line in done.stdout.splitlines()]
                results.append(Result(step.line, command, expected, actual))
    return results


def commands(block: str) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found:
            found[-1][1].append(line.rstrip())
    return found


def apply_edit(folder: Path, step: Step) -> None:
    words = shlex.split(step.directive)
    operation, path = words[0], folder / words[1]
    options = dict(zip(words[3::2], words[4::2], strict=False)) if operation == "replace" else {}
    if operation == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(step.text, encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if operation == "shows":
        assert shows(step.text.splitlines(), text.splitlines()), \
            f"guide line {step.line}: {words[1]} does not hold the lines the guide shows"
        return
    lines = text.splitlines(keepends=True)
    body = step.text.splitlines(keepends=True)
    if operation == "append":
        lines += body
    elif operation == "insert":
        target = _find(lines, words[3], 0, step)
        lines[target + 1: target + 1] = body
    elif operation == "replace":
        start = _find(lines, options["after"], 0, step) + 1 if "after" in options else 0
        first = _find(lines, words[2], start, step)
        last = _find(lines, options["through"], first, step) if "through" in options else first
        lines[first: last + 1] = body
    else:
        raise AssertionError(f"guide line {step.line}: unknown edit {operation!r}")
    path.write_text("".join(lines), encoding="utf-8")


def shows(shown: list[str], lines: list[str]) -> bool:
    """The lines shown (``…`` for any lines) appear together in ``lines``."""
    pattern = "".join(r"(?:[^\n]*\n)*?" if line.strip() == "…" else re.escape(line.rstrip()) + r"\n"
                      for line in shown)
    return re.search(r"(?:^|\n)" + pattern, "\n" + "".join(line.rstrip() + "\n" for line in lines)) is not None


def _find(lines: list[str], wanted: str, start: int, step: Step) -> int:
    for index in range(start, len(lines)):
        if lines[index].strip() == wanted.strip():
            return index
    raise AssertionError(f"guide line {step.line}: no line {wanted!r} to edit")


def matches(expected: list[str], actual: list[str]) -> bool:
    """Expected lines against actual ones; ``…`` alone is any lines, ``…`` in a line any text."""
    pattern = []
    for line in expected:
        if line.strip() == "…":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(r"[^\n]*".join(re.escape(part) for part in line.split("…")) + r"\n")
    return re.fullmatch("".join(pattern), "".join(line + "\n" for line in actual)) is not None


def report(result: Result) -> str:
    return (f"guide line {result.line}: $ {result.command}\n--- the guide shows:\n" + "\n".join(result.expected)
            + "\n--- the command prints:\n" + "\n".join(result.actual))


def updated(guide: Path, results: list[Result]) -> str:
    """The guide with the output of each command that prints something else replaced by what it prints."""
    lines = guide.read_text(encoding="utf-8").split("\n")
    by_block: dict[int, list[Result]] = {}
    for result in results:
        by_block.setdefault(result.line, []).append(result)
    for line in sorted(by_block, reverse=True):
        block = by_block[line]
        end = next(i for i in range(line, len(lines)) if lines[i].startswith("```"))
        body: list[str] = []
        for result in block:
            body += [f"$ {result.command}", *(result.expected if result.matches else result.actual)]
        lines[line: end] = body
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/docs/guide_runner.py GUIDE [--update]: show (or write) real outputs
    import tempfile

    guide_path = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        outcomes = run_guide(guide_path, sandbox(Path(scratch)))
    for outcome in outcomes:
        if not outcome.matches:
            print("DIFF " + report(outcome) + "\n")
    if "--update" in sys.argv:
        guide_path.write_text(updated(guide_path, outcomes), encoding="utf-8")
