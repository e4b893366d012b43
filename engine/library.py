"""The policy library: one loaded, checked policy tree and what evaluation needs from it.

``PolicyLibrary.open(folder)`` loads and checks the tree once; ``resolve`` gives the
policy in force for a region on a date (with ``--set`` overrides), and ``program``
compiles it for the interpreter, cached by digest. This is the single place where the
stages load → check → resolve → compile are chained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine import types as t
from engine.checker import check_expression
from engine.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean
from engine.interpreter import Program, RuleCode
from engine.parser import TextLocator, parse_expression
from engine.policy_check import CheckedRegion, TreeCheck, check_tree, evaluate_constant
from engine.policy_files import PolicyTree, load_tree
from engine.resolve import ResolvedPolicy, resolve

DEFAULT_POLICIES = Path(__file__).resolve().parent.parent / "policies"


@dataclass
class PolicyLibrary:
    """A checked policy tree; raises nothing at open, ``require_clean`` stops on errors."""

    root: Path
    tree: PolicyTree
    check: TreeCheck
    _problems: dict[str, list[Diagnostic]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, root: Path | str | None = None) -> PolicyLibrary:
        folder = Path(root) if root is not None else DEFAULT_POLICIES
        return _open_cached(folder.resolve(), _fingerprint(folder))

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.check.diagnostics

    @property
    def regions(self) -> list[str]:
        return self.tree.regions

    def require_clean(self) -> None:
        if not self.check.ok:
            raise DiagnosticError(self.check.diagnostics)

    def problems_of(self, region: str) -> list[Diagnostic]:
        """What stops a region: load errors in its layers' folders and what checking its chain found.

        Found once per region: a loaded library does not change, and every evaluation asks."""
        found = self._problems.get(region)
        if found is None:
            found = self._problems[region] = self._find_problems(region)
        return found

    def _find_problems(self, region: str) -> list[Diagnostic]:
        folders = {(self.root / key).resolve() for key in {region, "common", region.split("/")[0]}}
        loading = [d for d in self.tree.diagnostics if d.severity == "error" and (
            d.span is None or Path(d.span.file).resolve().parent in folders)]
        return loading + [d for d in self.check.region_problems.get(region, []) if d.severity == "error"]

    def region(self, name: str) -> CheckedRegion:
        problems = self.problems_of(name)
        if problems:
            raise DiagnosticError(problems)
        checked = self.check.regions.get(name)
        if checked is None:
            hint = did_you_mean(name, self.regions)
            raise DiagnosticError([Diagnostic("E-REGION", f"unknown region {name!r}; the regions are: "
                                              f"{', '.join(self.regions)}", suggestion=hint)])
        return checked

    def resolve(self, region: str, as_of: date, overrides: Mapping[str, str] | None = None) -> ResolvedPolicy:
        checked = self.region(region)
        chain = checked.chain
        if not chain.span_from <= as_of <= chain.span_to:
            raise DiagnosticError([Diagnostic("E-DATE", f"{region} answers for {chain.span_from} – {chain.span_to}; "
                                              f"{as_of} is outside its span", chain.top.span)])
        values = parse_overrides(checked, overrides or {})
        return resolve(chain, as_of, checked.constants, values)

    def program(self, resolved: ResolvedPolicy) -> Program:
        checked = self.region(resolved.region)
        return _program(checked, resolved)


def parse_overrides(checked: CheckedRegion, overrides: Mapping[str, str]) -> dict[str, Any]:
    """``--set NAME=VALUE`` values: constants in the rules language, checked against the parameter's type."""
    values: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    parameters = checked.chain.parameters
    for name, text in overrides.items():
        where = Span(f"--set {name}", 1, 1)
        parameter = parameters.get(name)
        if parameter is None:
            hint = did_you_mean(name, parameters)
            problems.append(Diagnostic("E-SET", f"--set {name}: no parameter of that name in {checked.chain.region}",
                                       where, suggestion=hint))
            continue
        try:
            node = parse_expression(_with_unit(text, parameter.type), TextLocator(f"--set {name}", text))
        except DiagnosticError as error:
            problems.extend(error.diagnostics)
            continue
        found, result = check_expression(node, {}, parameter.type, name=f"--set {name}")
        if result.diagnostics:
            problems.extend(result.diagnostics)
            continue
        values[name] = evaluate_constant(node, parameter.type if found != t.ANY else found, result.node_types)
    if problems:
        raise DiagnosticError(problems)
    return values


def _with_unit(text: str, type_: t.Type) -> str:
    """``--set dibao.standard_annual=4000`` means 4000 yuan/year: a bare number takes the money's period."""
    stripped = text.strip()
    if (isinstance(type_, t.Enum) or type_ == t.TEXT) and stripped[:1] not in ('"', "'"):
        return '"' + stripped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(type_, t.Money) and stripped.replace(".", "", 1).isdigit():
        return f"{stripped} yuan/{type_.period}" if type_.period else f"{stripped} yuan"
    return stripped


def _program(checked: CheckedRegion, resolved: ResolvedPolicy) -> Program:
    key = (id(checked), resolved.digest, resolved.as_of)
    cached = _PROGRAMS.get(key)
    if cached is None:
        rules = {name: RuleCode(name, checked.chain.rules[name].type, variant.body, checked.chain.rules[name].scope)
                 for name, variant in resolved.variants.items()}
        cached = Program(rules, resolved.values, checked.result.node_types)
        if len(_PROGRAMS) > 256:
            _PROGRAMS.clear()
        _PROGRAMS[key] = cached
    return cached


_PROGRAMS: dict[tuple[int, str, date], Program] = {}


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the tree's YAML files: a changed file reloads."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*.yaml")))


@lru_cache(maxsize=8)
def _open_cached(folder: Path, _fingerprint: tuple[tuple[str, int, int], ...]) -> PolicyLibrary:
    tree = load_tree(folder)
    return PolicyLibrary(folder, tree, check_tree(tree))
