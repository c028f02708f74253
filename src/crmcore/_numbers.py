"""The one definition of a number crmcore accepts, so hostile input fails fast and clearly.

A number is accepted when:

- as text, it is ASCII: an optional sign, digits with an optional point, an optional
  exponent (``"12"``, ``"-0.5"``, ``"1.2e3"``), at most ``MAX_TEXT`` characters; no
  ``"1_000"``, no Arabic-Indic or full-width digits, no ``"NaN"`` or ``"Infinity"``;
- its magnitude is below ``10**MAX_DIGITS`` (a quintillion: any figure a business has, with
  room for the 34 significant digits of the arithmetic context to keep every minor unit);
- its finest digit is no finer than ``10**MIN_EXPONENT``.

Money, Percent, quantities, weights, tiers, rounding steps and every loader go through
``bounded`` (via ``crmcore._decimal.to_decimal``); arithmetic whose result leaves the
bounds raises ``crmcore.errors.ValidationError`` through ``check_result``. With
both ends bounded, scaling weights to integers costs at most ``MAX_DIGITS - MIN_EXPONENT``
digits, whatever exponents the input had.
"""

from __future__ import annotations

import re
import reprlib
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Final

from crmcore.errors import ValidationError

__all__ = [
    "MAX_DIGITS",
    "MAX_TEXT",
    "MIN_EXPONENT",
    "ROUNDING_MODES",
    "bounded",
    "bounded_int",
    "check_result",
    "check_rounding",
    "parse_text",
    "show",
]

#: Every accepted number is below ``10**MAX_DIGITS`` in magnitude.
MAX_DIGITS: Final = 18
#: No accepted number has a digit finer than ``10**MIN_EXPONENT``.
MIN_EXPONENT: Final = -50
#: The longest text accepted as a number.
MAX_TEXT: Final = 100
#: The rounding modes of ``decimal``, the only ones accepted as ``rounding=``.
ROUNDING_MODES: Final = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)

_LIMIT: Final = 10**MAX_DIGITS
#: Shortened reprs for messages: a few levels and items of nested data, long text cut.
_REPR: Final = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlong = 40
_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,7})?")


def show(value: object, width: int = 40) -> str:
    """A short, never-failing repr of ``value`` for messages (huge ints are not printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of about {value.bit_length() * 30103 // 100000} digits"
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_text(text: str, what: str) -> Decimal:
    """The Decimal written in ``text``, or ValidationError: ASCII digits only, bounded."""
    stripped = text.strip()
    if len(stripped) > MAX_TEXT or not _TEXT.fullmatch(stripped):
        raise ValidationError(
            f"{what}{show(text)} is not a decimal number (ASCII digits, optional sign, point "
            f"and exponent, at most {MAX_TEXT} characters)"
        )
    return bounded(Decimal(stripped), what, text)


def bounded(value: Decimal, what: str, shown: object = None) -> Decimal:
    """``value`` when finite and within the bounds, else ValidationError naming ``what``."""
    if not value.is_finite():
        raise ValidationError(
            f"{what}{show(value if shown is None else shown)} is not a finite number"
        )
    exponent = value.as_tuple().exponent
    if value and (
        value.adjusted() >= MAX_DIGITS or (isinstance(exponent, int) and exponent < MIN_EXPONENT)
    ):
        raise ValidationError(
            f"{what}{show(value if shown is None else shown)} is out of range; numbers must be "
            f"below 10**{MAX_DIGITS} with no digit finer than 10**{MIN_EXPONENT}"
        )
    return value


def bounded_int(value: int, what: str) -> Decimal:
    """An int as a Decimal when below ``10**MAX_DIGITS``, checked before any conversion."""
    if not -_LIMIT < value < _LIMIT:
        raise ValidationError(
            f"{what}{show(value)} is out of range; numbers must be below 10**{MAX_DIGITS}"
        )
    return Decimal(value)


def check_result(value: Decimal, what: str) -> Decimal:
    """``value`` when an arithmetic result stays below ``10**MAX_DIGITS``, else ValidationError."""
    if value and value.adjusted() >= MAX_DIGITS:
        raise ValidationError(
            f"{what}: the result {show(value)} is out of range; numbers must be below "
            f"10**{MAX_DIGITS}"
        )
    return value


def check_rounding(rounding: object) -> str:
    """``rounding`` when it names a ``decimal`` rounding mode, else ValidationError."""
    if not isinstance(rounding, str) or rounding not in ROUNDING_MODES:
        raise ValidationError(
            f"rounding: {show(rounding)} is not a rounding mode; use one of "
            f"{', '.join(sorted(ROUNDING_MODES))}"
        )
    return rounding
