"""Tracing an evaluation: which rule read which rules, parameters and household fields.

A ``Tracer`` attached to an evaluation records, for each (rule, member) pair evaluated,
what it read in order and the value it found; ``dibao explain`` builds its tree from
these records. Evaluation calls it only to record: control flow never depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Read:
    """One thing a rule read: a rule (for a member: ``member`` is its id), a parameter or a field."""

    kind: str  # "rule", "parameter" or "field"
    name: str
    value: object
    member: str | None = None


@dataclass
class RuleTrace:
    """What one rule evaluation read: rules, parameters and household fields, in order."""

    name: str
    member: str | None
    reads: list[Read] = field(default_factory=list)
    value: object = None


class Tracer:
    """Records every rule evaluated and what it read; attach one to explain a household."""

    def __init__(self) -> None:
        self.rules: dict[tuple[str, str | None], RuleTrace] = {}
        self.stack: list[RuleTrace] = []

    def enter(self, name: str, member: str | None) -> None:
        self.stack.append(RuleTrace(name, member))

    def leave(self, value: object) -> None:
        frame = self.stack.pop()
        frame.value = value
        self.rules[(frame.name, frame.member)] = frame
        self.read("rule", frame.name, value, frame.member)

    def read(self, kind: str, name: str, value: object, member: str | None = None) -> None:
        if self.stack:
            self.stack[-1].reads.append(Read(kind, name, value, member))


