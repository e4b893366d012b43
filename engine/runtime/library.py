"""The policy library: one loaded, checked policy tree and what evaluation needs from it.

``PolicyLibrary.open(folder)`` loads and checks the tree once; ``resolve`` gives the
policy in force for a region on a date (local values from ``--params`` files, then
``--set`` overrides), and ``program`` compiles it for the interpreter, cached by digest.
This is the single place where the stages load → check → resolve → compile are chained,
and where a rule set and its program are assembled (``program``, ``program_with``).

Which tree: ``choose_tree`` looks, in order, at the folder given (``--policies DIR``),
the ``DIBAO_POLICIES`` environment variable, the nearest ``policies/`` folder holding a
policy tree in the working folder or its parents (as git finds its repository), and
last the tree bundled with the package. The library remembers how it was found, and
``tree_info`` says so in every output.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean
from engine.base.resources import bundled_policies
from engine.household.vocabulary import Vocabulary, bundled_vocabulary
from engine.language import types as t
from engine.language.checker import check_expression
from engine.language.constants import ConstantError, constant_value
from engine.language.parser import TextLocator, parse_expression
from engine.policy.policy_files import PolicyTree, display_name, layer_folders, load_tree, tree_files
from engine.policy.resolve import ResolvedPolicy, RuleCode, resolve
from engine.runtime.interpreter import Program
from engine.runtime.policy_check import CheckedRegion, TreeCheck, check_tree

if TYPE_CHECKING:
    from engine.runtime.local_params import LocalParams

ENVIRONMENT_VARIABLE = "DIBAO_POLICIES"
GIVEN, FROM_ENVIRONMENT, FOUND, BUNDLED = "given", ENVIRONMENT_VARIABLE, "found", "bundled"


@dataclass(frozen=True)
class TreeChoice:
    """A policy folder and how it was chosen: given, from ``DIBAO_POLICIES``, found near here, or bundled."""

    path: Path
    found_by: str


def choose_tree(given: Path | str | None = None, *, start: Path | None = None,
                environ: Mapping[str, str] | None = None) -> TreeChoice:
    """The policy tree to use: the folder given, ``DIBAO_POLICIES``, the nearest ``policies/``, the bundled one."""
    if given is not None:
        return TreeChoice(Path(given), GIVEN)
    variable = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "").strip()
    if variable:
        return TreeChoice(Path(variable), FROM_ENVIRONMENT)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "policies"
        if holds_policy_tree(candidate):
            return TreeChoice(candidate, FOUND)
    return TreeChoice(bundled_policies(), BUNDLED)


def holds_policy_tree(folder: Path) -> bool:
    """A folder with at least one layer: a sub-folder whose YAML files hold a ``policy:`` block."""
    try:
        if not folder.is_dir():
            return False
        return any(_POLICY_BLOCK.search(path.read_text(encoding="utf-8", errors="replace"))
                   for _key, layer in layer_folders(folder) for path in sorted(layer.glob("*.yaml")))
    except OSError:
        return False


_POLICY_BLOCK = re.compile(r"^policy:", re.MULTILINE)


@dataclass
class PolicyLibrary:
    """A checked policy tree; raises nothing at open, ``require_clean`` stops on errors."""

    root: Path
    tree: PolicyTree
    check: TreeCheck
    digest: str = ""
    found_by: str = GIVEN
    local: LocalParams | None = field(default=None, repr=False)
    _problems: dict[str, list[Diagnostic]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, root: Path | str | None = None, params: Sequence[Path | str] = ()) -> PolicyLibrary:
        """The tree at ``root`` (or the one ``choose_tree`` finds), with local values from ``params`` files."""
        choice = choose_tree(root)
        folder = choice.path
        library = replace(_open_cached(folder.resolve(), _fingerprint(folder)), found_by=choice.found_by)
        return library.with_params(params) if params else library

    def with_params(self, params: Sequence[Path | str]) -> PolicyLibrary:
        """This library with the local parameter values of ``params`` files (checked; located errors raise)."""
        from engine.runtime.local_params import load_local_params

        return replace(self, local=load_local_params([Path(p) for p in params], self))

    def for_run(self, params: Sequence[Path | str] = (), region: str | None = None) -> PolicyLibrary:
        """This library as one run uses it: its folder present, with the run's local values, which must be
        for ``region`` when the run is for one region."""
        self.require_folder()
        library = self.with_params(params) if params else self
        if region is not None and library.local is not None:
            library.local.require_for(region)
        return library

    def tree_info(self) -> dict[str, Any]:
        """Which policy tree answered: its folder, how it was chosen, its digest, and the local value files."""
        info: dict[str, Any] = {"path": str(self.root), "found_by": self.found_by, "digest": self.digest}
        if self.local is not None:
            info["params"] = [f.path for f in self.local.files]
        return info

    def describe(self) -> str:
        """One line for people: ``policy tree policies (found from the working folder; sha256:…)``."""
        how = {GIVEN: "given", FROM_ENVIRONMENT: f"from ${ENVIRONMENT_VARIABLE}", FOUND: "found from the working "
               "folder", BUNDLED: "bundled with dibao"}.get(self.found_by, self.found_by)
        local = f"; local values from {', '.join(f.path for f in self.local.files)}" if self.local else ""
        return f"policy tree {display_name(self.root)} ({how}; {self.digest[:19]}…){local}"

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.check.diagnostics

    @property
    def regions(self) -> list[str]:
        return self.tree.regions

    @property
    def vocabulary(self) -> Vocabulary:
        """The codes a household read without a region may use: the common layer's and every layer's additions."""
        return self.tree.vocabulary or bundled_vocabulary()

    def vocabulary_of(self, region: str | None) -> Vocabulary:
        """The codes a household evaluated in ``region`` may use and its rules may name: the common layer's and
        the additions of its chain's layers (the tree's when the region is None or unknown: its errors come later)."""
        checked = self.check.regions.get(region) if region is not None else None
        return checked.vocabulary if checked is not None and checked.vocabulary is not None else self.vocabulary

    def require_folder(self) -> None:
        """Stop when the chosen tree is not there at all (a mistyped --policies or $DIBAO_POLICIES)."""
        if not self.root.is_dir():
            raise DiagnosticError([Diagnostic("E-POLICY", f"no policy folder at {self.root} ({self.found_by})")])

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
        if checked is None and not self.regions and self.tree.diagnostics:  # no tree at all: say why
            raise DiagnosticError(self.tree.diagnostics)
        if checked is None:
            hint = did_you_mean(name, self.regions)
            raise DiagnosticError([Diagnostic("E-REGION", f"unknown region {name!r}; the regions are: "
                                              f"{', '.join(self.regions)}", suggestion=hint)])
        return checked

    def resolve(self, region: str, as_of: date, overrides: Mapping[str, str] | None = None) -> ResolvedPolicy:
        checked = self.region(region)
        chain = checked.chain
        if as_of < chain.span_from:
            raise DiagnosticError([Diagnostic("E-SPAN", f"{region} answers from {chain.span_from}, the first date its "
                                              f"own rules cover (their date of effect); {as_of} is before it",
                                              chain.top.span)])
        if as_of > chain.span_to:
            raise DiagnosticError([Diagnostic("E-SPAN", f"{region} answers for {chain.span_from} – {chain.span_to}; "
                                              f"{as_of} is outside its span", chain.top.span)])
        values = parse_overrides(checked, overrides or {})
        local = self.local.in_force(region, as_of) if self.local is not None else {}
        return resolve(chain, as_of, values, local)

    def program(self, resolved: ResolvedPolicy) -> Program:
        checked = self.region(resolved.region)
        return _program(checked, resolved)

    def program_with(self, resolved: ResolvedPolicy, rules: Mapping[str, RuleCode],
                     values: Mapping[str, Any] | None = None, *, policy_rules: bool = True) -> Program:
        """A program of more rules (checked expressions, such as an invariant) over the resolved values and
        ``values``; with the policy's own rules unless ``policy_rules`` is false (then only these rules)."""
        own = self.program(resolved).rules if policy_rules else {}
        return Program({**own, **rules}, {**resolved.values, **(values or {})})


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
        typed, result = check_expression(node, {}, parameter.type, name=f"--set {name}")
        if result.diagnostics:
            problems.extend(result.diagnostics)
            continue
        try:
            values[name] = constant_value(typed)
        except ConstantError as error:
            problems.extend(error.diagnostics)
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
        rules = {name: RuleCode(name, checked.chain.rules[name].type, variant.body, checked.chain.rules[name].scope,
                                checked.chain.rules[name].available)
                 for name, variant in resolved.variants.items()}
        cached = Program(rules, resolved.values)
        if len(_PROGRAMS) > 256:
            _PROGRAMS.clear()
        _PROGRAMS[key] = cached
    return cached


_PROGRAMS: dict[tuple[int, str, date], Program] = {}


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the tree's YAML files: a changed file reloads."""
    found = []
    for path in tree_files(folder):
        try:
            status = path.stat()
        except OSError:
            continue
        found.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(sorted(found))


def tree_digest(folder: Path) -> str:
    """SHA-256 over the tree's YAML files (relative path and content, in path order): the tree's identity."""
    total = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(tree_files(folder), key=lambda p: p.relative_to(folder).as_posix()):
            total.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            total.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + total.hexdigest()


@lru_cache(maxsize=8)
def _open_cached(folder: Path, _fingerprint: tuple[tuple[str, int, int], ...]) -> PolicyLibrary:
    tree = load_tree(folder)
    return PolicyLibrary(folder, tree, check_tree(tree), tree_digest(folder))
