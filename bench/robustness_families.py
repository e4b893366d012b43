"""Robustness generators for the engine's limits: trees, chains, growth and markup.

Four families of inputs for ``bench/robustness.py``, each aimed at a limit the engine
keeps (see ``engine/runtime/interpreter.py`` and ``engine/policy/policy_files.py``):

(f) ``trees``: the small corpus tree with links in and out of it, links to nothing and
    to themselves, FIFOs and folders named ``*.yaml``, and ``seed:`` paths that try to
    leave ``sources/``, loaded, checked and (when clean) evaluated and explained with the
    clauses' words; every problem must be located, nothing may hang;
(g) ``chains``: rules reading rules up to 600 deep (straight, through member rules,
    through conditions, Fibonacci-like, each nested in its own brackets), evaluated with
    and without a tracer; the value must be the one the shape gives;
(h) ``growth``: rules multiplying, adding and dividing a value up to 60 times over, and
    aggregations nested up to five deep over up to 200 events; each either gives its value
    or stops with a located message naming the rule (the digits or the work budget), and
    the budget must agree with the work the nesting needs; ``check`` must warn exactly
    about the nestings of three or more;
(i) ``markup``: household ids, rule labels and region names made of rich markup, control
    characters and backslashes, printed by ``explain``, ``compare`` and ``regions``; the
    text must come out as it was written.

``Failure`` and ``require_located`` are shared with ``bench/robustness.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.household.record import Household, validate_household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import MAX_AGGREGATE_ITEMS
from engine.language.checker import check_program
from engine.language.definitions import Definition
from engine.policy.resolve import RuleCode
from engine.runtime.interpreter import Program
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import render
from engine.runtime.tracing import Tracer
from engine.tools.explain import explain


class Failure(Exception):
    """The engine mishandled an input: ``kind`` says how (e.g. ``unlocated``, ``wrong type``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def require_located(diagnostics: Sequence[Diagnostic], *, file: bool) -> None:
    """Every diagnostic has a code and a message, and a place when the input is a file."""
    if not diagnostics:
        raise Failure("empty rejection", "a DiagnosticError without any diagnostic")
    for diagnostic in diagnostics:
        if not diagnostic.code or not diagnostic.message.strip():
            raise Failure("unlocated", f"diagnostic without code or message: {diagnostic!r}"[:300])
        if file and (diagnostic.span is None or diagnostic.span.line < 1 or diagnostic.span.column < 1):
            raise Failure("unlocated", f"diagnostic without a place in the file: {diagnostic.one_line()}"[:300])


def _errors(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


Runner = Callable[[int, random.Random, Any], tuple[str, str]]
AS_OF = date(2021, 6, 30)
HERE = Span("<generated>", 1, 1)


# ======================================================================================
# (f) policy trees with links and special files


def _tree_mutation(rng: random.Random, root: Path, outside: Path) -> str:
    """One change to a copy of the small tree: a link, a special file or a seed."""
    layer = root / rng.choice(("demo", "common"))
    layer.mkdir(exist_ok=True)
    name = rng.choice(("extra.yaml", "policy.yaml", "zz.yaml", "a.yaml"))
    target = layer / name
    replaced = ""
    if target.exists() or target.is_symlink():
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
        replaced = f"(in place of {target.relative_to(root)}) "
    return replaced + _change(rng, root, outside, layer, target)


def _change(rng: random.Random, root: Path, outside: Path, layer: Path, target: Path) -> str:
    pick = rng.randrange(12)
    if pick == 0:
        target.symlink_to(outside / "secret.yaml")
        return f"{target.relative_to(root)} -> a file outside the tree"
    if pick == 1:
        target.symlink_to(root / "nowhere" / "gone.yaml")
        return f"{target.relative_to(root)} -> nothing"
    if pick == 2:
        target.symlink_to(target)
        return f"{target.relative_to(root)} -> itself"
    if pick == 3 and hasattr(os, "mkfifo"):
        os.mkfifo(target)
        return f"{target.relative_to(root)} is a FIFO"
    if pick == 4:
        target.mkdir()
        return f"{target.relative_to(root)} is a folder"
    if pick == 5:
        other = root / ("common" if layer.name == "demo" else "demo") / "policy.yaml"
        if other.exists() and not other.is_symlink():
            target.symlink_to(other)
            return f"{target.relative_to(root)} -> {other.relative_to(root)} (inside)"
    if pick == 6:
        link = root / rng.choice(("outside", "loop", "demo2", "common2"))
        if not (link.exists() or link.is_symlink()):
            where = rng.choice((outside, root, root / "demo", root / "missing-folder", Path("/")))
            link.symlink_to(where, target_is_directory=True)
            return f"{link.name}/ -> {where}"
    if pick == 7:
        sub = root / "demo" / rng.choice(("sub", "tests"))
        sub.parent.mkdir(exist_ok=True)  # an earlier change may have emptied the tree
        if not (sub.exists() or sub.is_symlink()):
            sub.symlink_to(outside, target_is_directory=True)
            return f"{sub.relative_to(root)}/ -> a folder outside"
    if pick in (8, 9):
        seed = rng.choice(("../../etc/passwd", "/etc/passwd", "doc.txt", "pipe.txt", "out.txt", "sub/../doc.txt",
                           "../sources/doc.txt", "C:\\\\x", "", " ", "a\\u0000b", "missing.txt", "dir"))
        region = root / "demo" / "policy.yaml"
        if region.is_file() and not region.is_symlink():
            text = region.read_text(encoding="utf-8")
            region.write_text(text.replace("    title: 示例市农村低保实施办法\n",
                                           f"    title: 示例市农村低保实施办法\n    seed: \"{seed}\"\n", 1),
                              encoding="utf-8")
            return f"seed {seed!r}"
    if pick == 10:
        for folder in ("demo", "common"):
            shutil.rmtree(root / folder, ignore_errors=True)
        return "an empty tree"
    text = (root / "demo" / "policy.yaml")
    if text.is_file() and not text.is_symlink():
        moved = root / "kept.txt"
        text.rename(moved)
        text.symlink_to(Path("..") / moved.name)
        return "demo/policy.yaml -> ../kept.txt (inside)"
    return "unchanged"


def _sources(folder: Path, outside: Path) -> None:
    folder.mkdir()
    (folder / "doc.txt").write_text("三、第三条 农村低保标准按照当地生活所需确定。四、第四条。", encoding="utf-8")
    (folder / "out.txt").symlink_to(outside / "secret.yaml")
    (folder / "dir").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.txt")


def run_trees(index: int, rng: random.Random, tally: Any, work: Path, base: Path, household: Household,
              note: Callable[[str], str], cli_main: Callable[[list[str]], None]) -> tuple[str, str]:
    folder = work / "trees" / str(index)
    shutil.rmtree(folder, ignore_errors=True)
    outside = folder / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.yaml").write_text("policy: {id: secret-words}\n", encoding="utf-8")
    root = folder / "policies"
    shutil.copytree(base, root)
    _sources(folder / "sources", outside)
    try:
        done = [_tree_mutation(rng, root, outside) for _ in range(rng.choice((1, 1, 2, 3)))]
        described = note(f"tree: {'; '.join(done)}")
        library = PolicyLibrary.open(root)
        errors = _errors(library.diagnostics)
        if any("secret-words" in d.message for d in library.diagnostics):
            raise Failure("read outside the tree", "a file outside the tree was read")
        if rng.random() < 0.1:
            code, _out = _cli(cli_main, ["check", str(root)])
            if code != (2 if errors else 0):
                raise Failure(f"check exit {code}", f"check found {len(errors)} errors")
        if errors:
            require_located(errors, file=True)
            tally.stages["refused"] += 1
            return "rejected", described
        tally.stages["checks clean"] += 1
        try:
            explanation = explain(library, household, "demo", AS_OF)
        except DiagnosticError as error:
            require_located(error.diagnostics, file=False)
            tally.stages["evaluation refused"] += 1
            return "accepted", described
        words = json.dumps(explanation.as_dict(), ensure_ascii=False)
        if "secret-words" in words:
            raise Failure("read outside sources", "explain quoted a file outside sources/")
        tally.stages["explained"] += 1
        return "accepted", described
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _cli(cli_main: Callable[[list[str]], None], argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(argv)
        except SystemExit as finished:
            code = finished.code if finished.code is not None else 0
    output = out.getvalue() + err.getvalue()
    if "Traceback" in output or "internal error" in output:
        raise Failure("traceback", output[-300:])
    if code not in (0, 2):
        raise Failure(f"exit {code}", err.getvalue()[-300:])
    return int(code), out.getvalue()


# ======================================================================================
# (g) deep rule chains and (h) growing values: rules built as syntax trees


def _name(*parts: str) -> s.Name:
    return s.Name(HERE, parts)


def _number(value: int | Decimal) -> s.Literal:
    return s.Literal(HERE, "number", value)


def _plus(left: s.Node, right: s.Node, op: str = "+") -> s.Binary:
    return s.Binary(HERE, op, left, right)


def _program(rules: dict[str, tuple[str, s.Node, t.Type]]) -> tuple[Program, list[Diagnostic]]:
    """Check and compile rules given as (scope, body, type); the checker's diagnostics too."""
    definitions = {name: Definition(name, "rule", type_, HERE, (body,), scope)
                   for name, (scope, body, type_) in rules.items()}
    result = check_program(definitions)
    errors = _errors(result.diagnostics)
    if errors:
        raise Failure("generator", f"a generated rule does not check: {errors[0].one_line()}"[:300])
    code = {name: RuleCode(name, type_, result.bodies[name][0], scope) for name, (scope, _body, type_) in rules.items()}
    return Program(code, {}), result.diagnostics


def _chain(rng: random.Random, household: Household) -> tuple[dict[str, tuple[str, s.Node, t.Type]], int, str]:
    """Rules ``c.r0`` … and ``c.top``, the value ``c.top`` must have, and the shape."""
    shape = rng.choice(("straight", "members", "conditions", "fibonacci", "brackets"))
    lengths = (1, 2, 10, 40, 100) if shape == "brackets" else (1, 2, 10, 100, 149, 150, 151, 300, 450, 451, 600)
    length = rng.choice(lengths)
    size = len(household.members)
    rules: dict[str, tuple[str, s.Node, t.Type]] = {}
    if shape == "members":
        rules["c.r0"] = ("member", _number(1), t.INT)
        for i in range(1, length):
            rules[f"c.r{i}"] = ("member", _plus(_name("member", "c", f"r{i - 1}"), _number(1)), t.INT)
        body = s.Aggregate(HERE, "sum", _name("p", "c", f"r{length - 1}"), "p", _name("members"), None, None)
        rules["c.top"] = ("household", body, t.INT)
        return rules, length * size, shape
    rules["c.r0"] = ("household", _name("household", "size"), t.INT)
    values = [size]
    for i in range(1, length):
        previous = _name("c", f"r{i - 1}")
        if shape == "conditions":
            condition = s.Binary(HERE, ">", previous, _number(-1))
            body: s.Node = s.If(HERE, condition, _plus(_name("c", f"r{i - 1}"), _number(1)), _number(0))
            values.append(values[-1] + 1)
        elif shape == "fibonacci" and i >= 2:
            body = _plus(previous, _name("c", f"r{i - 2}"))
            values.append(values[-1] + values[-2])
        elif shape == "brackets":
            body = previous
            for _ in range(rng.choice((1, 10, 40))):
                body = _plus(body, _number(0))
            body = _plus(body, _number(1))
            values.append(values[-1] + 1)
        else:
            body = _plus(previous, _number(1))
            values.append(values[-1] + 1)
        rules[f"c.r{i}"] = ("household", body, t.INT)
    rules["c.top"] = ("household", _name("c", f"r{length - 1}"), t.INT)
    return rules, values[-1], shape


def run_chains(index: int, rng: random.Random, tally: Any, households: Sequence[Household],
               note: Callable[[str], str]) -> tuple[str, str]:
    household = households[index % len(households)]
    rules, expected, shape = _chain(rng, household)
    broken = rng.random() < 0.1
    if broken:  # the first rule cannot be computed: every rule after it says so, located
        rules["c.r0"] = (rules["c.r0"][0], s.Aggregate(HERE, "min", _name("m", "age"), "m", _name("members"),
                                                       s.Binary(HERE, ">", _name("m", "age"), _number(1000)), None),
                         t.INT)
    traced = rng.random() < 0.2
    described = note(f"chain of {len(rules) - 1} rules, {shape}{', broken' if broken else ''}"
                     f"{', traced' if traced else ''}, {len(household.members)} members")
    program, _diagnostics = _program(rules)
    tracer = Tracer() if traced else None
    try:
        values, _members = program.evaluate(household, AS_OF, ["c.top"], tracer)
    except DiagnosticError as error:
        require_located(error.diagnostics, file=False)
        if not broken:
            message = error.diagnostics[0].message
            raise Failure("refused", f"a chain that computes was refused: {message}"[:300]) from None
        tally.stages["refused, as it must"] += 1
        return "rejected", described
    if broken:
        raise Failure("wrong value", "a chain whose first rule cannot be computed gave a value")
    if values["c.top"] != expected:
        raise Failure("wrong value", f"{shape} chain gave {values['c.top']}, not {expected}")
    if tracer is not None and ("c.top", None) not in tracer.rules:
        raise Failure("trace", "the tracer did not see the output")
    tally.stages[f"{shape}: value right"] += 1
    return "accepted", described


_CONSTANTS = (Decimal(3), Decimal("0.5"), Decimal("1.1"), Decimal(7), Decimal(1_000_000), Decimal("0.000001"),
              Decimal("12345678.9"), Decimal("0.3333"))


def _growing(rng: random.Random) -> tuple[dict[str, tuple[str, s.Node, t.Type]], str]:
    length = rng.choice((1, 5, 10, 12, 20, 40, 60))
    rules: dict[str, tuple[str, s.Node, t.Type]] = {
        "g.r0": ("household", _plus(_name("household", "size"), _number(rng.choice(_CONSTANTS))), t.NUMBER)}
    ops = []
    for i in range(1, length):
        op = rng.choice(("*", "*", "*", "+", "-", "/"))
        operand: s.Node = _number(rng.choice(_CONSTANTS))
        if op in "*+-" and rng.random() < 0.7:
            operand = _name("g", f"r{i - 1}")
        rules[f"g.r{i}"] = ("household", _plus(_name("g", f"r{i - 1}"), operand, op), t.NUMBER)
        ops.append(op if isinstance(operand, s.Literal) else op + "self")
    rules["g.top"] = ("household", _name("g", f"r{length - 1}"), t.NUMBER)
    return rules, " ".join(ops[:60])


def _nested(depth: int, scope: str) -> s.Node:
    """count(a for a in events where count(b for b in events where …) > 0): ``depth`` levels."""
    body: s.Node = s.Aggregate(HERE, "count", _name("v0"), "v0", _name("events"), None, None)
    for level in range(1, depth):
        condition = s.Binary(HERE, ">", body, _number(0))
        body = s.Aggregate(HERE, "count", _name(f"v{level}"), f"v{level}", _name("events"), condition, None)
    if scope == "member":
        body = _plus(body, _name("member", "age"))
    return body


def run_growth(index: int, rng: random.Random, tally: Any, records: Sequence[dict[str, Any]],
               note: Callable[[str], str]) -> tuple[str, str]:
    if rng.random() < 0.5:
        rules, ops = _growing(rng)
        described = note(f"{len(rules) - 1} rules: {ops}")
        program, _diagnostics = _program(rules)
        household = validate_household(records[0])
        try:
            values, _members = program.evaluate(household, AS_OF, ["g.top"])
        except DiagnosticError as error:
            require_located(error.diagnostics, file=False)
            if "digits" not in error.diagnostics[0].message or "rule g." not in error.diagnostics[0].message:
                raise Failure("message", error.diagnostics[0].message[:300]) from None
            tally.stages["stopped at the digits limit"] += 1
            return "rejected", described
        rendered = render(values["g.top"], t.NUMBER)
        exact.round_half_up(values["g.top"])
        if not isinstance(rendered, str):
            raise Failure("render", f"a number rendered as {type(rendered).__name__}")
        tally.stages["value"] += 1
        return "accepted", described
    depth = rng.choice((1, 2, 3, 4, 5))
    events = rng.choice((0, 3, 12, 50, 200))
    scope = rng.choice(("household", "household", "member"))
    record = records[-1]  # 200 events, of which the first ``events`` are kept
    described = note(f"counts nested {depth} deep over {events} events ({scope} rule)")
    rules = {"n.top": (scope, _nested(depth, scope), t.INT)}
    program, diagnostics = _program(rules)
    warned = any(d.code == "W-COST" for d in diagnostics)
    if warned != (depth + (scope == "member") >= 3):
        raise Failure("cost warning", f"check {'warned' if warned else 'did not warn'} about {depth} nested counts")
    household = validate_household({**record, "events": record["events"][:events]})
    members = len(household.members) if scope == "member" else 1
    needed = members * sum(events ** level for level in range(1, depth + 1))
    try:
        values, member_values = program.evaluate(household, AS_OF, ["n.top"])
    except DiagnosticError as error:
        require_located(error.diagnostics, file=False)
        if needed <= MAX_AGGREGATE_ITEMS:
            raise Failure("budget", f"refused work of {needed} items: {error.diagnostics[0].message}"[:300]) from None
        if "rule n.top needs more work" not in error.diagnostics[0].message:
            raise Failure("message", error.diagnostics[0].message[:300]) from None
        tally.stages["stopped at the work budget"] += 1
        return "rejected", described
    if needed > MAX_AGGREGATE_ITEMS:
        raise Failure("budget", f"work of {needed} items was not stopped")
    found = values.get("n.top", next(iter(member_values.values()), {}).get("n.top"))
    if scope == "household" and found != events:
        raise Failure("wrong value", f"{depth} nested counts over {events} events gave {found}")
    tally.stages["value within the budget"] += 1
    return "accepted", described


# ======================================================================================
# (i) markup in text fields

_FRAGMENTS = ("[/]", "[link=https://example.org]", "[/link]", "[bold", "[red]", "[/red]", "\\", "\\\\", "[", "]",
              ":smile:", "[on red]", "[@click=quit]", "[b]x[/b]", "低保", "😀", "%s", "{}", "$(whoami)", "'", '"',
              "[[", "]]", "\\[", "[dim]", "[/dim", "=", "[italic reverse]")
_CONTROLS = ("\x1b[31m", "\x07", "\r", "\t", "\x00", "\u202e")


def _marked(rng: random.Random, controls: bool) -> str:
    parts = [rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, 6))]
    if controls:
        parts.insert(rng.randint(0, len(parts)), rng.choice(_CONTROLS))
    return "X" + "".join(parts)


def run_markup(index: int, rng: random.Random, tally: Any, work: Path, base: Path, record: dict[str, Any],
               note: Callable[[str], str], cli_main: Callable[[list[str]], None]) -> tuple[str, str]:
    root = work / "markup" / "policies"
    if not root.exists():
        shutil.copytree(base, root)
    region = root / "demo" / "policy.yaml"
    original = (base / "demo" / "policy.yaml").read_text(encoding="utf-8")
    controls = rng.random() < 0.2
    name, label, identifier = (_marked(rng, controls) for _ in range(3))
    text = original.replace("name: 示例市", f"name: {json.dumps(name)}")
    text = text.replace("label: 家庭月收入", f"label: {json.dumps(label)}")
    region.write_text(text, encoding="utf-8")
    path = work / "markup" / "household.json"
    invalid = rng.random() < 0.2  # a household refused: its message names the id, as text too
    path.write_text(json.dumps({**record, "id": identifier, **({"hukou": name} if invalid else {})},
                               ensure_ascii=False), encoding="utf-8")
    command = rng.choice(("explain", "compare", "regions"))
    described = note(f"{command}: id {identifier!r}, label {label!r}, name {name!r}")
    argv = {"explain": ["explain", "--policies", str(root), "--region", "demo", "--date", AS_OF.isoformat(),
                        "--output", "income.countable_monthly", str(path)],
            "compare": ["compare", "--policies", str(root), "--date", AS_OF.isoformat(), str(path)],
            "regions": ["regions", "--policies", str(root)]}[command]
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "2000"  # one line per row: the text can be found whole
    try:
        code, printed = _cli(cli_main, argv)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    if code == 2:
        tally.stages[f"{command} refused"] += 1
        return "rejected", described
    shown = {"explain": [identifier, label], "compare": [identifier], "regions": [name]}[command]
    if not controls:
        flat = "".join(printed.split())  # a title wraps at its spaces to the table's width
        for wanted in shown:
            if "".join(wanted.split()) not in flat:
                raise Failure("markup", f"{command} did not print {wanted!r} as written")
    tally.stages[f"{command} printed"] += 1
    return "accepted", described
