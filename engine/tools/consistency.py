"""Consistency: invariants written as data, checked on generated households in every region.

``policies/invariants.yaml`` holds properties in the rules language over a region's
outputs and the household. An invariant applies to a region that defines every output
it names; it is checked on households drawn by ``engine.household.strategies`` on dates across the
region's span. A violation is shrunk by hypothesis to a minimal household and reported
with the region, the date and the values involved. A ``metamorphic`` invariant compares
two evaluations: ``before.X`` on the household as drawn, ``after.X`` after a change
(``raise_income``: one income of one member raised).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.yaml_source import load_yaml
from engine.household.record import Household, validate_household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import add_months
from engine.language.checker import check_expression
from engine.language.definitions import Definition
from engine.language.fields import HOUSEHOLD_NAMES, RECORD_FIELDS
from engine.language.parser import TextLocator, parse_expression
from engine.language.program_checks import closure
from engine.policy.resolve import ResolvedPolicy, RuleCode, Unavailable, value_in_force
from engine.runtime.interpreter import Program
from engine.runtime.library import PolicyLibrary

CHANGES = ("raise_income",)


@dataclass(frozen=True)
class Invariant:
    name: str
    says: str
    expr: s.Node
    span: Span
    kind: str = "state"  # or "metamorphic"
    change: str | None = None

    def names(self) -> set[str]:
        """Rule and output names the expression reads (``before.``/``after.`` removed)."""
        found = set()
        for node in s.walk(self.expr):
            if isinstance(node, s.Name):
                dotted = node.dotted
                for prefix in ("before.", "after."):
                    if self.kind == "metamorphic" and dotted.startswith(prefix):
                        dotted = dotted[len(prefix):]
                found.add(dotted)
        return found


def load_invariants(path: Path) -> list[Invariant]:
    """Read the invariants file; problems raise ``DiagnosticError`` located in it."""
    loaded = load_yaml(path)
    data = loaded.data
    if not isinstance(data, dict) or not isinstance(data.get("invariants"), dict):
        raise DiagnosticError([Diagnostic("E-INVARIANT", "an invariants file has an `invariants:` mapping",
                                          loaded.span(()))])
    found, problems = [], []
    for name, raw in data["invariants"].items():
        where = loaded.key_span(("invariants", name))
        if not isinstance(raw, dict) or "expr" not in raw or "says" not in raw or \
                set(raw) - {"says", "expr", "kind", "change", "note"}:
            problems.append(Diagnostic("E-INVARIANT", f"invariant {name}: needs `says` and `expr` (and may have "
                                       "`kind: metamorphic` with `change`)", where))
            continue
        kind = raw.get("kind", "state")
        if kind not in ("state", "metamorphic") or (kind == "metamorphic") != (raw.get("change") in CHANGES):
            problems.append(Diagnostic("E-INVARIANT", f"invariant {name}: a metamorphic invariant names a change "
                                       f"({', '.join(CHANGES)}); a state invariant none", where))
            continue
        text = str(raw["expr"])
        locator = loaded.scalar_source(("invariants", name, "expr")) or TextLocator(where.file, text, where.line)
        try:
            node = parse_expression(text, locator)
        except DiagnosticError as error:
            problems.extend(error.diagnostics)
            continue
        found.append(Invariant(name, str(raw["says"]), node, where, kind, raw.get("change")))
    if problems:
        raise DiagnosticError(problems)
    return found


# --- one region ----------------------------------------------------------------------------------


@dataclass
class Violation:
    invariant: str
    region: str
    as_of: date
    household: dict[str, Any]
    values: dict[str, Any]


@dataclass
class RegionReport:
    region: str
    checked: dict[str, int] = field(default_factory=dict)  # invariant → households checked
    skipped: dict[str, str] = field(default_factory=dict)  # invariant → why it does not apply
    violations: list[Violation] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


class RegionInvariants:
    """The invariants that apply to one region, checked and ready to evaluate on a date."""

    def __init__(self, library: PolicyLibrary, region: str, invariants: list[Invariant]) -> None:
        self.library = library
        self.region = region
        self.checked = library.region(region)
        chain = self.checked.chain
        self.known = set(chain.rules) | set(chain.parameters) | set(HOUSEHOLD_NAMES)
        self.applicable: list[Invariant] = []
        self.skipped: dict[str, str] = {}
        self.problems: list[Diagnostic] = []
        fields = {name for table in RECORD_FIELDS.values() for name in table}
        for invariant in invariants:
            heads = _BOUND_HEADS(invariant)
            missing = sorted(
                n for n in invariant.names()
                if (n.split(".")[0] in heads and "." in n and n.split(".", 1)[1] not in fields
                    and n.split(".", 1)[1] not in self.known)
                or (n.split(".")[0] not in heads and n not in self.known))
            if missing:
                self.skipped[invariant.name] = f"{region} defines no {', '.join(missing)}"
                continue
            self.applicable.append(invariant)
        self.checked_expressions: dict[str, s.Node] = {}  # invariant name → its checked (typed) expression
        self._programs: dict[tuple[str, date], Program] = {}
        self._resolved: dict[date, tuple[ResolvedPolicy, Program]] = {}
        for invariant in self.applicable:
            checked, result = check_expression(invariant.expr, self._definitions(invariant), t.BOOL,
                                         name=f"invariant {invariant.name}")
            self.problems.extend(result.diagnostics)
            self.checked_expressions[invariant.name] = checked

    def _definitions(self, invariant: Invariant) -> dict[str, Definition]:
        from engine.runtime.policy_check import definitions_of

        definitions = definitions_of(self.checked.chain)
        if invariant.kind == "metamorphic":
            for name in invariant.names():
                if name in definitions:
                    for prefix in ("before.", "after."):
                        base = definitions[name]
                        definitions[prefix + name] = Definition(prefix + name, "parameter", base.type, base.span)
        return definitions

    def dates(self) -> list[date]:
        """The first day of every month of the span (the span's first day for its first month)."""
        chain = self.checked.chain
        day, found = chain.span_from, []
        while day <= chain.span_to:
            found.append(day)
            day = add_months(day.replace(day=1), 1)
        return found

    def holds(self, invariant: Invariant, household: Household, raw: dict[str, Any], as_of: date,
              change: tuple[int, Decimal] = (0, Decimal(500))) -> tuple[bool, dict[str, Any]] | None:
        """Whether the invariant holds (and the values it read); None when the household cannot be evaluated."""
        resolved, program = self.policy_on(as_of)
        names = sorted(invariant.names() & set(program.rules))
        try:
            if invariant.kind == "state":
                return self._state(invariant, resolved, program, household, as_of, names)
            changed = validate_household(raise_income(raw, *change))
            before, _ = program.evaluate(household, as_of, names)
            after, _ = program.evaluate(changed, as_of, names)
        except DiagnosticError:
            return None
        values = {**{f"before.{k}": v for k, v in before.items()}, **{f"after.{k}": v for k, v in after.items()}}
        check = self.library.program_with(resolved, {"invariant": self.invariant_code(invariant)}, values,
                                          policy_rules=False)
        return bool(check.evaluate(household, as_of, ["invariant"])[0]["invariant"]), values

    def invariant_code(self, invariant: Invariant) -> RuleCode:
        return RuleCode("invariant", t.BOOL, self.checked_expressions[invariant.name])

    def policy_on(self, as_of: date) -> tuple[ResolvedPolicy, Program]:
        """The resolved policy and its program on a date (each resolved once)."""
        if as_of not in self._resolved:
            resolved = self.library.resolve(self.region, as_of, stand_ins_on(self.checked.chain, as_of))
            self._resolved[as_of] = (resolved, self.library.program(resolved))
        return self._resolved[as_of]

    def _state(self, invariant: Invariant, resolved: ResolvedPolicy, program: Program, household: Household,
               as_of: date, names: list[str]) -> tuple[bool, dict[str, Any]]:
        key = (invariant.name, as_of)
        combined = self._programs.get(key)
        if combined is None:
            combined = self._programs[key] = self.library.program_with(
                resolved, {"invariant": self.invariant_code(invariant)})
        result, _ = combined.evaluate(household, as_of, ["invariant", *[n for n in names
                                                                       if program.rules[n].scope == "household"]])
        return bool(result.pop("invariant")), result


def _BOUND_HEADS(invariant: Invariant) -> set[str]:
    """Names bound inside the invariant by aggregations (their fields are not region names)."""
    return {node.var for node in s.walk(invariant.expr) if isinstance(node, s.Aggregate)}


def stand_ins_on(chain: Any, as_of: date) -> dict[str, str]:
    """Stand-ins only for what is left to be supplied on this date; a value the policy gives is kept."""
    kept = {}
    for name, value in stand_ins(chain).items():
        in_force = value_in_force(chain.parameters[name], as_of)
        if in_force is None or in_force.must_supply:
            kept[name] = value
    return kept


def stand_ins(chain: Any) -> dict[str, str]:
    """A stand-in value for every parameter the region leaves to be supplied on some date."""
    return {name: plausible(p.type) for name, p in chain.parameters.items() if any(v.must_supply for v in p.values)}


def plausible(type_: t.Type) -> str:
    """A stand-in for a value a region leaves to be supplied, so every output can be exercised."""
    if isinstance(type_, t.Money):
        return "6000" if type_.period == "year" else ("200" if type_.period == "month" else "1000")
    if isinstance(type_, t.Enum):
        return f'"{sorted(type_.values)[0]}"'
    stand_ins: dict[t.Type, str] = {t.INT: "6", t.RATE: "0.5", t.NUMBER: "1", t.BOOL: "false", t.DATE: "2021-01-01"}
    return stand_ins.get(type_, '""')


def raise_income(record: dict[str, Any], member: int = 0, amount: Decimal = Decimal(500)) -> dict[str, Any]:
    """The household with one member's first income raised by ``amount`` (or a new monthly wage of it)."""
    changed = copy.deepcopy(record)
    person = changed["members"][member % len(changed["members"])]
    incomes = person.setdefault("incomes", [])
    if incomes:
        incomes[0]["amount"] = str(Decimal(str(incomes[0]["amount"])) + amount)
    else:
        incomes.append({"kind": "wages", "amount": str(amount), "per": "month"})
    return changed


# --- search ------------------------------------------------------------------------------------------


def check_region(library: PolicyLibrary, region: str, invariants: list[Invariant], examples: int = 100,
                 population: list[dict[str, Any]] | None = None) -> RegionReport:
    """Every applicable invariant on ``examples`` generated households across the region's span, and on a
    fixed population (when given) on dates spread over the span."""
    prepared = RegionInvariants(library, region, invariants)
    report = RegionReport(region, skipped=dict(prepared.skipped), problems=list(prepared.problems))
    if prepared.problems:
        return report
    dates = prepared.dates()
    for invariant in prepared.applicable:
        checked, failure = _search(prepared, invariant, dates, examples)
        if not failure and population:
            more, failure = _sweep(prepared, invariant, dates, population)
            checked += more
        report.checked[invariant.name] = checked
        report.violations.extend(failure[-1:])
    return report


def _sweep(prepared: RegionInvariants, invariant: Invariant, dates: list[date],
           population: list[dict[str, Any]]) -> tuple[int, list[Violation]]:
    """The population, each household on one of a few dates; metamorphic changes on each member."""
    checked = 0
    spread = [dates[i * (len(dates) - 1) // 3] for i in range(4)] if len(dates) > 1 else dates
    for number, raw in enumerate(population):
        as_of = spread[number % len(spread)]
        household = validate_household(raw)
        changes = [(m, amount) for m in range(len(raw["members"])) for amount in (Decimal(50), Decimal(500))] \
            if invariant.kind == "metamorphic" else [(0, Decimal(0))]
        for change in changes:
            outcome = prepared.holds(invariant, household, raw, as_of, change)
            if outcome is None:
                continue
            checked += 1
            holds, values = outcome
            if not holds:
                if invariant.kind == "metamorphic":
                    values = {**values, "change": f"members[{change[0]}] income raised by {change[1]}"}
                return checked, [Violation(invariant.name, prepared.region, as_of, raw, values)]
    return checked, []


def _search(prepared: RegionInvariants, invariant: Invariant, dates: list[date],
            examples: int) -> tuple[int, list[Violation]]:
    """Households and dates drawn by hypothesis; a violation is shrunk to a minimal household."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from engine.household.strategies import households

    checked = 0
    failure: list[Violation] = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(data=st.data())
    def search(data: st.DataObject) -> None:
        nonlocal checked
        as_of = data.draw(st.sampled_from(dates), label="date")
        raw = data.draw(households(as_of=as_of, max_members=5), label="household")
        change = (data.draw(st.integers(0, 4), label="member"),
                  data.draw(st.sampled_from([Decimal("0.01"), Decimal(1), Decimal(50), Decimal(500), Decimal(5000)]),
                            label="raised by")) if invariant.kind == "metamorphic" else (0, Decimal(0))
        outcome = prepared.holds(invariant, validate_household(raw), raw, as_of, change)
        if outcome is None:
            return
        checked += 1
        holds, values = outcome
        if not holds:
            values = {**values, "change": f"members[{change[0] % len(raw['members'])}] income raised by {change[1]}"} \
                if invariant.kind == "metamorphic" else values
            failure[:] = [Violation(invariant.name, prepared.region, as_of, raw, values)]
            raise AssertionError(invariant.name)

    with contextlib.suppress(AssertionError):  # the violation, shrunk, is in ``failure``
        search()
    return checked, failure


def check_all(library: PolicyLibrary, invariants_path: Path, examples: int = 100, regions: list[str] | None = None,
              population: list[dict[str, Any]] | None = None) -> Iterator[RegionReport]:
    invariants = load_invariants(invariants_path)
    for region in regions or library.regions:
        yield check_region(library, region, invariants, examples, population)


def bundled_population(root: Path, per_region: int = 300) -> list[dict[str, Any]]:
    """Households from the bundled example caseload (``examples/caseload``), a share from each file."""
    import json

    records = []
    for path in sorted((root / "examples" / "caseload").glob("*.jsonl")):
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream):
                if number >= per_region:
                    break
                records.append(json.loads(line))
    return records


# --- cross-region report --------------------------------------------------------------------------


@dataclass
class RegionSetting:
    region: str
    as_of: date
    supplied: dict[str, str]
    note: str


def reference_setting(library: PolicyLibrary, region: str) -> RegionSetting:
    """The latest date a region's own sources give its standard for (or its span's end, with stand-ins)."""
    chain = library.region(region).chain
    standard = chain.parameters.get("dibao.standard_annual")
    known = [v for v in (standard.values if standard else ()) if v.expr is not None]
    if known:
        latest = max(known, key=lambda v: v.start)
        as_of = min(latest.end or chain.span_to, chain.span_to)
        supplied = stand_ins_on(chain, as_of)
        return RegionSetting(region, as_of, supplied, f"standard from {latest.source}")
    supplied = stand_ins_on(chain, chain.span_to)
    return RegionSetting(region, chain.span_to, supplied,
                         f"no published standard: stand-in {supplied.get('dibao.standard_annual')} yuan/year")


def _cone(library: PolicyLibrary, region: str, outputs: tuple[str, ...]) -> set[str]:
    return closure(library.region(region).result.dependencies, outputs)


def cross_region_report(library: PolicyLibrary, population: list[dict[str, Any]],
                        regions: list[str] | None = None) -> dict[str, Any]:
    """How often regions disagree on eligibility for the same households, by how much benefits differ,
    and which parameters and rules the disagreements run through."""
    from engine.runtime.outputs import render

    names = regions or library.regions
    settings = {r: reference_setting(library, r) for r in names}
    households = [validate_household(r) for r in population]
    answers: dict[str, list[dict[str, Any] | None]] = {}
    for region, setting in settings.items():
        resolved = library.resolve(region, setting.as_of, setting.supplied)
        program = library.program(resolved)
        wanted = [n for n, rule in program.rules.items() if rule.scope == "household"]
        rendered: list[dict[str, Any] | None] = []
        for household in households:
            try:
                values, _ = program.evaluate(household, setting.as_of, wanted)
            except DiagnosticError:
                rendered.append(None)
                continue
            row = {n: render(v, program.rules[n].type) for n, v in values.items()}
            row.update({n: render(v, resolved.chain.parameters[n].type) for n, v in resolved.values.items()
                        if not isinstance(v, (Unavailable, frozenset, set))})
            rendered.append(row)
        answers[region] = rendered
    pairs = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            pairs.append(_compare_pair(library, first, second, answers, households))
    return {"regions": {r: {"date": s.as_of.isoformat(), "note": s.note} for r, s in settings.items()},
            "households": len(households), "pairs": pairs}


def _compare_pair(library: PolicyLibrary, first: str, second: str, answers: dict[str, list[Any]],
                  households: list[Household]) -> dict[str, Any]:
    cone = (_cone(library, first, ("dibao.eligible", "dibao.benefit_monthly"))
            & _cone(library, second, ("dibao.eligible", "dibao.benefit_monthly")))
    both = disagree = 0
    differences: list[Decimal] = []
    reasons: dict[str, int] = {}
    examples: list[str] = []
    for household, a, b in zip(households, answers[first], answers[second], strict=True):
        if a is None or b is None or "dibao.eligible" not in a or "dibao.eligible" not in b:
            continue
        both += 1
        differences.append(abs(Decimal(a["dibao.benefit_monthly"]) - Decimal(b["dibao.benefit_monthly"])))
        if a["dibao.eligible"] == b["dibao.eligible"]:
            continue
        disagree += 1
        if len(examples) < 5:
            examples.append(household.id)
        for name in sorted(cone & set(a) & set(b)):
            if name not in ("dibao.eligible", "dibao.benefit_monthly") and a[name] != b[name]:
                reasons[name] = reasons.get(name, 0) + 1
    mean = (sum(differences, Decimal(0)) / len(differences)).quantize(Decimal("0.01")) if differences else None
    return {
        "regions": [first, second], "households": both, "eligibility_disagreements": disagree,
        "share": round(disagree / both, 4) if both else None,
        "benefit_difference": {"mean": str(mean) if mean is not None else None,
                               "max": str(max(differences)) if differences else None},
        "attributed_to": dict(sorted(reasons.items(), key=lambda item: -item[1])),
        "examples": examples,
    }
