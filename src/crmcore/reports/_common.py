"""What every report shares: the report period, one report currency (converted only with
explicit rates), the unlabelled-group names and the HTML rendering for notebooks."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmcore._decimal import context_class, to_decimal
from crmcore.errors import CurrencyMismatch, NotFound, ValidationError
from crmcore.money import Currency, Money, get_currency

__all__ = ["NO_CAMPAIGN", "NO_DEPARTMENT", "NO_TIER", "ReportCurrency", "check_period"]

#: The group of orders without a department, customers without a tier, leads without a campaign.
NO_DEPARTMENT = "(no department)"
NO_TIER = "(no tier)"
NO_CAMPAIGN = "(no campaign)"


def _plain_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{what}: expected a date (not a datetime), got {value!r}")
    return value


def check_period(start: date, end: date, as_of: date | None) -> None:
    """Refuse a period that is not a date range ``[start, end)`` with ``start < end``."""
    _plain_date(start, "start")
    _plain_date(end, "end")
    if not start < end:
        raise ValidationError(
            f"period: start {start.isoformat()} must be before end {end.isoformat()} "
            "(the period is [start, end))"
        )
    if as_of is not None:
        _plain_date(as_of, "as_of")
        if as_of < start:
            raise ValidationError(
                f"as_of {as_of.isoformat()} is before the period's start {start.isoformat()}: "
                "nothing in the period can be known yet"
            )


def _rates(
    currency: Currency | None, rates: Mapping[str, object] | None
) -> dict[Currency, Decimal]:
    if not rates:
        return {}
    if currency is None:
        raise ValidationError(
            f"rates {sorted(rates)}: give the report currency (currency=...) to convert into"
        )
    checked = {}
    for code, raw in rates.items():
        rate = to_decimal(raw, f"rates[{code!r}]")
        if not rate > 0:
            raise ValidationError(f"rates[{code!r}]: must be > 0, got {raw!r}")
        checked[get_currency(code)] = rate
    return checked


class ReportCurrency:
    """The one currency a report adds in.

    Without ``currency`` the first amount seen sets it. An amount in another currency is
    converted when ``rates`` has it (units of the report currency per unit, rounded to the
    report currency's minor unit per amount, so every grouping adds the same figures) and
    refused with ``CurrencyMismatch`` otherwise: currencies are never added silently.
    """

    __slots__ = ("currency", "rates")

    def __init__(
        self, currency: str | Currency | None = None, rates: Mapping[str, object] | None = None
    ) -> None:
        self.currency: Currency | None = None if currency is None else get_currency(currency)
        self.rates = _rates(self.currency, rates)

    def amount(self, money: Money, where: str) -> Decimal:
        """``money`` as an amount in the report currency."""
        cur = money.currency
        if self.currency is None:
            self.currency = cur
        if cur is self.currency or cur == self.currency:
            return money.amount
        rate = self.rates.get(cur)
        if rate is None:
            raise CurrencyMismatch(
                f"{where}: {money} is not in the report currency {self.currency.code}; "
                f"give rates={{'{cur.code}': ...}} with currency='{self.currency.code}' "
                "to convert it, or report each currency separately"
            )
        return Money(money.amount * rate, self.currency).round().amount

    def money(self, amount: Decimal) -> Money:
        """A report amount as Money (the report currency must be known)."""
        if self.currency is None:
            raise ValidationError(
                "the report currency is not known yet: no amount set it; pass currency=..."
            )
        return Money(amount, self.currency).round()


@context_class
class RowsWithTotal:
    """What every report result shares: its rows, a total row, and records for pandas."""

    __slots__ = ()

    rows: tuple[Any, ...]
    total: Any

    def to_records(self, total: bool = True) -> list[dict[str, Any]]:
        """One dict per row (and the total row last), for pandas."""
        records = [r.to_record() for r in self.rows]
        if total and self.total is not None:
            records.append(self.total.to_record())
        return records

    def _find(self, attribute: str, key: object, missing: str) -> Any:
        for row in self.rows:
            if getattr(row, attribute) == key:
                return row
        raise NotFound(missing)


def html_table(title: str, records: Sequence[Mapping[str, object]]) -> str:
    """A small HTML table of ``records`` (for Jupyter's ``_repr_html_``)."""
    if not records:
        return f"<p><b>{html.escape(title)}</b>: no rows</p>"
    header = list(records[0])
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape('' if r.get(h) is None else str(r.get(h)))}</td>" for h in header
        )
        + "</tr>"
        for r in records
    )
    return (
        f"<table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
