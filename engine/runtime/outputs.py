"""Outputs: a determination and its contract JSON.

Values stay exact until here; money is rounded half up to 0.01 yuan only when rendered.
Money and decimals render as strings with their digits, integers as numbers, dates as
ISO strings, lists as arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.base import exact
from engine.language import types as t


@dataclass
class Determination:
    """The answer for one household: exact values and their types, with the policy's identity.

    ``tree`` says which policy tree answered (its folder, how it was chosen, its digest);
    it is rendered as ``policy.tree`` beside the contract's ``version`` and ``digest``.
    """

    region: str
    date: date
    version: str
    digest: str
    household: str
    outputs: dict[str, Any]
    members: dict[str, dict[str, Any]]
    types: dict[str, t.Type] = field(default_factory=dict)
    tree: dict[str, Any] | None = None
    explainer: Callable[[str | None], dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object."""
        members = {mid: {name: render(value, self.types[name]) for name, value in values.items()}
                   for mid, values in self.members.items() if values}
        policy: dict[str, Any] = {"version": self.version, "digest": self.digest}
        if self.tree is not None:
            policy["tree"] = self.tree
        return {
            "region": self.region,
            "date": self.date.isoformat(),
            "policy": policy,
            "household": self.household,
            "outputs": {name: render(value, self.types[name]) for name, value in self.outputs.items()},
            "members": members,
        }

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object (what ``dibao evaluate`` prints)."""
        return self.to_json()

    def explain(self, output: str | None = None) -> dict[str, Any]:
        """Why: the explain tree as data (what ``dibao explain --json`` prints), for every output or one."""
        if self.explainer is None:
            raise ValueError("this determination was not made by engine.runtime.evaluate, so it cannot explain itself")
        return self.explainer(output)


def round_money(value: exact.Number) -> Decimal:
    return exact.round_half_up(value, 2)


def render(value: Any, type_: t.Type) -> Any:
    """One value in contract JSON form; ``None`` (an output not available for the household) is null."""
    if value is None:
        return None
    if isinstance(type_, t.Money):
        return str(round_money(value))
    if type_ == t.INT:
        return int(value)
    if type_ in (t.NUMBER, t.RATE):
        return _decimal_text(exact.as_decimal(value))
    if type_ == t.DATE:
        return value.isoformat()
    if type_ == t.BOOL:
        return bool(value)
    if isinstance(type_, t.ListOf):
        return [render(v, type_.element) for v in value]
    if isinstance(type_, t.SetOf):
        return sorted(render(v, type_.element) for v in value)
    if isinstance(type_, t.Duration):  # a duration parameter, shown by explain: "20 working days"
        return f"{value.count} {value.unit.replace('_', ' ')}"
    if isinstance(value, (Decimal, Fraction)):
        return _decimal_text(exact.as_decimal(value))
    return value


def _decimal_text(value: Decimal) -> str:
    """Exact digits in plain notation; at least two decimal places (``0.80``), more when the value has them."""
    text = format(value, "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction.ljust(2, '0')}"
