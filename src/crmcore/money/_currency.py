"""Currencies: an ISO 4217 code and its minor units, from ISO 4217 data shipped with crmcore.

Minor units decide what a stored amount means, so they are crmcore's own data (List One,
see ``_iso4217``), never a formatting library's: upgrading Babel cannot make a stored
``1000.50 HUF`` unloadable. Babel stays the source of names, symbols and formatting.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import attrs

from crmcore._numbers import show
from crmcore.errors import ValidationError
from crmcore.money._iso4217 import MINOR_UNITS

__all__ = ["UNDEFINED_MINOR_UNITS", "Currency", "get_currency", "register_currency"]

#: Decimals used for codes whose minor unit ISO 4217 gives as "N.A." (XAU, XDR, XTS, XXX, ...)
#: unless a host registers its own: two, as CLDR does, so amounts stored earlier keep loading.
UNDEFINED_MINOR_UNITS: Final = 2


@attrs.frozen(repr=False)
class Currency:
    """An ISO 4217 currency; equal by code. Obtain one with
    [`get_currency`][crmcore.money.get_currency]."""

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
    if type(code) is not str:
        raise ValidationError(f"currency: expected an ISO 4217 code, got {show(code)}")
    currency = _REGISTRY.get(code)
    if currency is not None:
        return currency
    return _load(code)


def _load(code: object) -> Currency:
    if not isinstance(code, str):
        raise ValidationError(f"currency: expected an ISO 4217 code, got {show(code)}")
    if code in _OVERRIDES:
        minor = _OVERRIDES[code]
    elif code in MINOR_UNITS:
        iso_minor = MINOR_UNITS[code]
        minor = UNDEFINED_MINOR_UNITS if iso_minor is None else iso_minor
    else:
        raise ValidationError(
            f"currency: {show(code)} is not a current ISO 4217 currency code "
            "(register it with crmcore.money.register_currency)"
        )
    currency = Currency(code, minor)
    _REGISTRY[code] = currency
    return currency


def register_currency(code: str, minor_units: int) -> Currency:
    """Add a currency or override its minor units; call it at start-up, before creating Money.

    Example: a host that bills Hungarian forints without fillér registers ``("HUF", 0)``.
    """
    if not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper()):
        raise ValidationError(f"currency: code {show(code)} must be three upper-case letters")
    if type(minor_units) is not int or not 0 <= minor_units <= 8:
        raise ValidationError(f"currency {code}: minor_units {show(minor_units)} must be 0..8")
    _OVERRIDES[code] = minor_units
    _REGISTRY.pop(code, None)
    return _load(code)
