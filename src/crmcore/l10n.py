"""Formatting and parsing money for people, through Babel (CLDR); the locale is always explicit."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from babel.core import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_symbol,
    parse_decimal,
)

from crmcore._decimal import CONTEXT
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, get_currency

__all__ = ["format_money", "parse_money"]

_SPACES: Final = re.compile(r"[\s\u00a0\u202f]+")


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationError(f"locale: {locale!r} is not a locale known to CLDR") from None


def format_money(money: Money, *, locale: str, with_symbol: bool = True) -> str:
    """``format_money(Money("26850000", "CNY"), locale="zh_CN")`` → ``"¥26,850,000.00"``.

    The amount is rounded half-up to the currency's minor units first; ``with_symbol=False``
    gives the number alone, grouped and with the locale's separators.
    """
    loc = _locale(locale)
    rounded = money.round()
    code = money.currency.code
    if with_symbol:
        return str(format_currency(rounded.amount, code, locale=loc))
    return str(
        format_currency(rounded.amount, code, locale=loc, format="#,##0.00", currency_digits=True)
    )


def parse_money(text: str, currency: str | Currency, *, locale: str) -> Money:
    """Read an amount a person typed (``"¥1,234.50"``, ``"1.234,50 €"``) in ``locale``.

    The currency symbol or code may be present or not; a different currency's code, more
    decimals than the currency has, or anything that is not a number is refused.
    """
    if not isinstance(text, str):
        raise ValidationError(f"parse_money: expected text, got {type(text).__name__} {text!r}")
    cur = get_currency(currency)
    loc = _locale(locale)
    cleaned = _SPACES.sub("", text)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    for token in sorted({get_currency_symbol(cur.code, loc), cur.code}, key=len, reverse=True):
        cleaned = cleaned.replace(token, "")
    if cleaned.startswith(("-", "\u2212")) or cleaned.endswith("-"):
        negative = not negative if cleaned.startswith(("-", "\u2212")) else True
        cleaned = cleaned.strip("-\u2212")
    if not cleaned or not re.fullmatch(r"[\d.,'’\u066b\u066c]+", cleaned):
        raise ValidationError(f"parse_money: {text!r} is not an amount in {cur.code}")
    try:
        amount = parse_decimal(cleaned, locale=loc, strict=True)
    except NumberFormatError as exc:
        raise ValidationError(
            f"parse_money: {text!r} is not a number in locale {locale} ({exc})"
        ) from None
    if amount != amount.quantize(cur.quantum, context=CONTEXT):
        raise ValidationError(
            f"parse_money: {text!r} has more decimals than {cur.code} allows ({cur.minor_units})"
        )
    return Money(-amount if negative else Decimal(amount), cur)
