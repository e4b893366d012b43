"""Exact arithmetic on money and decimals: Decimal while exact, Fraction when not.

Inputs are decimals (yuan with fen). Sums, differences and products of decimals are
exact decimals; a quotient such as a yearly amount / 12 or an income / 3 members may not
end, and is then kept as an exact ``Fraction`` instead of being cut at some precision.
Rounding happens only at outputs (``round_half_up``), half away from zero, so a value
that is exactly half a fen always rounds the same way whatever path computed it. The
interpreter and the household model use these functions; the columnar evaluator keeps
the same exact values as integer ratios.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Context, Decimal, Inexact
from fractions import Fraction

Number = Decimal | Fraction | int

# The size any value may reach: digits before or after the point, or of a fraction's
# numerator and denominator. A rule that squares another forty times would otherwise take
# minutes and gigabytes; past this size the operation raises ``TooLarge``.
MAX_DIGITS = 1000
_MAX_BITS = 3322  # 2**3322 has 1000 digits


class TooLarge(ArithmeticError):
    """An arithmetic result with more than ``MAX_DIGITS`` digits."""


# Quotients that end within 60 digits are computed as decimals; any other raises Inexact.
_EXACT = Context(prec=60, traps=[Inexact])


def normal(value: Fraction) -> Decimal | Fraction:
    """A fraction as a Decimal when its decimal expansion ends (denominator 2^a·5^b)."""
    denominator = value.denominator
    if denominator.bit_length() > _MAX_BITS or value.numerator.bit_length() > _MAX_BITS:
        raise TooLarge(f"a value has more than {MAX_DIGITS} digits")
    twos = (denominator & -denominator).bit_length() - 1
    rest = denominator >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return value
    scale = max(twos, fives)
    numerator = value.numerator * (10**scale // denominator)
    return decimal_of(numerator, scale)


def decimal_of(numerator: int, scale: int) -> Decimal:
    """numerator × 10^-scale as a Decimal built digit by digit (never cut to a context's precision)."""
    digits = tuple(int(d) for d in str(abs(numerator)))
    return Decimal((1 if numerator < 0 else 0, digits, -scale))


def add(a: Number, b: Number) -> Number:
    if type(a) is int and type(b) is int:
        return _int(a + b)
    try:
        return _decimal(_EXACT.add(a, b))  # type: ignore[arg-type]  # a Fraction raises TypeError, handled below
    except (TypeError, Inexact):
        return normal(Fraction(a) + Fraction(b))


def sub(a: Number, b: Number) -> Number:
    if type(a) is int and type(b) is int:
        return _int(a - b)
    try:
        return _decimal(_EXACT.subtract(a, b))  # type: ignore[arg-type]  # a Fraction raises TypeError, handled below
    except (TypeError, Inexact):
        return normal(Fraction(a) - Fraction(b))


def mul(a: Number, b: Number) -> Number:
    if type(a) is int and type(b) is int:
        return _int(a * b)
    try:
        return _decimal(_EXACT.multiply(a, b))  # type: ignore[arg-type]  # a Fraction raises TypeError, handled below
    except (TypeError, Inexact):
        return normal(Fraction(a) * Fraction(b))


def div(a: Number, b: Number) -> Decimal | Fraction:
    """The exact quotient (``b`` is never zero here: callers guard it)."""
    if not isinstance(a, Fraction) and not isinstance(b, Fraction):
        try:
            return _decimal(_EXACT.divide(Decimal(a), Decimal(b)))
        except Inexact:
            pass
    return normal(Fraction(a) / Fraction(b))


def _int(value: int) -> int:
    if value.bit_length() > _MAX_BITS:
        raise TooLarge(f"a value has more than {MAX_DIGITS} digits")
    return value


def _decimal(value: Decimal) -> Decimal:
    if value and not -MAX_DIGITS <= value.adjusted() <= MAX_DIGITS:
        raise TooLarge(f"a value has more than {MAX_DIGITS} digits")
    return value


def total(values: Iterable[Number], zero: Number) -> Number:
    result = zero
    for value in values:
        result = add(result, value)
    return result


def round_half_up(value: Number, places: int = 2) -> Decimal:
    """Round half away from zero to ``places`` decimals, exactly."""
    exact = Fraction(value)
    scale = 10**places
    quotient, remainder = divmod(abs(exact.numerator) * scale, exact.denominator)
    if 2 * remainder >= exact.denominator:
        quotient += 1
    return decimal_of(-quotient if exact < 0 else quotient, places)


def floor(value: Number) -> int:
    return math.floor(Fraction(value))


def ceil(value: Number) -> int:
    return math.ceil(Fraction(value))


def as_decimal(value: Number, digits: int = 28) -> Decimal:
    """A decimal for display: exact when the value ends, else ``digits`` significant digits."""
    if isinstance(value, Fraction):
        exact = normal(value)
        if isinstance(exact, Decimal):
            return exact
        from decimal import Context

        return Context(prec=digits).divide(Decimal(value.numerator), Decimal(value.denominator))
    return Decimal(value)
