"""The command line's words in the reader's locale: gettext messages, plurals, dates, lists.

Every heading, column, status and sentence the commands print goes through a
``Words``; the messages are extracted from these calls (``_``,
``ngettext``, ``N_``) into ``crmcore/locale`` and translated there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Final

from babel.dates import format_skeleton

from crmcore.l10n import format_day, format_money, translation
from crmcore.money import Money

__all__ = ["N_", "Words", "bucket_label", "dimension", "dimension_value"]


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark ``message`` for extraction; it is translated later, where it is printed."""
    return message


class Words:
    """Translations, plurals, dates, money and lists for one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._translation = translation(locale)

    def _(self, message: str, /, **values: object) -> str:
        """``message`` translated, with its ``{placeholders}`` filled in."""
        text = self._translation.gettext(message)
        return text.format(**values) if values else text

    def translated(self, text: str) -> str:
        """``text`` (data, such as a configured stage name) translated when the catalog has it."""
        return self._translation.gettext(text)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The singular or plural form for ``count`` (``{count}`` is filled in too)."""
        return self._translation.ngettext(singular, plural, count).format(count=count, **values)

    def day(self, day: date) -> str:
        """A date as the locale writes it (``Feb 15, 2026``, ``2026年2月15日``)."""
        return format_day(day, locale=self.locale)

    def month(self, day: date) -> str:
        """The month of ``day`` as the locale writes it (``Jan 2026``, ``2026年1月``)."""
        return str(format_skeleton("yMMM", day, locale=self.locale))

    def money(self, money: Money) -> str:
        """An amount with its symbol, always to the currency's minor units."""
        return format_money(money, locale=self.locale)

    def sentences(self, *texts: str) -> str:
        """Sentences in running text (a space between them in English, none in Chinese)."""
        joined = texts[0]
        for text in texts[1:]:
            joined = self._("{first} {second}", first=joined, second=text)
        return joined

    def items(self, texts: Iterable[str]) -> str:
        """A list in running text (``a, b``; ``a、b``), or "none"."""
        listed = list(texts)
        return self._(", ").join(listed) if listed else self._("none")


#: The names of the dimensions reports group by, and the values translated with them.
_DIMENSIONS: Final = {
    "stage": N_("stage"),
    "owner": N_("owner"),
    "department": N_("department"),
    "category": N_("category"),
    "customer": N_("customer"),
    "month": N_("month"),
    "quarter": N_("quarter"),
    "period": N_("period"),
}
_CATEGORIES: Final = {
    "pipeline": N_("pipeline"),
    "best_case": N_("best_case"),
    "commit": N_("commit"),
    "closed": N_("closed"),
    "omitted": N_("omitted"),
}
_RANGE: Final = re.compile(r"(\d+)–(\d+)")


def dimension(w: Words, name: str) -> str:
    """A dimension's name in the reader's language (``stage`` → ``阶段``)."""
    return w._(_DIMENSIONS[name]) if name in _DIMENSIONS else name


def dimension_value(w: Words, name: str, value: str) -> str:
    """A group's value: stage names and forecast categories are translated, when the catalog
    has them (a host's own stage names print as configured); people and ids never are."""
    if name == "category" and value in _CATEGORIES:
        return w._(_CATEGORIES[value])
    if name == "stage":
        return w.translated(value)
    return value


def bucket_label(w: Words, label: str) -> str:
    """An aging bucket's label: ``not yet due``, ``1–30``, ``> 120`` in the reader's words."""
    if label == "not yet due":
        return w._("not yet due")
    if label.startswith("> "):
        return w._("> {days}", days=label[2:])
    found = _RANGE.fullmatch(label)
    if found is None:
        return label
    return w._("{first}–{last}", first=found.group(1), last=found.group(2))
