"""Private helpers that turn input into exact Decimals and refuse floats."""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Final

from crmcore._numbers import bounded, bounded_int, parse_text, show
from crmcore.errors import ValidationError

#: The arithmetic context of every crmcore calculation: decimal128 precision, traps on,
#: independent of whatever the host did to ``decimal.getcontext()``.
CONTEXT: Final = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

DecimalInput = Decimal | int | str


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Return ``value`` as a finite Decimal, or raise ValidationError saying why not.

    Floats are refused because ``0.1`` is not one tenth; pass ``"0.1"`` or ``Decimal("0.1")``.
    ``what`` names the value in the message (``"amount: float 0.1 refused..."``); pass ``""``
    where the caller already names the path.
    """
    what = f"{what}: " if what else ""
    if type(value) is Decimal:
        return bounded(value, what)
    if isinstance(value, str):
        return parse_text(value, what)
    if isinstance(value, int) and not isinstance(value, bool):
        return bounded_int(value, what)
    if isinstance(value, float):
        raise ValidationError(
            f"{what}float {value!r} refused; floats are inexact (0.1 is not one tenth), "
            f"pass a str or Decimal such as {_suggest(value)!r}"
        )
    if isinstance(value, Decimal):
        return bounded(Decimal(value), what)
    raise ValidationError(
        f"{what}expected Decimal, int or str, got {type(value).__name__} {show(value)}"
    )


def _suggest(value: float) -> str:
    return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "0"


def scale_to_integers(values: list[Decimal]) -> list[int]:
    """Scale exact decimals by one power of ten so they all become integers (ratios kept).

    Zeros do not count (``0E-999999`` is zero at any scale); callers pass bounded numbers
    (``crmcore._numbers``), so the integers have at most ``MAX_DIGITS - MIN_EXPONENT`` digits.
    """
    exponent = min((v.as_tuple().exponent for v in values if v), default=0)
    shift = -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0
    return [int(v.scaleb(shift, CONTEXT)) if v else 0 for v in values]
