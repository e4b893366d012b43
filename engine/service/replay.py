"""Replay: logged decisions re-evaluated under another policy tree, and what would change.

Each household's latest logged decision per region is evaluated again, in the same
region, on the same date, with the same overrides, under the other tree. What was
logged is the "before", the new evaluation the "after"; the impact is counted by the
same code as ``dibao diff --households`` (eligibility, taper and monitoring gained and
lost with household ids, benefit changes by bucket, monthly and annual cost). Any
output that differs at all marks the determination as changed; a case the new tree
cannot evaluate is listed as failed. The report names the digests on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.base.diagnostics import DiagnosticError
from engine.household.record import validate_household
from engine.runtime.library import PolicyLibrary
from engine.service.decision_log import Decision
from engine.service.policies import LoadedPolicies
from engine.tools.diff import Impact, count_change


@dataclass
class Replay:
    label: str
    read: int = 0
    impact: Impact = field(default_factory=Impact)
    old_digests: dict[str, set[str]] = field(default_factory=dict)
    new_digests: dict[str, str] = field(default_factory=dict)
    determinations_changed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.determinations_changed or self.impact.failed)

    def as_dict(self) -> dict[str, Any]:
        return {"old": "decision log", "new": self.label,
                "old_digests": {r: sorted(d) for r, d in sorted(self.old_digests.items())},
                "new_digests": dict(sorted(self.new_digests.items())),
                "decisions_read": self.read, "impact": self.impact.as_dict(),
                "determinations_changed": dict(sorted(self.determinations_changed.items())),
                "changed": self.changed}


def latest_per_household(decisions: Iterable[Decision]) -> list[Decision]:
    """The last decision of each household in each region (decisions come oldest first)."""
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        latest[(decision.household_id, decision.region)] = decision
    return list(latest.values())


def replay(decisions: Iterable[Decision], library: PolicyLibrary, label: str) -> Replay:
    result = Replay(label)
    policies = LoadedPolicies(library)
    every = list(decisions)
    result.read = len(every)
    for decision in latest_per_household(every):
        result.impact.households += 1
        key = f"{decision.household_id} ({decision.region})"
        result.old_digests.setdefault(decision.region, set()).add(decision.policy_digest)
        try:
            household = validate_household(decision.household, vocabulary=library.vocabulary_of(decision.region))
            resolved = policies.resolved(decision.region, decision.as_of, decision.overrides)
            result.new_digests[f"{decision.region}@{decision.as_of}"] = resolved.digest
            after = policies.evaluate(household, decision.region, decision.as_of, decision.overrides)
        except DiagnosticError as error:
            result.impact.failed[key] = error.diagnostics[0].message
            continue
        before = decision.determination
        count_change(result.impact, key, _typed(before["outputs"]), after.outputs)
        differing = _differing(before, after.to_json())
        if differing:
            result.determinations_changed[key] = differing
    return result


def _typed(outputs: dict[str, Any]) -> dict[str, Any]:
    """Logged outputs as the impact count reads them: the benefit as an exact decimal."""
    typed = dict(outputs)
    if isinstance(typed.get("dibao.benefit_monthly"), str):
        typed["dibao.benefit_monthly"] = Decimal(typed["dibao.benefit_monthly"])
    return typed


def _differing(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    names = sorted(set(before["outputs"]) | set(after["outputs"]))
    found = [n for n in names if before["outputs"].get(n) != after["outputs"].get(n)]
    members = sorted(set(before.get("members", {})) | set(after.get("members", {})))
    for member in members:
        old, new = before.get("members", {}).get(member, {}), after.get("members", {}).get(member, {})
        found += [f"{n}[{member}]" for n in sorted(set(old) | set(new)) if old.get(n) != new.get(n)]
    return found
