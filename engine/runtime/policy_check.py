"""Check a policy tree: each region's merged layers, before any household is seen.

On top of the expression checker (names, types, periods, tables, guards, cycles) this
stage checks what only the whole policy shows: citations name declared sources, dated
values and variants do not overlap, every month of a region's span has the values and
rules it needs, contract outputs have their contract types, overrides keep their type,
and parameter values are constants. All findings come back at once, deduplicated.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Related, did_you_mean
from engine.household.vocabulary import Vocabulary
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import add_months
from engine.language.checker import check_program
from engine.language.constants import ConstantError, constant_value
from engine.language.definitions import CheckResult, Definition
from engine.language.fields import household_fields
from engine.policy.contract import COMMON_PARAMETERS, HOUSEHOLD_OUTPUTS, MEMBER_OUTPUTS
from engine.policy.policy_files import PolicyTree
from engine.policy.policy_model import Citation, DatedValue, Layer, Parameter, Rule
from engine.policy.resolve import Chain, build_chain, value_in_force, variant_in_force
from engine.policy.vocabulary_check import chain_vocabulary


@dataclass
class CheckedRegion:
    """A region's chain (its expressions checked and typed) with the checker's findings."""

    chain: Chain
    result: CheckResult
    vocabulary: Vocabulary | None = None  # the codes of the region: common and its chain's additions


@dataclass
class TreeCheck:
    regions: dict[str, CheckedRegion] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    region_problems: dict[str, list[Diagnostic]] = field(default_factory=dict)
    not_checked: dict[str, list[str]] = field(default_factory=dict)  # region → files of its layers that did not load

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def check_tree(tree: PolicyTree) -> TreeCheck:
    """Check every region of a loaded tree; diagnostics from shared layers are reported once."""
    report = TreeCheck()
    found: list[Diagnostic] = list(tree.diagnostics)
    for region in tree.regions:
        blocked = unloaded_files(tree, region)
        if blocked:  # checking what did load would only report the names the broken file defines
            report.not_checked[region] = blocked
            continue
        try:
            chain = build_chain(tree.layers, region)
        except DiagnosticError as error:
            found.extend(error.diagnostics)
            report.region_problems[region] = list(error.diagnostics)
            continue
        checked, problems = check_chain(chain)
        own = set(chain.top.files)
        problems = [_while_checking(d, region, own) for d in problems]
        found.extend(problems)
        report.region_problems[region] = problems
        report.regions[region] = checked
    for key, files in tree.unloaded.items():
        if key not in tree.layers and key != "common":  # its header did not load: it is not even a region yet
            report.not_checked[key] = files
    report.diagnostics = _unique(found)
    return report


def unloaded_files(tree: PolicyTree, region: str) -> list[str]:
    """Files of the region's layers (itself, what it inherits, up to the common layer) that did not load."""
    key: str | None = region
    seen: set[str] = set()
    files: list[str] = []
    while key is not None and key not in seen:
        seen.add(key)
        files += tree.unloaded.get(key, [])
        layer = tree.layers.get(key)
        key = layer.inherits if layer is not None else None
    if "common" not in seen:
        files += tree.unloaded.get("common", [])
    return files


def check_chain(chain: Chain) -> tuple[CheckedRegion, list[Diagnostic]]:
    definitions = definitions_of(chain)
    vocabulary = chain_vocabulary(chain.layers)
    result = check_program(definitions, household_fields(vocabulary))
    problems = list(result.diagnostics)
    problems += _constant_values(chain)
    chain = with_checked_bodies(chain, result)
    checked = CheckedRegion(chain, result, vocabulary=vocabulary)
    if not any(p.severity == "error" for p in problems):
        problems += _constant_problems(chain)
    problems += _citations(chain)
    problems += _overlaps(chain)
    problems += _overrides(chain)
    problems += _contract_types(chain)
    problems += _coverage(chain, result.dependencies)
    return checked, problems


def definitions_of(chain: Chain) -> dict[str, Definition]:
    """Every parameter and rule of a chain as the expression checker sees them (all dates at once)."""
    definitions: dict[str, Definition] = {}
    for name, parameter in chain.parameters.items():
        bodies = tuple(v.expr for v in parameter.values if v.expr is not None)
        nonzero = bool(bodies) and all(
            isinstance(b, s.Literal) and b.value != 0 for b in bodies) and len(bodies) == len(parameter.values)
        definitions[name] = Definition(name, "parameter", parameter.type, parameter.span, bodies, "household", nonzero)
    for name, rule in chain.rules.items():
        definitions[name] = Definition(name, "rule", rule.type, rule.span, tuple(v.body for v in rule.variants),
                                       rule.scope)
    return definitions


def with_checked_bodies(chain: Chain, result: CheckResult) -> Chain:
    """The chain with every rule body and parameter value replaced by its checked copy (typed nodes)."""
    rules = {name: replace(rule, variants=tuple(
        replace(variant, body=body) for variant, body in zip(rule.variants, result.bodies[name], strict=True)))
        for name, rule in chain.rules.items()}
    parameters = {name: replace(parameter, values=_checked_values(parameter, result.bodies[name]))
                  for name, parameter in chain.parameters.items()}
    return replace(chain, rules=rules, parameters=parameters)


def _checked_values(parameter: Parameter, bodies: tuple[s.Node, ...]) -> tuple[DatedValue, ...]:
    checked = iter(bodies)
    return tuple(value if value.expr is None else replace(value, expr=next(checked)) for value in parameter.values)


def _constant_values(chain: Chain) -> Iterator[Diagnostic]:
    for parameter in chain.parameters.values():
        for value in parameter.values:
            if value.expr is None:
                continue
            names = [n for n in s.walk(value.expr) if isinstance(n, s.Name)]
            if names:
                yield Diagnostic("E-CONSTANT", f"a parameter value must be a constant; {names[0].dotted} is a name "
                                 "(write a rule for a computed value)", names[0].span)


def _constant_problems(chain: Chain) -> Iterator[Diagnostic]:
    """What stops a parameter value from having a value (found now, not when a date needs it)."""
    for parameter in chain.parameters.values():
        for value in parameter.values:
            if value.expr is not None:
                try:
                    constant_value(value.expr)
                except ConstantError as error:
                    yield from error.diagnostics


def _citations(chain: Chain) -> Iterator[Diagnostic]:
    for citation, owner in _all_citations(chain):
        if citation.doc not in chain.sources:
            hint = did_you_mean(citation.doc, chain.sources)
            known = ", ".join(sorted(chain.sources)) or "none"
            yield Diagnostic("E-CITATION", f"{owner} cites {citation.doc!r}, which is not declared under sources "
                             f"(declared: {known})", citation.span, suggestion=hint)


def _all_citations(chain: Chain) -> Iterator[tuple[Citation, str]]:
    for parameter in chain.parameters.values():
        for value in parameter.values:
            yield value.source, parameter.name
    for rule in chain.rules.values():
        for variant in rule.variants:
            yield variant.source, rule.name


def _overlaps(chain: Chain) -> Iterator[Diagnostic]:
    for parameter in chain.parameters.values():
        ranges = [(v.start, v.end, v.span) for v in parameter.values]
        yield from overlapping_ranges(parameter.name, "value", ranges)
        yield from _gaps(parameter.name, "value", ranges, chain)
    for rule in chain.rules.values():
        ranges = [(v.start or date.min, v.end, v.span) for v in rule.variants]
        yield from overlapping_ranges(rule.name, "variant", ranges)
        yield from _gaps(rule.name, "variant", ranges, chain)


def overlapping_ranges(name: str, what: str, ranges: list[tuple[date, date | None, Any]]) -> Iterator[Diagnostic]:
    ordered = sorted(ranges, key=lambda r: r[0])
    for (start_a, end_a, span_a), (start_b, _end_b, span_b) in itertools.pairwise(ordered):
        if start_a == start_b:
            yield Diagnostic("E-OVERLAP", f"{name}: a second {what} from {start_b} (the {what} at line {span_a.line} "
                             f"starts the same day); two {what}s cannot start together: replace the one at line "
                             f"{span_a.line} with this one, or remove this one", span_b,
                             related=(Related(span_a, f"the {what} that starts the same day"),))
        elif end_a is None or start_b <= end_a:
            until = "open-ended" if end_a is None else f"until {end_a}"
            yield Diagnostic("E-OVERLAP", f"{name}: this {what} from {start_b} overlaps the one from {start_a} "
                             f"({until}, at line {span_a.line}); end the earlier one the day before", span_b,
                             related=(Related(span_a, f"the earlier {what} it overlaps"),))


def _gaps(name: str, what: str, ranges: list[tuple[date, date | None, Any]], chain: Chain) -> Iterator[Diagnostic]:
    """Days inside the span between one dated value's end and the next one's start."""
    ordered = sorted(ranges, key=lambda r: r[0])
    for (_start_a, end_a, _span_a), (start_b, _end_b, span_b) in itertools.pairwise(ordered):
        if end_a is None or end_a >= start_b:
            continue
        first, last = end_a + timedelta(days=1), start_b - timedelta(days=1)
        holds_a_month_start = first.day == 1 or last >= add_months(first.replace(day=1), 1)
        if holds_a_month_start:  # the month-by-month coverage check reports it, with what needs it
            continue
        if first <= last and first <= chain.span_to and last >= chain.span_from:
            yield Diagnostic("E-COVERAGE", f"{name} has no {what} from {first} to {last}: the {what} before ends "
                             f"{end_a} and this one starts {start_b}", span_b)


def _overrides(chain: Chain) -> Iterator[Diagnostic]:
    seen: dict[str, tuple[Parameter | Rule, Layer]] = {}
    for layer in chain.layers:
        items: list[tuple[str, Parameter | Rule]] = [*layer.parameters.items(), *layer.rules.items()]
        for name, item in items:
            if name in seen and seen[name][0].type != item.type:
                earlier_item, earlier = seen[name]
                yield Diagnostic("E-OVERRIDE", f"{name} is {earlier_item.type} in {earlier.key} but {item.type} here; "
                                 "an override keeps the type", item.span,
                                 related=(Related(earlier_item.span, f"the definition in {earlier.key}"),))
            seen[name] = (item, layer)


def _contract_types(chain: Chain) -> Iterator[Diagnostic]:
    for name, parameter in chain.parameters.items():
        expected = HOUSEHOLD_OUTPUTS.get(name) or COMMON_PARAMETERS.get(name)
        if expected is not None and parameter.type not in (expected, t.ANY):
            yield Diagnostic("E-CONTRACT", f"{name} is {expected} in the contract, not {parameter.type}",
                             parameter.span)
    for name, rule in chain.rules.items():
        expected = HOUSEHOLD_OUTPUTS.get(name)
        member_expected = MEMBER_OUTPUTS.get(name)
        if member_expected is not None and rule.scope != "member":
            yield Diagnostic("E-CONTRACT", f"{name} is a member output in the contract; add `scope: member`",
                             rule.span)
        elif expected is not None and rule.scope == "member":
            yield Diagnostic("E-CONTRACT", f"{name} is a household output in the contract; remove `scope: member`",
                             rule.span)
        want = member_expected or expected
        if want is not None and not t.assignable(rule.type, want):
            yield Diagnostic("E-CONTRACT", f"{name} is {want} in the contract, not {rule.type}", rule.span)


def month_starts(start: date, end: date) -> Iterator[date]:
    day = start.replace(day=1)
    while day <= end:
        yield max(day, start)
        day = add_months(day, 1)


def _coverage(chain: Chain, dependencies: dict[str, set[str]]) -> Iterator[Diagnostic]:
    """Months of the span where a rule has no variant or a parameter a rule needs has no value."""
    gaps: dict[str, list[date]] = {}
    parameters_of: dict[int, set[str]] = {}  # per variant (by identity): the parameters its body names
    for month in month_starts(chain.span_from, chain.span_to):
        needed: set[str] = set()
        for name, rule in chain.rules.items():
            variant = variant_in_force(rule, month)
            if variant is None:
                gaps.setdefault(name, []).append(month)
                continue
            named = parameters_of.get(id(variant))
            if named is None:
                named = parameters_of[id(variant)] = {d for d in _names_in(variant.body) if d in chain.parameters}
            needed |= named
        for name in sorted(needed):
            if value_in_force(chain.parameters[name], month) is None:
                gaps.setdefault(name, []).append(month)
    for name, months in gaps.items():
        item = chain.rules.get(name) or chain.parameters[name]
        what = "rule" if name in chain.rules else "parameter"
        yield Diagnostic("E-COVERAGE", f"{what} {name} has no {'variant' if what == 'rule' else 'value'} for "
                         f"{_ranges(months)} (the policy spans {chain.span_from} – {chain.span_to})", item.span)


def _names_in(node: s.Node) -> Iterable[str]:
    return (n.dotted for n in s.walk(node) if isinstance(n, s.Name))


def _ranges(months: list[date]) -> str:
    runs: list[list[date]] = []
    for month in months:
        if runs and add_months(runs[-1][-1].replace(day=1), 1) == month.replace(day=1):
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(f"{r[0]:%Y-%m}" if len(r) == 1 else f"{r[0]:%Y-%m} – {r[-1]:%Y-%m}" for r in runs)


def _while_checking(diagnostic: Diagnostic, region: str, own_files: set[str]) -> Diagnostic:
    """A problem found in a shared layer says which region's check found it."""
    if diagnostic.span is None or diagnostic.span.file in own_files:
        return diagnostic
    return replace(diagnostic, notes=(*diagnostic.notes, f"found while checking region {region}"))


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per (code, message, place); the regions that found it are merged into its notes."""
    merged: dict[tuple[str, str, Any], Diagnostic] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.message, diagnostic.span)
        if key in merged:
            first = merged[key]
            notes = first.notes + tuple(n for n in diagnostic.notes if n not in first.notes)
            merged[key] = replace(first, notes=notes)
        else:
            merged[key] = diagnostic
    return list(merged.values())
