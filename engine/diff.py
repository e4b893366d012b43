"""Diff: what changes between two resolved policies, and what it does to a population.

Either side is a region on a date in a policy tree (the working tree, another folder,
or a git revision read with ``git archive``, no checkout needed). Parameters are
compared by value, rules by their normalised expression (formatting and comments are
not changes), and each change lists the outputs it reaches. With households, both
sides evaluate the same population and the impact is counted.
"""

from __future__ import annotations

import atexit
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine import types as t
from engine.checker import closure
from engine.diagnostics import Diagnostic, DiagnosticError
from engine.evaluate import evaluate_resolved
from engine.formatter import format_expression
from engine.household import Household
from engine.interpreter import Unavailable
from engine.library import PolicyLibrary
from engine.outputs import render, round_money
from engine.resolve import ResolvedPolicy

BUCKETS = ((Decimal("-Infinity"), Decimal("-100")), (Decimal("-100"), Decimal("-10")), (Decimal("-10"), Decimal(0)),
           (Decimal(0), Decimal(0)), (Decimal(0), Decimal("10")), (Decimal("10"), Decimal("100")),
           (Decimal("100"), Decimal("Infinity")))


@dataclass
class Side:
    label: str
    library: PolicyLibrary
    resolved: ResolvedPolicy


@dataclass
class Change:
    kind: str  # parameter or rule
    name: str
    change: str  # changed, added, removed
    old: Any = None
    new: Any = None
    old_source: str = ""
    new_source: str = ""
    reaches: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", [])}


def tree_at_revision(revision: str, repository: Path) -> Path:
    """The ``policies`` folder as it was at a git revision, unpacked into a temporary folder."""
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", revision, "policies"], cwd=repository,
                                 capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        detail = getattr(error, "stderr", b"") or b""
        message = detail.decode("utf-8", "replace").strip() or str(error)
        raise DiagnosticError([Diagnostic("E-REV", f"cannot read policies at revision {revision!r}: {message}")]) \
            from None
    target = Path(tempfile.mkdtemp(prefix="dibao-rev-"))
    atexit.register(shutil.rmtree, target, True)  # the extracted tree is needed until the command ends
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "policies"


def side(label: str, library: PolicyLibrary, region: str, as_of: date, overrides: dict[str, str]) -> Side:
    return Side(label, library, library.resolve(region, as_of, overrides))


def parse_spec(spec: str) -> tuple[str, date]:
    """``hebi@2017-07-01`` → (region, date)."""
    region, sep, when = spec.partition("@")
    try:
        if not sep:
            raise ValueError
        return region, date.fromisoformat(when)
    except ValueError:
        raise DiagnosticError([Diagnostic("E-ARGS", f"{spec!r}: write REGION@YYYY-MM-DD, e.g. hebi@2017-07-01")]) \
            from None


def diff_report(old: Side, new: Side) -> dict[str, Any]:
    """The two sides, their digests and the changes between them, as data (``dibao diff --json``)."""
    return {"old": old.label, "new": new.label, "old_digest": old.resolved.digest, "new_digest": new.resolved.digest,
            "changes": [c.as_dict() for c in compare_policies(old, new)]}


def compare_policies(old: Side, new: Side) -> list[Change]:
    changes = _parameter_changes(old, new) + _rule_changes(old, new)
    dependents = _dependents(new)
    for change in changes:
        change.reaches = sorted(o for o in closure(dependents, [change.name]) if o in set(new.resolved.chain.outputs()))
    return changes


def _value_text(side_: Side, name: str) -> str:
    value = side_.resolved.values[name]
    if isinstance(value, Unavailable):
        return "must be supplied"
    rendered = render(value, side_.resolved.chain.parameters[name].type)
    return str(rendered)


def _citation_text(side_: Side, name: str) -> str:
    chosen = side_.resolved.value_sources.get(name)
    if chosen is None:
        return ""
    return f"{chosen.source} · in force {chosen.start} – {chosen.end or 'open'}"


def _parameter_changes(old: Side, new: Side) -> list[Change]:
    before, after = old.resolved.values, new.resolved.values
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            changes.append(Change("parameter", name, "removed", old=_value_text(old, name)))
        elif name not in before:
            changes.append(Change("parameter", name, "added", new=_value_text(new, name),
                                  new_source=_citation_text(new, name)))
        elif _value_text(old, name) != _value_text(new, name):
            changes.append(Change("parameter", name, "changed", _value_text(old, name), _value_text(new, name),
                                  _citation_text(old, name), _citation_text(new, name)))
    return changes


def _rule_changes(old: Side, new: Side) -> list[Change]:
    before = {n: format_expression(v.body) for n, v in old.resolved.variants.items()}
    after = {n: format_expression(v.body) for n, v in new.resolved.variants.items()}
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            changes.append(Change("rule", name, "removed", old=before[name]))
        elif name not in before:
            changes.append(Change("rule", name, "added", new=after[name],
                                  new_source=str(new.resolved.variants[name].source)))
        elif before[name] != after[name]:
            changes.append(Change("rule", name, "changed", before[name], after[name],
                                  str(old.resolved.variants[name].source), str(new.resolved.variants[name].source)))
    return changes


def _dependents(side_: Side) -> dict[str, set[str]]:
    dependencies = side_.library.region(side_.resolved.region).result.dependencies
    reverse: dict[str, set[str]] = {}
    for rule, uses in dependencies.items():
        for used in uses:
            reverse.setdefault(used, set()).add(rule)
    return reverse


@dataclass
class Impact:
    households: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    transitions: dict[str, list[str]] = field(default_factory=dict)
    buckets: Counter[str] = field(default_factory=Counter)
    monthly_cost_old: Decimal = Decimal(0)
    monthly_cost_new: Decimal = Decimal(0)
    changed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        change = self.monthly_cost_new - self.monthly_cost_old
        return {
            "households": self.households,
            "failed": self.failed,
            "transitions": {k: sorted(v) for k, v in sorted(self.transitions.items())},
            "benefit_change_buckets": dict(self.buckets),
            "monthly_cost": {"old": render(self.monthly_cost_old, _MONEY), "new": render(self.monthly_cost_new, _MONEY),
                             "change": render(change, _MONEY)},
            "annual_cost_change": render(change * 12, _MONEY),
            "changed_households": sorted(self.changed),
        }


_MONEY = t.MONEY_MONTH
_FLAGS = {"dibao.eligible": "eligibility", "taper.applies": "taper", "monitoring.include": "monitoring"}


def population_impact(old: Side, new: Side, households: Iterable[Household]) -> Impact:
    impact = Impact()
    for household in households:
        impact.households += 1
        try:
            before = evaluate_resolved(old.library, old.resolved, household).outputs
            after = evaluate_resolved(new.library, new.resolved, household).outputs
        except DiagnosticError as error:
            impact.failed[household.id] = error.diagnostics[0].message
            continue
        count_change(impact, household.id, before, after)
    return impact


def count_change(impact: Impact, household_id: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Add one household's outputs before and after to the impact: flags gained or lost, benefit and cost."""
    changed = False
    for output, label in _FLAGS.items():
        was, now = bool(before.get(output, False)), bool(after.get(output, False))
        if was != now:
            impact.transitions.setdefault(f"{label} {'gained' if now else 'lost'}", []).append(household_id)
            changed = True
    old_benefit = round_money(before.get("dibao.benefit_monthly", 0))  # what is paid: rounded to the fen
    new_benefit = round_money(after.get("dibao.benefit_monthly", 0))
    impact.monthly_cost_old += old_benefit
    impact.monthly_cost_new += new_benefit
    delta = new_benefit - old_benefit
    impact.buckets[_bucket(delta)] += 1
    if delta or changed:
        impact.changed.append(household_id)


def _bucket(delta: Decimal) -> str:
    if delta == 0:
        return "no change"
    for low, high in BUCKETS:
        if low < delta <= high if delta > 0 else low <= delta < high:
            if low.is_infinite():
                return f"below {high}"
            if high.is_infinite():
                return f"above {low}"
            return f"{low} to {high}"
    return "no change"  # pragma: no cover
