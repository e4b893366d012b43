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
import re
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

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.render import show
from engine.household.record import Household
from engine.language import types as t
from engine.language.builtins import iso_date
from engine.language.formatter import format_expression
from engine.language.program_checks import closure
from engine.policy.resolve import ResolvedPolicy, Unavailable
from engine.runtime.evaluate import evaluate_resolved
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import render, round_money

BUCKETS = ((Decimal("-Infinity"), Decimal("-100")), (Decimal("-100"), Decimal("-10")), (Decimal("-10"), Decimal(0)),
           (Decimal(0), Decimal(0)), (Decimal(0), Decimal("10")), (Decimal("10"), Decimal("100")),
           (Decimal("100"), Decimal("Infinity")))


@dataclass
class Side:
    """One side of a diff: a region on a date in a policy tree; ``resolved`` is None when the tree lacks the region."""

    label: str
    library: PolicyLibrary
    resolved: ResolvedPolicy | None
    region: str = ""
    tree: str = ""  # where the policy tree came from: a revision, a folder, "working tree"

    @property
    def version(self) -> str | None:
        return self.resolved.chain.version if self.resolved else None

    @property
    def digest(self) -> str | None:
        return self.resolved.digest if self.resolved else None


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
    layer: str = ""  # the layer that defines the changed name (on the new side, else the old)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", []) and k != "layer"}


def tree_at_revision(revision: str, repository: Path) -> Path:
    """The ``policies`` folder as it was at a git revision, unpacked into a temporary folder."""
    commit = verified_commit(revision, repository)
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", commit, "--", "policies"], cwd=repository,
                                 capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", b"") or b""
        message = detail.decode("utf-8", "replace").strip() or str(error)
        raise DiagnosticError([Diagnostic("E-REV", f"cannot read policies at revision {revision!r}: {message}")]) \
            from None
    target = Path(tempfile.mkdtemp(prefix="dibao-rev-"))
    atexit.register(shutil.rmtree, target, True)  # the extracted tree is needed until the command ends
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "policies"


def verified_commit(revision: str, repository: Path) -> str:
    """The commit a revision names, as its full hash: never passed on as an option (``--output=…``)."""
    problem = DiagnosticError([Diagnostic("E-REV", f"{revision!r} is not a commit of the repository at "
                                          f"{repository} (give a branch, a tag or a commit hash)")])
    if not revision.strip() or revision.startswith("-") or "\x00" in revision:
        raise problem
    try:
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                                f"{revision}^{{commit}}"], cwd=repository, capture_output=True, check=True,
                               text=True).stdout.strip()
    except (subprocess.CalledProcessError, OSError):
        raise problem from None
    if not re.fullmatch(r"[0-9a-f]{40,64}", found):
        raise problem
    return found


def side(label: str, library: PolicyLibrary, region: str, as_of: date, overrides: dict[str, str],
         may_lack: bool = False, tree: str = "") -> Side:
    """The region resolved on the date; with ``may_lack``, a tree without the region gives an empty side."""
    if may_lack and region not in library.regions and not library.problems_of(region):
        return Side(label, library, None, region, tree)
    applicable = overrides
    if may_lack:
        parameters = library.region(region).chain.parameters
        applicable = {k: v for k, v in overrides.items() if k in parameters}
    return Side(label, library, library.resolve(region, as_of, applicable), region, tree)


def side_notes(old: Side, new: Side, changes: list[Change]) -> list[str]:
    """What the reader must know beside the changes: a region on one side only, and version changes."""
    if old.resolved is None or new.resolved is None:
        which, present, absent = ("new", new, old) if old.resolved is None else ("old", old, new)
        return [f"{present.region} is only on the {which} side ({present.tree}): {absent.tree} has no region "
                f"{present.region}"]
    notes = []
    if old.version != new.version:
        notes.append(f"version {old.version} → {new.version}")
    if old.library is new.library:
        return notes  # two dates of one tree: values change by date, not by edits
    for key in sorted({c.layer for c in changes if c.layer}):
        before, after = _layer_version(old, key), _layer_version(new, key)
        if before is not None and before == after:
            notes.append(f"warning: the {key} layer changed but its version is still {after}; give it a new "
                         "version (policy: version:)")
    return notes


def _layer_version(side_: Side, key: str) -> str | None:
    layer = side_.library.tree.layers.get(key)
    return layer.version if layer else None


def parse_spec(spec: str) -> tuple[str, date]:
    """``hebi@2017-07-01`` → (region, date)."""
    region, sep, when = spec.partition("@")
    try:
        if not sep:
            raise ValueError
        return region, iso_date(when)
    except ValueError:
        raise DiagnosticError([Diagnostic("E-ARGS", f"{spec!r}: write REGION@YYYY-MM-DD, e.g. hebi@2017-07-01")]) \
            from None


def diff_report(old: Side, new: Side) -> dict[str, Any]:
    """The two sides, their versions, digests and trees, and the changes between them, as data (``dibao diff
    --json``, ``GET /v1/diff``)."""
    changes = compare_policies(old, new)
    return {"old": old.label, "new": new.label, "old_version": old.version, "new_version": new.version,
            "old_digest": old.digest, "new_digest": new.digest, "notes": side_notes(old, new, changes),
            "changes": [c.as_dict() for c in changes],
            "trees": {"old": old.library.tree_info(), "new": new.library.tree_info()}}


def compare_policies(old: Side, new: Side) -> list[Change]:
    changes = _parameter_changes(old, new) + _rule_changes(old, new)
    reference = new if new.resolved is not None else old
    assert reference.resolved is not None
    dependents = _dependents(reference)
    outputs = set(reference.resolved.chain.outputs())
    for change in changes:
        change.reaches = sorted(o for o in closure(dependents, [change.name]) if o in outputs)
        change.layer = _defining_layer(new, change.name) or _defining_layer(old, change.name)
    return changes


def _defining_layer(side_: Side, name: str) -> str:
    if side_.resolved is None:
        return ""
    chain = side_.resolved.chain
    found = chain.parameters.get(name) or chain.rules.get(name)
    return found.layer if found else ""


def _values(side_: Side) -> dict[str, Any]:
    return side_.resolved.values if side_.resolved else {}


def _value_text(side_: Side, name: str) -> str:
    assert side_.resolved is not None
    value = side_.resolved.values[name]
    if isinstance(value, Unavailable):
        return "must be supplied"
    return show(render(value, side_.resolved.chain.parameters[name].type))


def _citation_text(side_: Side, name: str) -> str:
    assert side_.resolved is not None
    chosen = side_.resolved.value_sources.get(name)
    if chosen is None:
        return ""
    return f"{chosen.source} · in force {chosen.start} – {chosen.end or 'open'}"


def _parameter_changes(old: Side, new: Side) -> list[Change]:
    before, after = _values(old), _values(new)
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
    old_variants = old.resolved.variants if old.resolved else {}
    new_variants = new.resolved.variants if new.resolved else {}
    before = {n: format_expression(v.body) for n, v in old_variants.items()}
    after = {n: format_expression(v.body) for n, v in new_variants.items()}
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            changes.append(Change("rule", name, "removed", old=before[name]))
        elif name not in before:
            changes.append(Change("rule", name, "added", new=after[name], new_source=str(new_variants[name].source)))
        elif before[name] != after[name]:
            changes.append(Change("rule", name, "changed", before[name], after[name],
                                  str(old_variants[name].source), str(new_variants[name].source)))
    return changes


def _dependents(side_: Side) -> dict[str, set[str]]:
    assert side_.resolved is not None
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
    if old.resolved is None or new.resolved is None:
        return impact
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
