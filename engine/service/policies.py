"""The policies a server answers from: opened and checked once at start, never reloaded.

``LoadedPolicies`` holds one ``PolicyLibrary`` and a bounded cache of resolved
policies (region, date, overrides). Resolved policies and compiled programs are only
read once made, so any number of requests may evaluate at the same time. Every
answer is made by the library's own calls; this module only chooses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.household.record import Household
from engine.policy.resolve import Chain, ResolvedPolicy
from engine.runtime.evaluate import evaluate_resolved
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import Determination
from engine.service.config import ServiceConfig
from engine.tools.region_document import parameter_history, region_document, sources_folder

Overrides = tuple[tuple[str, str], ...]


class LoadedPolicies:
    """A checked policy tree and the resolved policies asked for so far."""

    def __init__(self, library: PolicyLibrary) -> None:
        self.library = library
        self._resolved = lru_cache(maxsize=512)(self._resolve)

    @classmethod
    def open(cls, config: ServiceConfig) -> LoadedPolicies:
        return cls(PolicyLibrary.open(config.policies, config.params))

    @property
    def sources(self) -> Path:
        return sources_folder(self.library)

    def resolved(self, region: str, as_of: date, overrides: Mapping[str, str] | None = None) -> ResolvedPolicy:
        return self._resolved(region, as_of, tuple(sorted((overrides or {}).items())))

    def _resolve(self, region: str, as_of: date, overrides: Overrides) -> ResolvedPolicy:
        return self.library.resolve(region, as_of, dict(overrides))

    def evaluate(self, household: Household, region: str, as_of: date,
                 overrides: Mapping[str, str] | None = None) -> Determination:
        return evaluate_resolved(self.library, self.resolved(region, as_of, overrides), household)

    def chain(self, region: str) -> Chain:
        return self.library.region(region).chain

    def region_detail(self, region: str) -> dict[str, Any]:
        """A region's identity, rules (label, clauses, expressions, notes) and parameters with their history."""
        return region_document(self.library, region)

    def parameter_history(self, region: str, name: str) -> dict[str, Any]:
        """Every dated value of one parameter, with the clause it comes from, oldest first."""
        return parameter_history(self.library.region(region), name, self.sources)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
