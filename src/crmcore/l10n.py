"""Money, dates and words for people, through Babel (CLDR and gettext catalogs).

The locale is always explicit: ``format_money``, ``parse_money`` and ``format_day`` read and
write what people of that locale type and read; ``translation`` gives crmcore's message
catalog for it (the command line's headings, columns and sentences).
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Final

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_symbol,
    parse_decimal,
)

from crmcore import _catalogs
from crmcore._decimal import CONTEXT
from crmcore._numbers import bounded
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, get_currency

__all__ = ["format_day", "format_money", "parse_money", "translation"]

_SPACES: Final = re.compile(r"[\s\u00a0\u202f]+")
#: What people write around an amount besides the CLDR symbol and the ISO code.
_LOCAL_MARKS: Final = {
    "CNY": ("人民币", "元", "RMB", "CN¥", "¥"),
    "JPY": ("円", "JP¥", "¥"),
    "USD": ("US$", "$"),
}


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

    The currency symbol or code may be present or not, and so may the marks people of the
    currency write (``￥1,234.50``, ``1234.5 元``, ``人民币 100``); full-width digits and
    separators count as their ASCII forms. A different currency's code, more decimals than
    the currency has, or anything that is not a number is refused.
    """
    if not isinstance(text, str):
        raise ValidationError(f"parse_money: expected text, got {type(text).__name__} {text!r}")
    cur = get_currency(currency)
    loc = _locale(locale)
    # Full-width digits, separators, signs and ￥ become their ASCII forms (NFKC).
    cleaned = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    marks = {get_currency_symbol(cur.code, loc), cur.code, *_LOCAL_MARKS.get(cur.code, ())}
    for token in sorted(marks, key=len, reverse=True):
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
    amount = bounded(amount, "parse_money: ", text)
    if amount != amount.quantize(cur.quantum, context=CONTEXT):
        raise ValidationError(
            f"parse_money: {text!r} has more decimals than {cur.code} allows ({cur.minor_units})"
        )
    return Money(-amount if negative else Decimal(amount), cur)


def format_day(day: date, *, locale: str) -> str:
    """A date as people of ``locale`` write it: ``Feb 15, 2026``, ``2026年2月15日``."""
    return str(format_date(day, format="medium", locale=_locale(locale)))


def translation(locale: str) -> gettext.NullTranslations:
    """crmcore's message catalog for ``locale`` (``translation("zh_CN").gettext("total")``
    → ``"合计"``); English and locales without a catalog give the text back unchanged."""
    _locale(locale)  # refuse what CLDR does not know, with crmcore's message
    return _catalogs.translation(locale)
