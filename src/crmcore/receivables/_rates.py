"""Exchange rates a host gives for one day: how credit figures in several currencies are put
into one, with the rate date kept on every decision made with them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Currency, Money, get_currency

__all__ = ["ExchangeRates"]


def _rate_table(value: Mapping[Any, Any]) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"rates: expected a mapping of currency → rate, got {value!r}")
    table: dict[str, Decimal] = {}
    for code, raw in value.items():
        currency = get_currency(code)
        if isinstance(raw, float | bool):
            raise ValidationError(
                f"rates[{currency.code}]: {raw!r} refused; give a Decimal or str"
            )
        try:
            rate = Decimal(raw) if isinstance(raw, int | str) else raw
        except ArithmeticError:
            rate = None
        if not isinstance(rate, Decimal) or not rate.is_finite() or not rate > 0:
            raise ValidationError(f"rates[{currency.code}]: must be a number > 0, got {raw!r}")
        table[currency.code] = rate
    return table


@attrs.frozen
class ExchangeRates:
    """Units of ``base`` per unit of each other currency, valid ``on`` one day.

    ``ExchangeRates("CNY", {"USD": "7.10"}, on=date(2026, 3, 2))`` converts 100 USD to
    710.00 CNY, rounded once to the base currency's minor unit.
    """

    base: Currency = attrs.field(converter=get_currency)
    rates: dict[str, Decimal] = attrs.field(converter=_rate_table)
    on: date = attrs.field()

    @on.validator
    def _check_on(self, _: attrs.Attribute[date], value: object) -> None:
        if type(value) is not date:
            raise ValidationError(f"on: expected a date, got {value!r}")

    def convert(self, money: Money, to: Currency | str | None = None, *, what: str = "") -> Money:
        """``money`` in ``to`` (default: the base), through the base; CurrencyMismatch names
        the missing rate."""
        target = self.base if to is None else get_currency(to)
        if money.currency == target:
            return money
        in_base = (
            money.amount
            if money.currency == self.base
            else CONTEXT.multiply(money.amount, self._rate(money.currency, what))
        )
        if target == self.base:
            return Money(in_base, target).round()
        return Money(CONTEXT.divide(in_base, self._rate(target, what)), target).round()

    def _rate(self, currency: Currency, what: str) -> Decimal:
        rate = self.rates.get(currency.code)
        if rate is None:
            where = f"{what}: " if what else ""
            raise CurrencyMismatch(
                f"{where}no exchange rate for {currency.code} → {self.base.code} on "
                f"{self.on.isoformat()}; add it to the rates"
            )
        return rate
