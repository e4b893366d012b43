"""Charts drawn on the server as SVG: a parameter's history as a step line, a histogram.

No script and no external library: the page reads (and prints) without JavaScript. Each
step of a history carries its value as text and its source and confidence in a ``<title>``
(a tooltip, and what a screen reader announces); values to be supplied locally are drawn
as hatched gaps. Coordinates are exact fractions rounded to whole pixels at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 36


def history_chart(history: dict[str, Any], span_end: date, words: Callable[[str], str]) -> Markup | None:
    """The step line of a numeric parameter's dated values; None when its values are not numbers."""
    try:
        steps = [_Step.of(value, span_end) for value in history["values"]]
    except _NotNumeric:
        return None
    if not steps:
        return None
    start, end = min(s.start for s in steps), max(s.end for s in steps)
    top = max((s.amount for s in steps if s.amount is not None), default=Fraction(1)) * Fraction(6, 5)
    top = top or Fraction(1)
    x = _scale(start.toordinal(), end.toordinal() + 1, LEFT, WIDTH - RIGHT)
    y = _scale(0, top, HEIGHT - BOTTOM, TOP)
    parts = [_axes(start, end, top, x, y)]
    for before, after in pairwise(steps):
        if before.amount is not None and after.amount is not None:
            at = _px(x(after.start.toordinal()))
            parts.append(f'<line x1="{at}" y1="{_px(y(before.amount))}" x2="{at}" y2="{_px(y(after.amount))}" '
                         'class="line riser"/>')
    for step in steps:
        parts.append(step.draw(x, y, words))
    title = escape(f"{history['label']} ({history['name']})")
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{"".join(parts)}</svg>')


def histogram(buckets: Sequence[tuple[str, int]], label: str) -> Markup:
    """Bars for counts by bucket (benefit changes), each labelled with its count."""
    most = max((count for _, count in buckets), default=0) or 1
    width = Fraction(WIDTH - LEFT - RIGHT, max(len(buckets), 1))
    y = _scale(0, most, HEIGHT - BOTTOM, TOP)
    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" class="axis"/>']
    for index, (name, count) in enumerate(buckets):
        left = LEFT + width * index
        bar_top = y(count)
        parts.append(
            f'<g><title>{escape(name)}: {count}</title>'
            f'<rect class="bar" x="{_px(left + 4)}" y="{_px(bar_top)}" width="{_px(width - 8)}" '
            f'height="{_px(HEIGHT - BOTTOM - bar_top)}"/>'
            f'<text x="{_px(left + width / 2)}" y="{_px(bar_top - 6)}" text-anchor="middle">{count}</text>'
            f'<text x="{_px(left + width / 2)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'class="tick">{escape(name)}</text></g>')
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(parts)}</svg>')


class _NotNumeric(Exception):
    """A value that is not a number (a set of kinds, a date, a flag): no chart, the table shows it."""


class _Step:
    """One dated value: from, to (inclusive), an amount or what must be supplied, and its source."""

    def __init__(self, start: date, end: date, amount: Fraction | None, shown: str, must_supply: str | None,
                 source: dict[str, Any]) -> None:
        self.start, self.end, self.amount, self.shown = start, end, amount, shown
        self.must_supply, self.source = must_supply, source

    @classmethod
    def of(cls, value: dict[str, Any], span_end: date) -> _Step:
        start = date.fromisoformat(value["from"])
        end = date.fromisoformat(value["to"]) if value["to"] else max(span_end, start)
        shown = value["value"] if isinstance(value.get("value"), str) else ""
        amount = _number(shown) if shown else None
        if "value" in value and amount is None:
            raise _NotNumeric
        return cls(start, end, amount, shown, value.get("must_supply"), value["source"])

    def draw(self, x: Callable[[Any], Fraction], y: Callable[[Any], Fraction], words: Callable[[str], str]) -> str:
        left, right = x(self.start.toordinal()), x(self.end.toordinal() + 1)
        cited = " ".join(str(self.source.get(k, "")) for k in ("number", "clause") if self.source.get(k)) or \
            str(self.source.get("doc", ""))
        confidence = self.source.get("confidence")
        tip = f"{self.start} – {self.end}: {self.shown or words('must supply')} · {cited}"
        if confidence:
            tip += f" · {words('confidence')} {confidence}"
        if self.amount is None:
            return (f'<g class="gap"><title>{escape(tip)}</title>'
                    f'<rect x="{_px(left)}" y="{TOP}" width="{_px(right - left)}" height="{HEIGHT - TOP - BOTTOM}" '
                    f'class="must-supply"/><text x="{_px((left + right) / 2)}" y="{TOP + 16}" text-anchor="middle">'
                    f'{escape(words("must supply"))}</text></g>')
        level = y(self.amount)
        return (f'<g class="step"><title>{escape(tip)}</title>'
                f'<line x1="{_px(left)}" y1="{_px(level)}" x2="{_px(right)}" y2="{_px(level)}" class="line"/>'
                f'<circle cx="{_px(left)}" cy="{_px(level)}" r="4" class="c-{escape(confidence or "none")}"/>'
                f'<text x="{_px((left + right) / 2)}" y="{_px(level - 8)}" text-anchor="middle" class="value">'
                f'{escape(_short(self.shown))}</text></g>')


def _axes(start: date, end: date, top: Fraction, x: Callable[[Any], Fraction], y: Callable[[Any], Fraction]) -> str:
    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
             f'<text x="{LEFT - 6}" y="{_px(y(0)) + 4}" text-anchor="end" class="tick">0</text>',
             f'<text x="{LEFT - 6}" y="{_px(y(top)) + 4}" text-anchor="end" class="tick">{_tick(top)}</text>']
    for year in range(start.year, end.year + 1):
        first = max(date(year, 1, 1), start)
        parts.append(f'<text x="{_px(x(first.toordinal()))}" y="{HEIGHT - BOTTOM + 16}" class="tick">{year}</text>')
    return "".join(parts)


def _scale(low: Any, high: Any, out_low: Any, out_high: Any) -> Callable[[Any], Fraction]:
    low, high = Fraction(low), Fraction(high)
    span = (high - low) or Fraction(1)
    return lambda v: Fraction(out_low) + (Fraction(v) - low) * (Fraction(out_high) - Fraction(out_low)) / span


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _short(text: str) -> str:
    """``3210.00`` → ``3210``; other digits as they are."""
    number = _number(text)
    if number is None:
        return text
    if number.denominator == 1:
        return str(number.numerator)
    return text


def _tick(value: Fraction) -> str:
    """An axis label: whole numbers above ten, two places below."""
    shown = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{shown:.0f}" if shown >= 10 else f"{shown:.2f}"


def _px(value: Fraction | int) -> int:
    return round(value)
