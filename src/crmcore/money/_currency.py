"""Currencies: an ISO 4217 code and its minor units, from CLDR through Babel."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import attrs
from babel.numbers import get_currency_precision, is_currency

from crmcore.errors import ValidationError

__all__ = ["Currency", "get_currency", "register_currency"]


@attrs.frozen(repr=False)
class Currency:
    """An ISO 4217 currency; equal by code. Obtain one with :func:`get_currency`."""

    code: str
    minor_units: int = attrs.field(eq=False)
    #: ``Decimal("0.01")`` for two minor units: the quantum amounts are rounded to.
    quantum: Decimal = attrs.field(eq=False, init=False)

    @quantum.default
    def _quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units)

    def __repr__(self) -> str:
        return f"Currency({self.code!r}, minor_units={self.minor_units})"

    def __str__(self) -> str:
        return self.code


_REGISTRY: Final[dict[str, Currency]] = {}
_OVERRIDES: Final[dict[str, int]] = {}


def get_currency(code: str | Currency) -> Currency:
    """Return the currency for an ISO 4217 code such as ``"CNY"`` (upper case, 3 letters)."""
    if type(code) is Currency:
        return code
    currency = _REGISTRY.get(code)  # type: ignore[arg-type]
    if currency is not None:
        return currency
    return _load(code)


def _load(code: object) -> Currency:
    if not isinstance(code, str):
        raise ValidationError(f"currency: expected an ISO 4217 code, got {code!r}")
    if code in _OVERRIDES:
        minor = _OVERRIDES[code]
    elif len(code) == 3 and code.isalpha() and code.isupper() and is_currency(code):
        minor = int(get_currency_precision(code))
    else:
        raise ValidationError(
            f"currency: {code!r} is not an ISO 4217 currency code known to CLDR "
            "(register it with crmcore.money.register_currency)"
        )
    currency = Currency(code, minor)
    _REGISTRY[code] = currency
    return currency


def register_currency(code: str, minor_units: int) -> Currency:
    """Add a currency or override its minor units; call it at start-up, before creating Money.

    Example: a host that bills Hungarian forints without fillér registers ``("HUF", 0)``.
    """
    if not (len(code) == 3 and code.isalpha() and code.isupper()):
        raise ValidationError(f"currency: code {code!r} must be three upper-case letters")
    if type(minor_units) is not int or not 0 <= minor_units <= 8:
        raise ValidationError(f"currency {code}: minor_units {minor_units!r} must be 0..8")
    _OVERRIDES[code] = minor_units
    _REGISTRY.pop(code, None)
    return _load(code)
