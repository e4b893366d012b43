"""Robustness: fuzz every kind of input the engine takes and count how each one is handled.

    python bench/robustness.py [--count N] [--seed S] [--workers W] [--no-write]
    python bench/robustness.py --replay CATEGORY:INDEX [--seed S]

Runs N inputs (default 100,000) split across five categories and, per category, counts
the inputs tried, rejected cleanly, accepted, and failures:

(a) ``text``: random text as an expression (character and token soup, edited grammar
    expressions, pathological sizes and nesting) through parse → check → evaluate;
(b) ``grammar``: grammar-generated expressions (``engine.household.strategies``), a third of them
    in the context of a region's parameters and rules, through parse → check → evaluate
    on fixed households, each value checked against its checked type;
(c) ``policy``: a real policy file with one to three mutations (dropped keys, values of
    another type, huge numbers, deep nesting, odd unicode, duplicate keys, alias bombs,
    tabs, bytes that are not UTF-8, truncation, swapped and impossible dates, replaced
    expressions…) through ``load_yaml_text``, then its layer loaded and the tree checked
    (the mutated layer with the layers of one region that uses it); a tree that checks
    clean evaluates a household;
(d) ``household``: records from ``engine.household.strategies`` and the contract example with one to
    three mutations (dropped fields, wrong types, negative, huge or NaN amounts, bad dates,
    unknown kinds, deep nesting, huge lists, records that are not objects…), as Python
    values through ``validate_household`` or as JSON, JSON Lines or YAML text through the
    readers; a valid record is evaluated for a region;
(e) ``cli``: garbage and near-miss argument lists for ``dibao evaluate``, ``check`` and
    ``explain`` through ``engine.cli.main`` in this process;
(f)–(i) ``trees``, ``chains``, ``growth``, ``markup``: policy trees with links and special
    files, deep rule chains, growing intermediate values and nested work, and rich markup
    in ids, labels and names (``bench/robustness_families.py`` describes them).

Rejected cleanly means our ``DiagnosticError`` (or, for an expression, the checker's
diagnostics) with every diagnostic carrying a code and a message, and a span when the
input is a file; for the CLI, exit status 2. A failure is any other exception, a
diagnostic without its code, message or place, a value whose type is not the checked
type, an exit status other than 0 or 2, a traceback in the output, or an input taking
longer than a second of processor time (a timer stops an input after thirty seconds of
wall-clock time, so one waiting forever is caught too). Every input is derived from the
seed, its category and its index, so ``--replay`` reruns one input and prints its
traceback. Figures go to ROBUSTNESS.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import io
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
for _folder in (ROOT, ROOT / "bench"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from robustness_families import Failure, require_located, run_chains, run_growth, run_markup, run_trees  # noqa: E402

import engine.runtime.library  # noqa: E402
from engine.base.diagnostics import Diagnostic, DiagnosticError  # noqa: E402
from engine.base.yaml_source import load_yaml_text  # noqa: E402
from engine.cli import main as cli_main  # noqa: E402
from engine.household.record import Household, parse_household_text, validate_household  # noqa: E402
from engine.household.strategies import random_household  # noqa: E402
from engine.language import types as t  # noqa: E402
from engine.language.builtins import Duration  # noqa: E402
from engine.language.checker import check_expression  # noqa: E402
from engine.language.expression_strategies import DEFAULT_NAMES, random_expression_text  # noqa: E402
from engine.language.parser import parse_expression  # noqa: E402
from engine.language.syntax import type_of  # noqa: E402
from engine.policy.policy_files import PolicyTree, load_layer, load_tree  # noqa: E402
from engine.policy.resolve import RuleCode, Unavailable  # noqa: E402
from engine.runtime.evaluate import evaluate  # noqa: E402
from engine.runtime.interpreter import Program  # noqa: E402
from engine.runtime.library import PolicyLibrary, parse_overrides  # noqa: E402
from engine.runtime.policy_check import check_tree, definitions_of  # noqa: E402

CATEGORIES = ("text", "grammar", "policy", "household", "cli", "trees", "chains", "growth", "markup")
TITLES = {
    "text": "(a) random text as expressions",
    "grammar": "(b) grammar-generated expressions",
    "policy": "(c) mutated policy YAML",
    "household": "(d) mutated household records",
    "cli": "(e) CLI arguments",
    "trees": "(f) policy trees with links and special files",
    "chains": "(g) deep rule chains",
    "growth": "(h) growing values and nested work",
    "markup": "(i) markup in text fields",
}
# Shares of the inputs (the command line gets a few hundred first). The cheap categories take
# most of them, so that a run of 200,000 fits a shared two-core machine in well under an hour.
WEIGHTS = {"text": 0.33, "grammar": 0.405, "policy": 0.05, "household": 0.15, "trees": 0.01, "chains": 0.01,
           "growth": 0.01, "markup": 0.005}
CORPUS_TREE = ROOT / "tests" / "corpus" / "base" / "policies"
SLOW_SECONDS = 1.0  # of processor time: a machine busy with other work does not make an input slow
HARD_LIMIT_SECONDS = 30.0  # of wall-clock time: catches an input waiting forever (on a FIFO, say)
EXAMPLE = ROOT / "tests" / "household" / "good" / "contract_example.json"
FUZZ_RULE = "robustness.expression"


# ======================================================================================
# Outcomes and failures


class Mismatch(Failure):
    """A value whose runtime type is not the type the checker gave its expression.

    Counted apart from failures (the input was accepted and evaluated): a finding of the
    type oracle, not a crash."""


class _Hang(BaseException):
    """Raised by the timer when one input runs past the hard limit (not an ``Exception``,
    so no ``except Exception`` inside the engine can swallow it)."""


@dataclass
class FailureReport:
    category: str
    index: int
    kind: str
    signature: str
    message: str
    input: str
    seconds: float


@dataclass
class Tally:
    """Counts for one category (or a chunk of one)."""

    tried: int = 0
    rejected: int = 0
    accepted: int = 0
    failures: int = 0
    mismatches: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    slowest_index: int = -1
    stages: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.tried += other.tried
        self.rejected += other.rejected
        self.accepted += other.accepted
        self.failures += other.failures
        self.mismatches += other.mismatches
        self.seconds += other.seconds
        if other.slowest > self.slowest:
            self.slowest, self.slowest_index = other.slowest, other.slowest_index
        self.stages.update(other.stages)


@dataclass
class Report:
    count: int
    seed: int
    workers: int
    wall: float
    tallies: dict[str, Tally]
    failures: list[FailureReport]

    @property
    def total(self) -> Tally:
        total = Tally()
        for tally in self.tallies.values():
            total.add(tally)
        return total


_require_located = require_located


def _errors(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


# ======================================================================================
# Per-process state: a private copy of the policies, the library, households to evaluate


@dataclass
class RegionSetting:
    name: str
    as_of: dt.date
    overrides: dict[str, str]
    layer_keys: tuple[str, ...]
    names: tuple[str, ...]
    parameters: tuple[str, ...]


class State:
    """What every input of a process shares; built once per process from a policy snapshot."""

    def __init__(self, snapshot: Path, work: Path) -> None:
        self.work = work
        self.root = work / "policies"
        if not self.root.exists():
            shutil.copytree(snapshot, self.root)
        self.library = PolicyLibrary.open(self.root)
        self.base = load_tree(self.root)
        self.regions = self._regions()
        self.files = self._files()
        self.originals = {path: path.read_bytes() for path in self.files}
        rng = random.Random(20240601)
        self.example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        self.records = [self.example] + [random_household(rng, 1, 6) for _ in range(120)]
        self.households: dict[str, list[Household]] = {}
        for region in self.regions:
            raw = [self.example] + [random_household(rng, 2, 6, region.as_of) for _ in range(2)]
            self.households[region.name] = [validate_household(r) for r in raw]
        self.fixed_as_of = dt.date(2021, 8, 1)
        fixed = [self.example] + [random_household(rng, 2, 6, self.fixed_as_of) for _ in range(2)]
        self.fixed_households = [validate_household(r) for r in fixed]
        self.programs: dict[str, tuple[Program, Any, Any]] = {}
        self.cli_files = _cli_files(work / "cli", self)
        many = dict(self.example, events=(self.example["events"] * 70)[:200])  # 200 events: nested work
        self.event_records = [self.example, many]

    def _regions(self) -> list[RegionSetting]:
        settings = []
        for name in self.library.regions:
            if self.library.problems_of(name):
                continue
            checked = self.library.check.regions[name]
            chain = checked.chain
            end = min(chain.span_to, dt.date(2026, 6, 30))
            as_of = chain.span_from + (end - chain.span_from) * 3 // 5 if end > chain.span_from else chain.span_from
            overrides = _supply(self.library, name, as_of)
            names = tuple(sorted(set(chain.parameters) | {n for n, r in chain.rules.items() if r.scope != "member"}))
            keys = tuple(layer.key for layer in chain.layers)
            settings.append(RegionSetting(name, as_of, overrides, keys, names, tuple(sorted(chain.parameters))))
        return settings

    def _files(self) -> list[Path]:
        """The files of every layer of the regions that check clean: the starting points."""
        keys = sorted({key for region in self.regions for key in region.layer_keys})
        return [path for key in keys for path in sorted((self.root / key).glob("*.yaml"))]

    def region_program(self, region: RegionSetting) -> tuple[Program, Any, Any]:
        """The region's compiled rules, checker result and definitions (cached)."""
        if region.name not in self.programs:
            resolved = self.library.resolve(region.name, region.as_of, region.overrides)
            program = self.library.program(resolved)
            checked = self.library.check.regions[region.name]
            self.programs[region.name] = (program, checked, definitions_of(checked.chain))
        return self.programs[region.name]


def _supply(library: PolicyLibrary, region: str, as_of: dt.date) -> dict[str, str]:
    """``--set`` values for the parameters a region leaves to be supplied on a date."""
    resolved = library.resolve(region, as_of, {})
    checked = library.check.regions[region]
    overrides: dict[str, str] = {}
    for name, value in resolved.values.items():
        if not isinstance(value, Unavailable):
            continue
        text = "5000" if name == "dibao.standard_annual" else _value_for(checked.chain.parameters[name].type)
        try:
            parse_overrides(checked, {name: text})
        except DiagnosticError:
            continue
        overrides[name] = text
    return overrides


def _value_for(type_: t.Type) -> str:
    if isinstance(type_, t.Money):
        return {"year": "5000", "month": "400"}.get(type_.period, "1000")
    if isinstance(type_, t.Enum):
        return json.dumps(sorted(type_.values)[0])
    if isinstance(type_, t.Duration):
        return f"6 {type_.unit.replace('_', ' ')}"
    return {t.INT: "6", t.RATE: "0.5", t.NUMBER: "0.5", t.BOOL: "true", t.DATE: "2020-01-01",
            t.TEXT: '"county"'}.get(type_, "0")


_STATE: State | None = None
_WORK: Path | None = None
_SNAPSHOT: Path | None = None
_CURRENT = ""  # the input being run, as described by its runner before the engine sees it


def _note(described: str) -> str:
    global _CURRENT
    _CURRENT = described
    return described


def _init_worker(snapshot: str, base: str) -> None:
    global _SNAPSHOT, _WORK, _STATE
    _SNAPSHOT = Path(snapshot)
    _WORK = Path(tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=base))
    _STATE = None
    signal.signal(signal.SIGALRM, _on_alarm)


def _state() -> State:
    global _STATE
    if _STATE is None:
        assert _SNAPSHOT is not None and _WORK is not None
        _STATE = State(_SNAPSHOT, _WORK)
    return _STATE


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise _Hang()


# ======================================================================================
# (a) and (b): expressions

_POOLS = (
    "abcdefghijklmnopqrstuvwxyz_.",
    "0123456789._%",
    " \t\n()+-*/<>=!{},\"'#",
    "元月年天个工作日低保标准收入成员",
    "\u200b\u200e\u202e\ufeff\u00a0\u3000",
    "\x00\x01\x07\x1b\x7f\x85\u2028\u2029",
    "０１２３４５６７８９（）＋－＊／＜＞＝，",
    "😀🀄𝟘𝐀",
)
_TOKENS = (
    "if", "then", "else", "cases", "when", "for", "in", "where", "not", "and", "or", "true", "false",
    "(", ")", "{", "}", ",", "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "=", "!", "&", "|", "[", "]",
    ".", ":", ";", "#", '"', "'", "\\", "\n", "12", "3.5", "1_000", "80%", "1200 yuan/month", "3210 yuan/year",
    "5 元/月", "100 yuan", "3 months", "20 working days", "15 days", "6 个月", "2 年", "2021-07-01", "2021-02-29",
    '"wages"', "'shock'", "as_of", "members", "events", "household.size", "status.on_dibao", "m", "m.age",
    "i.monthly", "dibao.standard_annual", "sum", "count", "any", "all", "min", "max", "first", "last", "collect",
    "per_month", "per_year", "round", "add_months", "add_working_days", "date", "months", "days", "age_on",
)


def _edit(rng: random.Random, text: str) -> str:
    """One to five character-level edits of a text."""
    for _ in range(rng.randint(1, 5)):
        position = rng.randint(0, len(text))
        action = rng.randrange(7)
        if action == 0 and text:
            text = text[:position] + text[position + 1:]
        elif action == 1:
            text = text[:position] + rng.choice(rng.choice(_POOLS)) + text[position:]
        elif action == 2:
            text = text[:position] + rng.choice(_TOKENS) + text[position:]
        elif action == 3 and text:
            end = rng.randint(position, len(text))
            text = text[:end] + text[position:end] + text[end:]
        elif action == 4:
            text = text[:position]
        elif action == 5:
            text = re.sub(r"\d+", lambda _m: rng.choice(("9" * 40, "0", "1" * 5000, "99999999999")), text, count=1)
        else:
            text = text[:position] + rng.choice(("(", ")", "{", "}")) * rng.randint(1, 70) + text[position:]
    return text


def _pathological(rng: random.Random) -> str:
    k = rng.choice((10, 63, 64, 65, 100, 1000, 5000, 10000, 20001))
    digits = rng.choice((28, 29, 40, 100, 4300, 4301, 5000, 19990))
    shapes: list[Callable[[], str]] = [
        lambda: "(" * k + "1" + ")" * k,
        lambda: "(" * k,
        lambda: "{" * k + "}" * k,
        lambda: "-" * min(k, 19000) + "1",
        lambda: "not " * min(k, 4900) + "true",
        lambda: "1" + " + 1" * min(k, 4900),
        lambda: "if true then " * min(k, 1500) + "1" + " else 2" * min(k, 1500),
        lambda: "cases " + "when true then 1 " * min(k, 1100) + "else 0",
        lambda: "cases " + "when household.size > 1 then 1 " * min(k, 600) + "else 0",
        lambda: "9" * digits,
        lambda: "9" * digits + ".5",
        lambda: "9" * digits + " yuan/month",
        lambda: "9" * digits + "%",
        lambda: "9" * digits + " months",
        lambda: "as_of + " + "9" * digits + " days",
        lambda: "round(" + "9" * rng.choice((27, 28, 29, 40)) + ", 2)",
        lambda: "round(" + "9" * rng.choice((27, 28, 29, 40)) + " yuan/month)",
        lambda: "a" * min(k, 20001),
        lambda: "a." * min(k, 9000) + "b",
        lambda: '"' + "x" * min(k, 19990) + '"',
        lambda: "sum(" * 40 + "1 for m in members)" * 40,
        lambda: "1_" * min(k, 9000) + "1",
        lambda: "1 yuan/week",
        lambda: "0000-00-00",
        lambda: "9999-12-31 + 1 days",
        lambda: "date(9999, 12, 31) + 1 months",
        lambda: "\ufeff1",
        lambda: "1\x00",
        lambda: "\ud800",
        lambda: "\r\n".join(["1 +"] * 50) + " 1",
        lambda: "# only a comment",
        lambda: "   ",
        lambda: "",
        lambda: "3 months < 4 months",
        lambda: "add_working_days(as_of, " + str(rng.choice((3000, 3660, 3661, 10**9))) + ")",
        lambda: "{" + ", ".join(str(i) for i in range(min(k, 3000))) + "}",
    ]
    return rng.choice(shapes)()


def random_text(rng: random.Random) -> str:
    """Category (a): text that is rarely an expression."""
    mode = rng.random()
    if mode < 0.2:
        pool = "".join(rng.sample(_POOLS, rng.randint(1, len(_POOLS))))
        return "".join(rng.choice(pool) for _ in range(rng.randint(0, 200)))
    if mode < 0.5:
        return rng.choice(("", " ", "  ")).join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 40)))
    if mode < 0.85:
        return _edit(rng, random_expression_text(rng))
    return _pathological(rng)


def _conforms(value: Any, type_: t.Type) -> bool:
    """Does a runtime value have the checked type?"""
    if type_ == t.ANY or isinstance(type_, t.Record):
        return True
    if type_ == t.BOOL:
        return isinstance(value, bool)
    if type_ == t.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ in (t.NUMBER, t.RATE) or isinstance(type_, t.Money):
        return isinstance(value, (Decimal, Fraction, int)) and not isinstance(value, bool)
    if type_ == t.DATE:
        return isinstance(value, dt.date)
    if isinstance(type_, t.Duration):
        return isinstance(value, Duration) and value.unit == type_.unit
    if isinstance(type_, t.Enum):  # a named enumeration holds its values; text literals make an unnamed one
        return isinstance(value, str) and (not type_.label or not type_.values or value in type_.values)
    if type_ == t.TEXT:
        return isinstance(value, str)
    if isinstance(type_, t.SetOf):
        return isinstance(value, frozenset) and all(_conforms(v, type_.element) for v in value)
    if isinstance(type_, t.ListOf):
        return isinstance(value, (tuple, list)) and all(_conforms(v, type_.element) for v in value)
    return True


def _expression(text: str, state: State, region: RegionSetting | None, tally: Tally) -> str:
    """parse → check → evaluate on fixed households; "rejected" or "accepted"."""
    try:
        node = parse_expression(text)
    except DiagnosticError as error:
        _require_located(error.diagnostics, file=False)
        tally.stages["syntax error"] += 1
        return "rejected"
    definitions = None
    if region is not None:
        program, _checked, definitions = state.region_program(region)
    checked_node, result = check_expression(node, definitions)
    found = type_of(checked_node)
    if _errors(result.diagnostics):
        _require_located(_errors(result.diagnostics), file=False)
        tally.stages["check error"] += 1
        return "rejected"
    tally.stages["checked"] += 1
    if region is None:
        program = Program({FUZZ_RULE: RuleCode(FUZZ_RULE, found, checked_node)}, {})
        households, as_of = state.fixed_households, state.fixed_as_of
    else:
        rules = {**program.rules, FUZZ_RULE: RuleCode(FUZZ_RULE, found, checked_node)}
        program = Program(rules, program.parameters)
        households, as_of = state.households[region.name], region.as_of
    refused = 0
    for household in households:
        try:
            values, _members = program.evaluate(household, as_of, [FUZZ_RULE])
        except DiagnosticError as error:
            _require_located(error.diagnostics, file=False)
            refused += 1
            continue
        value = values[FUZZ_RULE]
        if not _conforms(value, found):
            kind = type(found).__name__.lower() if not isinstance(found, t.Scalar) else str(found)
            raise Mismatch(f"wrong type: checked {kind}, got {type(value).__name__}",
                           f"checked as {found} but evaluated to {value!r}"[:300])
    if refused == len(households):
        tally.stages["evaluation refused"] += 1
        return "rejected"
    tally.stages["evaluated"] += 1
    return "accepted"


def run_text(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    text = random_text(rng)
    described = _note(_show_text(text))
    return _expression(text, _state(), None, tally), described


def run_grammar(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    region = state.regions[index // 3 % len(state.regions)] if index % 3 == 0 and state.regions else None
    names = (*DEFAULT_NAMES, *region.names) if region else DEFAULT_NAMES
    text = random_expression_text(rng, names, max_depth=rng.choice((2, 3, 4, 5)))
    described = _note(_show_text(text) + (f" (with the rules of {region.name})" if region else ""))
    return _expression(text, state, region, tally), described


def _show_text(text: str) -> str:
    shown = repr(text) if len(text) <= 400 else f"{text[:300]!r}… ({len(text)} characters)"
    return shown


# ======================================================================================
# (c): policy files

_KEY_LINE = re.compile(r"^( *)(- )?([^\s#:][^:#]*):( |$)")
_BAD_VALUES = (
    "[1, 2]", "{a: 1}", "true", "null", "~", "1e400", "-1e400", '"text"', str(10**50), "-1", ".inf", ".nan",
    "0x1F", "0o17", "1_000", "2021-02-29", "!!binary aGVsbG8=", "!!python/object/apply:os.system [ls]",
    "!!float 1", "!!int x", "!!set {a, b}", "!!omap [a: 1]", "*undefined", "&anchor 1", "|", ">-", '""',
    "'unterminated", '"unterminated', "[", "{", "}", "]", "- a", "? a", "a: b: c", "@x", "`x`", "%x",
    "12:30:00", "2021-01-01 10:00:00", "0.1e-400", "9" * 5000, "3210 yuan/week", "是", "yes", "on",
)
_TYPES = ("money/week", "list(member)", "enum()", "enum(a,)", "set(set(int))", "duration(weeks)", "", "int",
          "money/month", "money/year", "money", "bool", "date", "rate", "text", "list(text)", "enum(a, b)",
          "number", "duration(months)", "list(list(int))", "set(text)", "Money", "int ", "tuple(int)")
_DATES = ("2021-02-29", "2021-13-01", "2021-00-10", "9999-12-31", "0001-01-01", "2021-1-1", "20210101",
          '"2021-01-01"', "2100-01-01", "1900-01-01", "2016-01-01", "2021-06-31", "10000-01-01", "1999-12-31")
_STRANGE = ("\u200b", "\u200e", "\u202e", "\ufeff", "\u00a0", "\u3000", "\x00", "\x07", "\x1b", "\x85",
            "\u2028", "😀", "\U0001d7d8", "：", "\ud800", "\udfff", "\ufffe", "\uffff", "é", "\r", "\t", "\\")


def _lines_with_keys(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n")) if _KEY_LINE.match(line)]


def _block_end(lines: list[str], start: int) -> int:
    """The line after the block that starts at ``start`` (its more-indented children)."""
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent):
        end += 1
    return end


def _mutate_text(rng: random.Random, text: str, names: tuple[str, ...]) -> tuple[str, str]:
    """One text-level mutation of a policy file: (new text, what was done)."""
    lines = text.split("\n")
    keyed = _lines_with_keys(text)
    pick = rng.randrange(20)
    if pick == 0 and keyed:  # drop a key (and its block, half the time)
        at = rng.choice(keyed)
        end = _block_end(lines, at) if rng.random() < 0.5 else at + 1
        return "\n".join(lines[:at] + lines[end:]), f"drop line {at + 1}" + (" and its block" if end > at + 1 else "")
    if pick in (1, 2) and keyed:  # a value of another type
        at = rng.choice(keyed)
        match = _KEY_LINE.match(lines[at])
        assert match is not None
        value = rng.choice(_BAD_VALUES)
        lines[at] = lines[at][:match.end()].rstrip() + " " + value
        return "\n".join(lines), f"line {at + 1} value -> {value[:40]!r}"
    if pick == 3:  # huge or odd numbers in place of a number
        numbers = list(re.finditer(r"(?<![\w.-])\d+(\.\d+)?(?![\w-])", text))
        if numbers:
            found = rng.choice(numbers)
            new = rng.choice(("1e400", "9" * 50, "9" * 5000, "1" + "0" * 400, "-" + found.group(), "0.000000001",
                              "0", "99999999999999999999999999999", "1_000", "1e-400", "NaN"))
            return text[:found.start()] + new + text[found.end():], f"number at {found.start()} -> {new[:30]!r}"
    if pick == 4:  # deep nesting
        k = rng.choice((50, 64, 65, 100, 1000, 20000))
        shape = rng.choice(("flow list", "flow map", "parens", "block"))
        if shape == "flow list":
            value = "[" * k + "]" * k
        elif shape == "flow map":
            value = "{a: " * k + "1" + "}" * k
        elif shape == "parens":
            value = "(" * k + "1" + ")" * k
        else:
            value = "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(min(k, 150))) + " 1"
        if keyed:
            at = rng.choice(keyed)
            match = _KEY_LINE.match(lines[at])
            assert match is not None
            lines[at] = lines[at][:match.end()].rstrip() + " " + value
            return "\n".join(lines), f"line {at + 1}: nesting {k} deep ({shape})"
    if pick == 5:  # strange characters
        position = rng.randint(0, len(text))
        strange = "".join(rng.choice(_STRANGE) for _ in range(rng.randint(1, 4)))
        return text[:position] + strange + text[position:], f"insert {strange!r} at {position}"
    if pick == 6 and keyed:  # a duplicate key
        at = rng.choice(keyed)
        end = _block_end(lines, at)
        return "\n".join(lines[:end] + lines[at:end] + lines[end:]), f"duplicate line {at + 1} (with its block)"
    if pick == 7:  # alias bombs and recursive aliases
        k = rng.choice((3, 9, 12))
        bomb = "bomb0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"bomb{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, k))
        if rng.random() < 0.3:
            bomb = "loop: &loop [*loop]\n"
        return (bomb + text if rng.random() < 0.5 else text + "\n" + bomb), f"alias bomb {k} levels"
    if pick == 8:  # tabs
        indented = [i for i, line in enumerate(lines) if line.startswith("  ")]
        if indented:
            at = rng.choice(indented)
            lines[at] = "\t" + lines[at].lstrip(" ") if rng.random() < 0.5 else lines[at].replace(": ", ":\t", 1)
            return "\n".join(lines), f"tab on line {at + 1}"
    if pick == 9:  # truncated
        cut = rng.randint(0, len(text))
        return text[:cut], f"truncated at character {cut}"
    if pick == 10:  # dates swapped or impossible
        dates = list(re.finditer(r"\d{4}-\d{2}-\d{2}", text))
        if len(dates) >= 2 and rng.random() < 0.5:
            a, b = sorted(rng.sample(dates, 2), key=lambda m: m.start())
            swapped = text[:a.start()] + b.group() + text[a.end():b.start()] + a.group() + text[b.end():]
            return swapped, f"swap dates {a.group()} and {b.group()}"
        if dates:
            found = rng.choice(dates)
            new = rng.choice(_DATES)
            return text[:found.start()] + new + text[found.end():], f"date {found.group()} -> {new}"
    if pick in (11, 12, 13):  # another expression in place of one
        exprs = [i for i, line in enumerate(lines) if re.match(r"^ *(- )?(expr|when|then|else|value): ", line)]
        if exprs:
            at = rng.choice(exprs)
            indent = len(lines[at]) - len(lines[at].lstrip(" -"))
            new = random_expression_text(rng, names, max_depth=rng.choice((1, 2, 3, 4)))
            key = lines[at].split(":", 1)[0]
            block = "\n".join(" " * (indent + 4) + part for part in new.split("\n"))
            end = _block_end(lines, at)
            return "\n".join([*lines[:at], f"{key}: |", block, *lines[end:]]), f"line {at + 1} -> {new[:200]!r}"
    if pick == 14:  # a declared type changed
        typed = [i for i, line in enumerate(lines) if re.match(r"^ *type: ", line)]
        if typed:
            at = rng.choice(typed)
            new_type = rng.choice(_TYPES)
            lines[at] = lines[at].split("type:")[0] + "type: " + new_type
            return "\n".join(lines), f"line {at + 1}: type -> {new_type!r}"
    if pick == 15:  # a name renamed (a typo in a definition or a reference)
        found_names = sorted({n for n in names if n in text})
        if found_names:
            name = rng.choice(found_names)
            typo = name[:-1] if rng.random() < 0.5 else name + rng.choice(("s", "_", ".x"))
            occurrences = [m.start() for m in re.finditer(re.escape(name), text)]
            at = rng.choice(occurrences)
            return text[:at] + typo + text[at + len(name):], f"rename {name} -> {typo} at {at}"
    if pick == 16:  # a line deleted, duplicated, swapped or re-indented
        at = rng.randrange(len(lines))
        how = rng.randrange(4)
        if how == 0:
            del lines[at]
        elif how == 1:
            lines.insert(at, lines[at])
        elif how == 2 and at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        else:
            lines[at] = " " * rng.choice((1, 2, 3)) + lines[at] if rng.random() < 0.5 else lines[at][1:]
        return "\n".join(lines), f"line {at + 1} edit {how}"
    if pick == 17:  # document markers and directives
        marker = rng.choice(("---\n", "...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "--- !!map\n"))
        return (marker + text if rng.random() < 0.5 else text + "\n" + marker + "a: 1\n"), f"marker {marker!r}"
    if pick == 18:  # the policy block changed
        field_name = rng.choice(("kind", "id", "inherits", "version", "span"))
        value = rng.choice(("region", "common", "subregion", "nowhere", "hebi", "", "[]", "{from: 2021-01-01}",
                            "{from: 2030-01-01, to: 2020-01-01}", "inner_mongolia/hinggan", '"1"', "1"))
        new, count = re.subn(rf"(?m)^(  {field_name}:).*$", lambda m: f"{m.group(1)} {value}", text, count=1)
        if count:
            return new, f"policy.{field_name} -> {value!r}"
    if pick == 19:  # citations removed or pointed elsewhere
        cited = [i for i, line in enumerate(lines) if "source:" in line or "doc:" in line]
        if cited:
            at = rng.choice(cited)
            if rng.random() < 0.5:
                del lines[at]
                return "\n".join(lines), f"drop citation line {at + 1}"
            lines[at] = re.sub(r"doc: [^,}]+", "doc: nowhere-doc", lines[at])
            return "\n".join(lines), f"citation on line {at + 1} -> nowhere-doc"
    cut = rng.randint(0, len(text))
    return text[:cut] + text[cut:].replace(":", "", 1), f"drop a colon after {cut}"


def _mutate_policy(rng: random.Random, original: bytes, names: tuple[str, ...]) -> tuple[str | bytes, list[str]]:
    """One to three mutations of a policy file; a few at the level of bytes and encodings."""
    text = original.decode("utf-8")
    done: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        text, what = _mutate_text(rng, text, names)
        done.append(what)
    roll = rng.random()
    if roll < 0.03:
        return text.replace("\n", "\r\n"), [*done, "CRLF line ends"]
    if roll < 0.05:
        return "\ufeff" + text, [*done, "BOM"]
    if roll < 0.06:
        return text.replace("\n", "\r"), [*done, "CR line ends"]
    if roll < 0.16:
        data = text.encode("utf-8", errors="surrogatepass")
        how = rng.randrange(6)
        if how == 0:
            return text.encode("gb18030", errors="replace"), [*done, "saved as GB18030"]
        if how == 1:
            return text.encode("utf-16", errors="surrogatepass"), [*done, "saved as UTF-16"]
        if how == 2:
            cut = rng.randint(0, len(data))
            return data[:cut], [*done, f"bytes truncated at {cut}"]
        if how == 3:
            at = rng.randint(0, len(data))
            junk = rng.choice((b"\xff\xfe", b"\xc3", b"\xe4\xbd", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"))
            return data[:at] + junk + data[at:], [*done, f"bytes {junk!r} at {at}"]
        if how == 4:
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 5)):
                if flipped:
                    flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            return bytes(flipped), [*done, "bytes flipped"]
        size = rng.choice((0, 1, 5_000_001))
        return (b" " * size if size < 10 else data * (size // max(1, len(data)) + 1)), [*done, f"{size} bytes"]
    if roll < 0.2:
        return text, done  # handed over as str
    return text.encode("utf-8", errors="surrogatepass"), done


def run_policy(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    if not state.files:
        raise Failure("no input", "no policy layer checks clean to start from")
    path = state.files[index % len(state.files)]
    key = str(path.parent.relative_to(state.root))
    users = [r for r in state.regions if key in r.layer_keys]
    region = users[(index // len(state.files)) % len(users)]
    mutated, done = _mutate_policy(rng, state.originals[path], region.names)
    label = f"policies/{key}/{path.name}"
    described = _note(f"{label}: {'; '.join(done)}")
    try:
        load_yaml_text(mutated, label)
    except DiagnosticError as error:
        _require_located(error.diagnostics, file=True)
        tally.stages["YAML error"] += 1
        return "rejected", described
    data = mutated if isinstance(mutated, bytes) else mutated.encode("utf-8", errors="surrogatepass")
    try:
        path.write_bytes(data)
        layer, problems = load_layer(key, path.parent, state.root)
    finally:
        path.write_bytes(state.originals[path])
    tree = PolicyTree(state.root)
    for layer_key in region.layer_keys:
        if layer_key != key:
            tree.layers[layer_key] = state.base.layers[layer_key]
        elif layer is not None:
            tree.layers[layer_key] = layer
    tree.diagnostics = list(problems)
    check = check_tree(tree)
    errors = _errors(check.diagnostics)
    if errors:
        _require_located(errors, file=True)
        tally.stages["load or check error"] += 1
        return "rejected", described
    tally.stages["checks clean"] += 1
    library = PolicyLibrary(state.root, tree, check)
    household = state.households[region.name][index % 3]
    try:
        determination = evaluate(household, region.name, region.as_of, overrides=region.overrides, library=library)
        json.dumps(determination.to_json(), ensure_ascii=False)
        tally.stages["evaluated"] += 1
    except DiagnosticError as error:
        _require_located(error.diagnostics, file=False)
        tally.stages["evaluation refused"] += 1
    return "accepted", described


# ======================================================================================
# (d): household records

_WRONG_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1.5, Decimal("2.5"), "", "text", [], {}, [1, 2], {"a": 1}, dt.date(2021, 1, 1),
    dt.datetime(2021, 1, 1, 12, 0), b"bytes", 10**400, float("nan"), float("inf"), -float("inf"), 1e308,
    Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("1E+1000"), (1, 2), {1, 2}, complex(1, 2),
    "\x00", "😀", "1" * 5000, " ", "null", "true", "[]", object(),
)
_BAD_AMOUNTS: tuple[Any, ...] = (
    "-0.001", "1e400", "NaN", "nan", "Infinity", "-0", "-0.00", "0.001", "1,000", " 100", "100 ", "１００", "1_000",
    "+5", ".5", "5.", "1e3", "0x10", 10**400, 10**12, 10**12 + 1, -1, float("nan"), float("inf"), 1e308, 0.1 + 0.2,
    Decimal("1E+1000"), Decimal("-0"), Decimal("sNaN"), "9" * 5000, "0." + "0" * 5000 + "1", "1000000000000.01",
    "267.50", "0", True, None, [], "¥100", "100元",
)
_BAD_DATES: tuple[Any, ...] = (
    "2021-02-29", "2021-13-01", "2021-00-10", "0000-01-01", "1899-12-31", "2101-01-01", "2021-1-1", "2021/01/01",
    "20210101", "2021-01-01T00:00:00", "2021-01-01 ", "２０２１-01-01", dt.date(1, 1, 1), dt.date(9999, 12, 31),
    dt.datetime(2021, 1, 1), "1950-03-01", "2020-02-29", "", None, 20210101, "9999-12-31", "-2021-01-01",
)
_BAD_KINDS = ("salary", "WAGES", "wages ", "", "其他", "death", "illness", "month", "medical_assistance", None, 1)
_FIELDS = ("id", "hukou", "members", "status", "events", "requests", "birth_date", "disability", "grade",
           "category", "certificate", "seriously_ill", "labour_capacity", "employed", "applies_single_person",
           "incomes", "expenses", "kind", "amount", "per", "date", "cause", "member", "dibao_since",
           "monitored_since", "tekun", "lifted_out", "registered_poor", "children_support_sufficient")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to the values inside a record (dict keys and list indices), at most 8 deep
    and 60 items per list, so that earlier mutations (deep nesting, huge lists) stay cheap."""
    if len(prefix) >= 8:
        return
    if isinstance(value, dict):
        for key, item in list(value.items()):
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value[:60]):
            yield (*prefix, position)
            yield from _paths(item, (*prefix, position))


def _parent(record: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        record = record[part]
    return record


def _deep(depth: int, as_list: bool) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


def _mutate_record(rng: random.Random, record: Any) -> tuple[Any, str]:
    """One mutation of a household record (a deep copy is mutated)."""
    paths = list(_paths(record))
    pick = rng.randrange(14)
    if pick == 0:
        return rng.choice((None, [], "HB-0001", 42, [record], {"record": record}, "", 1.5, True)), "not an object"
    if not paths or not isinstance(record, dict):
        return record, "unchanged"
    path = rng.choice(paths)
    parent = _parent(record, path)
    last = path[-1]
    where = ".".join(str(p) for p in path)
    if pick == 1:
        del parent[last]
        return record, f"drop {where}"
    if pick in (2, 3):
        parent[last] = rng.choice(_WRONG_VALUES)
        return record, f"{where} -> {parent[last]!r}"[:200]
    amounts = [p for p in paths if p[-1] == "amount"]
    if pick == 4 and amounts:
        at = rng.choice(amounts)
        _parent(record, at)["amount"] = value = rng.choice(_BAD_AMOUNTS)
        return record, f"{'.'.join(map(str, at))} -> {value!r}"[:200]
    dates = [p for p in paths if p[-1] in ("birth_date", "date", "dibao_since", "monitored_since")]
    if pick == 5 and dates:
        at = rng.choice(dates)
        _parent(record, at)[at[-1]] = value = rng.choice(_BAD_DATES)
        return record, f"{'.'.join(map(str, at))} -> {value!r}"
    kinds = [p for p in paths if p[-1] in ("kind", "cause", "per", "category", "certificate", "labour_capacity")]
    if pick == 6 and kinds:
        at = rng.choice(kinds)
        _parent(record, at)[at[-1]] = value = rng.choice(_BAD_KINDS)
        return record, f"{'.'.join(map(str, at))} -> {value!r}"
    if pick == 7:
        depth = rng.choice((50, 1000, 100_000))
        parent[last] = _deep(depth, rng.random() < 0.5)
        return record, f"{where} nested {depth} deep"
    if pick == 8:
        lists = [p for p in paths if isinstance(_parent(record, p)[p[-1]], list)]
        if lists:
            at = rng.choice(lists)
            items = _parent(record, at)[at[-1]]
            size = rng.choice((51, 201, 1000, 1_000_000))
            _parent(record, at)[at[-1]] = (items or [{}]) * (size // max(1, len(items)) + 1)
            return record, f"{'.'.join(map(str, at))} x{size}" + ("" if items else " (empty objects)")
    if pick == 9 and isinstance(parent, dict):
        key = rng.choice((1, None, ("a",), frozenset(), 2.5, True, "", "\x00", "Members", "member s", "id "))
        with contextlib.suppress(TypeError):
            parent[key] = rng.choice(_WRONG_VALUES)
        return record, f"{where}: extra key {key!r}"
    members = record.get("members")
    if pick == 10 and isinstance(members, list) and members and isinstance(members[0], dict):
        members.append(dict(members[0]))
        return record, "duplicate member id"
    if pick == 11 and isinstance(record.setdefault("requests", []), list):
        record["requests"].append(
            {"kind": "medical_assistance", "member": rng.choice(("nobody", "", "P1", " p1")), "amount": "10"})
        return record, "request for an unknown member"
    if pick == 12 and isinstance(record.setdefault("events", []), list):
        kind = rng.choice(("income_exceeded", "shock", "monitoring_application", "expenditure_resolved"))
        record["events"].append(
            {"kind": kind, "date": "2021-01-01", "cause": rng.choice(("illness", "death", None, "x", 5))})
        return record, f"event {kind} with an odd cause"
    if isinstance(parent, dict):
        parent[str(last) + rng.choice(("_", "s", "2"))] = 1
        return record, f"unknown field near {where}"
    record[rng.choice(_FIELDS) + "_"] = 1
    return record, "unknown field"


def _evaluate_household(household: Household, index: int, state: State, tally: Tally) -> None:
    if not state.regions:
        return
    region = state.regions[index % len(state.regions)]
    try:
        determination = evaluate(household, region.name, region.as_of, overrides=region.overrides,
                                 library=state.library)
        json.dumps(determination.to_json(), ensure_ascii=False)
        tally.stages["evaluated"] += 1
    except DiagnosticError as error:
        _require_located(error.diagnostics, file=False)
        tally.stages["evaluation refused"] += 1


def _text_of(rng: random.Random, record: Any) -> tuple[str, str]:
    """The record as JSON, JSON Lines or YAML text, maybe damaged; (text, format)."""
    fmt = rng.choice(("json", "jsonl", "yaml"))
    try:
        if fmt == "yaml":
            text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
        else:
            text = json.dumps(record, ensure_ascii=rng.random() < 0.5, default=str,
                              indent=None if fmt == "jsonl" else 2)
            if fmt == "jsonl":
                text = "\n".join([text] * rng.randint(1, 3))
    except (TypeError, ValueError, yaml.YAMLError, RecursionError):
        text = json.dumps({"id": "x"})
    roll = rng.random()
    if roll < 0.3:
        text = text[:rng.randint(0, len(text))]
    elif roll < 0.45:
        text = _edit(rng, text)
    elif roll < 0.5:
        text = text.replace('"id"', '"id": "dup", "id"', 1)
    elif roll < 0.55:
        text = "\ufeff" + text
    return text, fmt


def run_household(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    record: Any = copy.deepcopy(state.records[index % len(state.records)])
    done = []
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
        record, what = _mutate_record(rng, record)
        done.append(what)
    described = _note(f"record {index % len(state.records)}: {'; '.join(done) or 'unchanged'}")
    if rng.random() < 0.3 and not any(" nested " in what or " x" in what for what in done):
        text, fmt = _text_of(rng, record)
        described = _note(described + f" as {fmt} text {_show_text(text)[:300]}")
        outcome = "rejected"
        for result in parse_household_text(text, fmt=fmt, source=f"household.{fmt}"):
            if isinstance(result, list):
                _require_located(result, file=True)
                tally.stages["text rejected"] += 1
            else:
                tally.stages["valid"] += 1
                _evaluate_household(result, index, state, tally)
                outcome = "accepted"
        return outcome, described
    try:
        household = validate_household(record)
    except DiagnosticError as error:
        _require_located(error.diagnostics, file=False)
        tally.stages["invalid"] += 1
        return "rejected", described
    tally.stages["valid"] += 1
    _evaluate_household(household, index, state, tally)
    return "accepted", described


# ======================================================================================
# (e): the command line


def _cli_files(folder: Path, state: State) -> dict[str, str]:
    """Household files and policy folders the argument lists point at."""
    folder.mkdir(parents=True, exist_ok=True)
    example = EXAMPLE.read_text(encoding="utf-8")
    contents: dict[str, bytes] = {
        "good.json": example.encode(),
        "good.yaml": yaml.safe_dump(json.loads(example), allow_unicode=True).encode(),
        "truncated.json": example[: len(example) // 2].encode(),
        "empty.json": b"",
        "binary.json": bytes(range(256)),
        "list.json": f"[{example}]".encode(),
        "two.jsonl": (json.dumps(json.loads(example)) + "\n") .encode() * 2,
        "notes.txt": b"hello",
        "bad-amount.json": example.replace('"1200"', '"1e400"').encode(),
        "gbk.json": example.replace("HB-0001", "鹤壁-0001").encode("gb18030"),
    }
    paths = {}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
        paths[name] = str(folder / name)
    empty = folder / "empty-folder"
    empty.mkdir(exist_ok=True)
    broken = folder / "broken" / "policies"
    if not broken.exists():
        shutil.copytree(state.root, broken)
        common = broken / "common" / "policy.yaml"
        common.write_text(common.read_text(encoding="utf-8").replace("type: rate", "type: rat", 1), encoding="utf-8")
    paths.update({"empty-folder": str(empty), "broken": str(broken), "policies": str(state.root),
                  "missing": str(folder / "missing.json"), "folder": str(folder)})
    return paths


def _cli_argv(rng: random.Random, state: State) -> list[str]:
    files = state.cli_files
    regions = [r.name for r in state.regions] or ["hebi"]
    region = rng.choice(state.regions) if state.regions else None
    command = rng.choice(("evaluate", "evaluate", "explain", "check", "evaluat", "", "--help", "-h", "regions"))
    argv = [command] if command else []
    options: list[list[str]] = []
    if command in ("evaluate", "explain", "evaluat"):
        good_date = region.as_of.isoformat() if region else "2021-06-30"
        options += [
            ["--region", rng.choice((*regions, "", "HEBI", "hebi/x", "../etc", "x" * 1000, "common", "nowhere"))],
            ["--date", rng.choice((good_date, good_date, "2021-02-29", "2021-13-01", "yesterday", "", "9999-12-31",
                                   "0001-01-01", "2021-1-1", "1e9", "2030-01-01", "1900-01-01"))],
        ]
        for _ in range(rng.choice((0, 0, 1, 2))):
            name = rng.choice(("dibao.standard_annual", "dibao.low_income_ratio", "taper.other_months_max",
                               "dibao.eligible", "foo", "", "dibao.standard_annual ",
                               *(region.parameters if region else ())))
            value = rng.choice(("5000", "abc", "", "1e400", "(((((", "99999999999999999999999999999", "-5",
                                "5000 yuan/month", "5000 yuan/year", "true", "1.5", "12", "9" * 5000, "0",
                                "2021-01-01", "'county'", "\x00"))
            options.append(["--set", rng.choice((f"{name}={value}", name, "=", f"{name}=={value}"))])
        if region and rng.random() < 0.6:
            for name, value in region.overrides.items():
                options.append(["--set", f"{name}={value}"])
        if rng.random() < 0.2:
            options.append(["--output", rng.choice(("dibao.eligible", "dibao.benefit_monthly", "nope", "",
                                                    "key_recipient", "dibao.standard_annual"))])
        if command == "explain" and rng.random() < 0.4:
            options.append([rng.choice(("--json", "--quotes"))])
        file_name = rng.choice((*files.keys(), "-", "-"))
        options.append([files.get(file_name, file_name)])
    elif command == "check":
        if rng.random() < 0.6:
            options.append([files[rng.choice(("policies", "broken", "empty-folder", "missing", "good.json",
                                              "folder"))]])
        if rng.random() < 0.3:
            options.append(["--json"])
    if rng.random() < 0.3:
        options.append(["--policies", files[rng.choice(("policies", "broken", "empty-folder", "missing",
                                                        "good.json"))]])
    if rng.random() < 0.15:
        options.append([rng.choice(("--frobnicate", "-x", "--region", "--date", "--set", "--", "--json=1"))])
    rng.shuffle(options)
    for option in options:
        argv += option
    return argv


def run_cli(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    argv = _cli_argv(rng, state)
    stdin_data = rng.choice((b"", b"{", EXAMPLE.read_bytes(), b"\xff\xfe", b"[1, 2]"))
    described = f"dibao {' '.join(repr(a) if not a or ' ' in a else a for a in argv)}"[:600]
    described = _note(described + (f" (stdin {stdin_data[:20]!r})" if "-" in argv else ""))
    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    saved_stdin, saved_tree = sys.stdin, os.environ.get(engine.runtime.library.ENVIRONMENT_VARIABLE)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_data), encoding="utf-8")
    os.environ[engine.runtime.library.ENVIRONMENT_VARIABLE] = str(state.root)  # the run's copy, not a tree others edit
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli_main(argv)
    except SystemExit as done:
        code = done.code if done.code is not None else 0
    finally:
        sys.stdin = saved_stdin
        if saved_tree is None:
            os.environ.pop(engine.runtime.library.ENVIRONMENT_VARIABLE, None)
        else:
            os.environ[engine.runtime.library.ENVIRONMENT_VARIABLE] = saved_tree
    output = out.getvalue() + err.getvalue()
    if "Traceback" in output:
        raise Failure("traceback", f"exit {code}: {output[-300:]}")
    if code not in (0, 2):
        raise Failure(f"exit {code}", err.getvalue()[-300:].strip() or "(no message)")
    if code == 2 and not output.strip():
        raise Failure("silent exit 2", "exit 2 without a message")
    tally.stages[f"exit {code}"] += 1
    return ("accepted" if code == 0 else "rejected"), described


def run_tree(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    return run_trees(index, rng, tally, state.work, CORPUS_TREE, state.fixed_households[0], _note, cli_main)


def run_chain(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    return run_chains(index, rng, tally, _state().fixed_households, _note)


def run_grow(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    return run_growth(index, rng, tally, _state().event_records, _note)


def run_marked(index: int, rng: random.Random, tally: Tally) -> tuple[str, str]:
    state = _state()
    return run_markup(index, rng, tally, state.work, CORPUS_TREE, state.example, _note, cli_main)


RUNNERS: dict[str, Callable[[int, random.Random, Tally], tuple[str, str]]] = {
    "text": run_text, "grammar": run_grammar, "policy": run_policy, "household": run_household, "cli": run_cli,
    "trees": run_tree, "chains": run_chain, "growth": run_grow, "markup": run_marked,
}


# ======================================================================================
# Running


def _signature(error: BaseException) -> str:
    """Exception type and the innermost frame in the engine (where to look)."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if f"{os.sep}engine{os.sep}" in f.filename] or frames
    if not inside:
        return type(error).__name__
    frame = inside[-1]
    return f"{type(error).__name__} in {Path(frame.filename).stem}.{frame.name} (line {frame.lineno})"


def run_one(category: str, index: int, seed: int, tally: Tally) -> FailureReport | None:
    """Run one input; count it in ``tally``; a ``FailureReport`` when the engine mishandled it."""
    rng = random.Random(f"{seed}/{category}/{index}")
    runner = RUNNERS[category]
    _state()  # built before the clock starts
    _note(f"replay with: python bench/robustness.py --seed {seed} --replay {category}:{index}")
    described = ""
    failure: tuple[str, str, str] | None = None
    start = time.process_time()
    signal.setitimer(signal.ITIMER_REAL, HARD_LIMIT_SECONDS)
    mismatch = False
    try:
        outcome, described = runner(index, rng, tally)
    except Mismatch as problem:
        failure, mismatch, outcome = (problem.kind, problem.kind, problem.detail), True, "accepted"
    except Failure as problem:
        failure = (problem.kind, problem.kind, problem.detail)
    except _Hang:
        failure = ("hang", f"over {HARD_LIMIT_SECONDS:.0f} s", "stopped by the timer")
    except Exception as error:
        failure = ("exception", _signature(error), f"{type(error).__name__}: {error}"[:300])
    except SystemExit as error:
        failure = ("exception", _signature(error), f"SystemExit({error.code!r}) outside the CLI")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.process_time() - start
    tally.tried += 1
    tally.seconds += seconds
    if seconds > tally.slowest:
        tally.slowest, tally.slowest_index = seconds, index
    if (failure is None or mismatch) and seconds > SLOW_SECONDS:
        failure, mismatch = ("slow", f"over {SLOW_SECONDS:.0f} s", f"took {seconds:.2f} s of processor time"), False
    if failure is not None and not mismatch:
        tally.failures += 1
        return FailureReport(category, index, failure[0], failure[1], failure[2], described or _CURRENT, seconds)
    if outcome == "accepted":
        tally.accepted += 1
    else:
        tally.rejected += 1
    if failure is not None:
        tally.mismatches += 1
        return FailureReport(category, index, failure[0], failure[1], failure[2], described or _CURRENT, seconds)
    return None


def _run_chunk(task: tuple[str, int, int, int]) -> tuple[str, Tally, list[FailureReport]]:
    category, start, stop, seed = task
    tally = Tally()
    failures = []
    for index in range(start, stop):
        report = run_one(category, index, seed, tally)
        if report is not None:
            failures.append(report)
    return category, tally, failures


def plan(count: int) -> dict[str, int]:
    """How many inputs each category gets: a few hundred argument lists, the rest by weight."""
    cli = min(400, max(10, count // 250)) if count >= 50 else max(1, count // 10)
    rest = count - cli
    counts = {name: int(rest * weight) for name, weight in WEIGHTS.items()}
    counts["grammar"] += rest - sum(counts.values())
    counts["cli"] = cli
    return counts


def _snapshot(base: Path) -> Path:
    """A copy of the policies taken once, so that edits made during a run do not change it."""
    snapshot = base / "snapshot" / "policies"
    shutil.copytree(ROOT / "policies", snapshot, ignore=shutil.ignore_patterns("__pycache__"))
    return snapshot


def run(count: int = 100_000, seed: int = 0, workers: int = 1, progress: bool = False) -> Report:
    """Run ``count`` inputs; ``workers`` > 1 runs them in that many processes."""
    counts = plan(count)
    base = Path(tempfile.mkdtemp(prefix="dibao-robustness-"))
    tallies = {name: Tally() for name in CATEGORIES}
    failures: list[FailureReport] = []
    started = time.perf_counter()
    try:
        snapshot = _snapshot(base)
        tasks = []
        for name in CATEGORIES:
            size = 25 if name == "cli" else 250
            tasks += [(name, start, min(start + size, counts[name]), seed) for start in range(0, counts[name], size)]
        random.Random(seed).shuffle(tasks)
        done = 0
        if workers <= 1:
            saved = signal.signal(signal.SIGALRM, _on_alarm)
            global _STATE, _SNAPSHOT, _WORK
            previous = (_STATE, _SNAPSHOT, _WORK)
            try:
                _STATE, _SNAPSHOT, _WORK = None, snapshot, Path(tempfile.mkdtemp(prefix="worker-", dir=base))
                results: Iterator[tuple[str, Tally, list[FailureReport]]] = map(_run_chunk, tasks)
                for name, tally, found in results:
                    tallies[name].add(tally)
                    failures += found
                    done += tally.tried
                    _progress(progress, done, count, started)
            finally:
                _STATE, _SNAPSHOT, _WORK = previous
                signal.signal(signal.SIGALRM, saved)
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_init_worker, initargs=(str(snapshot), str(base))) as pool:
                for name, tally, found in pool.imap_unordered(_run_chunk, tasks):
                    tallies[name].add(tally)
                    failures += found
                    done += tally.tried
                    _progress(progress, done, count, started)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    failures.sort(key=lambda f: (CATEGORIES.index(f.category), f.index))
    return Report(count, seed, workers, time.perf_counter() - started, tallies, failures)


def _progress(show: bool, done: int, count: int, started: float) -> None:
    if show:
        elapsed = time.perf_counter() - started
        print(f"\r{done:>7}/{count} inputs, {elapsed:6.0f} s", end="", file=sys.stderr, flush=True)


# ======================================================================================
# Reporting


def table(report: Report) -> str:
    head = ("| category | tried | rejected cleanly | accepted | failures | values of the wrong type "
            "| inputs/s (processor time, one process) |")
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    rows = [head, rule]
    for name in CATEGORIES:
        tally = report.tallies[name]
        rate = tally.tried / tally.seconds if tally.seconds else 0.0
        rows.append(f"| {TITLES[name]} | {tally.tried:,} | {tally.rejected:,} | {tally.accepted:,} | "
                    f"{tally.failures:,} | {tally.mismatches:,} | {rate:,.0f} |")
    total = report.total
    rows.append(f"| **total** | **{total.tried:,}** | **{total.rejected:,}** | **{total.accepted:,}** | "
                f"**{total.failures:,}** | **{total.mismatches:,}** | **{total.tried / report.wall:,.0f}** "
                f"(wall clock, {report.workers} process{'es' if report.workers != 1 else ''}) |")
    return "\n".join(rows)


def stages(report: Report) -> str:
    lines = []
    for name in CATEGORIES:
        tally = report.tallies[name]
        parts = ", ".join(f"{stage} {number:,}" for stage, number in sorted(tally.stages.items()))
        lines.append(f"- {TITLES[name]}: {parts or '—'}; slowest input {tally.slowest:.3f} s of processor time "
                     f"(index {tally.slowest_index})")
    return "\n".join(lines)


def failure_summary(report: Report, examples: int = 1, wrong_types: bool = False) -> str:
    chosen = [f for f in report.failures if f.kind.startswith("wrong type") == wrong_types]
    if not chosen:
        return "None."
    groups: dict[tuple[str, str], list[FailureReport]] = {}
    for failure in chosen:
        groups.setdefault((failure.category, failure.signature), []).append(failure)
    lines = []
    for (category, signature), found in sorted(groups.items(), key=lambda item: -len(item[1])):
        smallest = sorted(found, key=lambda f: len(f.input))[:examples]
        lines.append(f"- **{category}**, {len(found):,} input{'s' if len(found) != 1 else ''}: `{signature}` — "
                     f"{smallest[0].message}")
        for failure in smallest:
            lines.append(f"  - smallest input (index {failure.index}): `{failure.input[:400]}`")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def markdown(report: Report, command: str) -> str:
    total = report.total
    today = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"""# Robustness

Every kind of input the engine takes — expression text, policy files, household records,
command-line arguments — fuzzed, and each input counted as rejected cleanly (our
`DiagnosticError`, every diagnostic with a code, a message and, for a file, its place;
exit status 2 on the command line), accepted, or a failure (any other exception, a
diagnostic without its place, an exit status other than 0 or 2, a traceback, an input
taking over a second of processor time, or over thirty seconds in all). Accepted
expressions are also checked for values whose type is not
the type the checker gave them, counted apart. The generator and the
categories are described in `bench/robustness.py`; the household and expression
generators are `engine/household/strategies.py`. The hand-made corpus of bad inputs is
`tests/corpus/` (see below).

## Last run

- command: `{command}`
- machine: {machine()}
- date: {today}
- seed {report.seed}, {report.count:,} inputs, {report.workers} worker process{'es' if report.workers != 1 else ''}, \
{report.wall:,.0f} s wall clock ({total.tried / report.wall:,.0f} inputs/s)

{table(report)}

Failures expected: 0. Inputs per second in a row are that category's inputs over the
processor time spent on them in one process; the total is over the wall clock. The
categories (f)–(i) exercise the engine's limits: links and special files in a policy
tree, chains of rules hundreds deep, values that grow past 1000 digits and aggregations
that would visit more than 250,000 items (each must stop, located and naming its rule,
exactly when the work exceeds the budget), and rich markup in ids, labels and names
(printed as written).

What happened to the inputs, stage by stage:

{stages(report)}

## Failures by cause

{failure_summary(report)}

## Values of the wrong type

An expression that checks is evaluated, and its value must have the type the checker
gave it (a bool is a bool, a value of an enumeration is one of its values…). Inputs
whose value does not are counted above and grouped here; they are not crashes.

{failure_summary(report, wrong_types=True)}

Rerun one input with its traceback: `python bench/robustness.py --seed {report.seed} --replay CATEGORY:INDEX`.
Each cause found has a regression test holding its smallest input in
`tests/robustness/test_found_by_fuzzing.py` (marked `xfail(strict=True)` until fixed).

## The hand-made corpus

`tests/corpus/` holds {corpus_size()} — policy files (dropped into a copy of a small
valid tree), household files (JSON, JSON Lines, YAML) and expression texts — each listed
in `tests/corpus/expected.yaml` with the diagnostic it must give (code, message words,
line). `tests/corpus/test_corpus.py` runs each through the library and the command line
and checks the message, the line, and that no traceback appears. `tests/robustness/`
runs a small fuzzing run (fixed seed) and the generator tests with the test suite.
"""


def corpus_size() -> str:
    """How many hand-made inputs the corpus manifest lists, by kind."""
    try:
        manifest = yaml.safe_load((ROOT / "tests" / "corpus" / "expected.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return "hand-made bad inputs"
    sizes = {section: len({e.get("file") or e.get("make") for e in manifest.get(section) or ()})
             for section in ("policies", "households", "expressions")}
    return (f"{sum(sizes.values())} hand-made bad inputs ({sizes['policies']} policy files, "
            f"{sizes['households']} household files, {sizes['expressions']} expressions)")


def replay(spec: str, seed: int) -> int:
    """Run one input in this process and show it, its outcome and any traceback."""
    category, _, number = spec.partition(":")
    if category not in RUNNERS or not number.isdigit():
        print(f"--replay wants CATEGORY:INDEX with CATEGORY one of {', '.join(CATEGORIES)}", file=sys.stderr)
        return 2
    global _SNAPSHOT, _WORK
    base = Path(tempfile.mkdtemp(prefix="dibao-robustness-"))
    try:
        _SNAPSHOT, _WORK = _snapshot(base), Path(tempfile.mkdtemp(prefix="worker-", dir=base))
        index = int(number)
        rng = random.Random(f"{seed}/{category}/{index}")
        tally = Tally()
        try:
            outcome, described = RUNNERS[category](index, rng, tally)
        except Exception:
            print(_CURRENT)
            traceback.print_exc()
            return 1
        print(described)
        print(f"{outcome}; stages: {dict(tally.stages)}")
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs to run (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every generated input (default 0)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave ROBUSTNESS.md")
    parser.add_argument("--replay", metavar="CATEGORY:INDEX", help="rerun one input and show its traceback")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.seed)
    report = run(args.count, args.seed, args.workers, progress=sys.stderr.isatty())
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(table(report))
    print()
    print(stages(report))
    print()
    print("Failures:")
    print(failure_summary(report))
    print()
    print("Values of the wrong type:")
    print(failure_summary(report, wrong_types=True))
    if not args.no_write:
        command = "python bench/robustness.py" + "".join(
            f" {flag} {value}" for flag, value, default in (("--count", args.count, 100_000),
                                                             ("--seed", args.seed, 0)) if value != default)
        (ROOT / "ROBUSTNESS.md").write_text(markdown(report, command), encoding="utf-8")
        print("\nwrote ROBUSTNESS.md")
    return 1 if report.total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
