"""Bookings quotas per salesperson and period: what each was asked to sell, what they booked
(orders confirmed in the period, net of what came back) and the gap — beside the collections
targets, which measure money received."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import in_context
from crmcore._validators import non_empty
from crmcore.errors import NotFound, ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.reports._campaigns import ratio_percent
from crmcore.reports._common import ReportCurrency, RowsWithTotal, html_table
from crmcore.reports._sales import iter_confirmed

__all__ = ["Quota", "QuotaReport", "QuotaRow", "quota_attainment"]

_GRAINS = ("month", "quarter", "year")


def period_bounds(label: str) -> tuple[str, date, date]:
    """``(grain, first day, day after the last)`` of ``"2026-03"``, ``"2026-Q1"`` or ``"2026"``."""
    text = label if isinstance(label, str) else ""
    try:
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return "year", date(year, 1, 1), date(year + 1, 1, 1)
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit():
            year, tail = int(text[:4]), text[5:]
            if tail in ("Q1", "Q2", "Q3", "Q4"):
                first = 3 * (int(tail[1]) - 1) + 1
                end = date(year + 1, 1, 1) if first == 10 else date(year, first + 3, 1)
                return "quarter", date(year, first, 1), end
            if tail.isdigit() and 1 <= int(tail) <= 12:
                month = int(tail)
                end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
                return "month", date(year, month, 1), end
    except ValueError:  # year 0 or past 9999
        pass
    raise ValidationError(
        f"period: {label!r} is not a month, quarter or year like '2026-03', '2026-Q1', '2026'"
    )


def _quota_amount(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise ValidationError(f"{attribute.name}: expected Money >= 0, got {value!r}")


def _period(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    period_bounds(value)  # type: ignore[arg-type]


@attrs.frozen
class Quota:
    """What ``owner_id`` is asked to book in ``period`` (``"2026-03"``, ``"2026-Q1"``,
    ``"2026"``), like Salesforce forecast quotas or ERPNext sales-person targets."""

    owner_id: str = attrs.field(validator=non_empty)
    period: str = attrs.field(validator=_period)
    amount: Money = attrs.field(validator=_quota_amount)


@attrs.frozen
class QuotaRow:
    """One salesperson's period: ``booked`` (orders confirmed in it), ``returns`` on them as of
    the report date, ``net_booked`` = booked − returns, ``gap`` = quota − net booked and
    ``attainment`` = net booked / quota (None for a zero quota)."""

    owner_id: str
    period: str
    quota: Money
    orders: int
    booked: Money
    returns: Money
    net_booked: Money
    gap: Money
    attainment: Percent | None

    def to_record(self) -> dict[str, Any]:
        """A plain dict: amounts as Decimal strings, the currency in its own column."""
        return {
            "owner_id": self.owner_id,
            "period": self.period,
            "currency": self.quota.currency.code,
            "quota": str(self.quota.amount),
            "orders": self.orders,
            "booked": str(self.booked.amount),
            "returns": str(self.returns.amount),
            "net_booked": str(self.net_booked.amount),
            "gap": str(self.gap.amount),
            "attainment": None if self.attainment is None else str(self.attainment.value),
        }


@attrs.frozen
class QuotaReport(RowsWithTotal):
    """A row per (period, owner) with a quota, and the total over them (periods of one grain
    never overlap, so the total is the team's quota against what the team booked)."""

    grain: str
    as_of: date
    currency: Currency | None
    rows: tuple[QuotaRow, ...]
    total: QuotaRow | None

    def row(self, owner_id: str, period: str) -> QuotaRow:
        """The row of ``owner_id`` in ``period``."""
        for found in self.rows:
            if found.owner_id == owner_id and found.period == period:
                return found
        raise NotFound(f"quota report: no quota of {owner_id!r} in {period!r}")

    def _repr_html_(self) -> str:
        title = f"Bookings against quota ({self.grain}), as of {self.as_of.isoformat()}"
        return html_table(title, self.to_records())


def _row(
    owner_id: str,
    period: str,
    quota: Decimal,
    orders: int,
    sums: list[Decimal],
    money: ReportCurrency,
) -> QuotaRow:
    booked, returns = sums
    net = booked - returns
    return QuotaRow(
        owner_id,
        period,
        money.money(quota),
        orders,
        money.money(booked),
        money.money(returns),
        money.money(net),
        money.money(quota - net),
        ratio_percent(net, quota),
    )


@in_context
def quota_attainment(
    sales: Iterable[Any],
    quotas: Iterable[Quota],
    *,
    as_of: date,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> QuotaReport:
    """Each quota against the owner's orders confirmed in its period (by ``as_of``, cancelled
    ones excluded, as the sales report counts them), net of returns recorded by ``as_of``.

    ``sales`` are orders or ``(order, receivable)`` pairs, as for ``sales_report``. Every
    quota must be of one grain (all months, all quarters or all years) and in the report
    currency (or convertible with ``rates``); an owner has at most one quota per period.
    """
    money = ReportCurrency(currency, rates)
    wanted: dict[tuple[str, str], Decimal] = {}
    grains: set[str] = set()
    bounds: dict[str, tuple[date, date]] = {}
    for i, quota in enumerate(quotas):
        if not isinstance(quota, Quota):
            raise ValidationError(f"quotas[{i}]: expected a Quota, got {quota!r}")
        key = (quota.period, quota.owner_id)
        if key in wanted:
            raise ValidationError(
                f"quotas[{i}]: {quota.owner_id!r} has two quotas for {quota.period!r}"
            )
        grain, start, end = period_bounds(quota.period)
        grains.add(grain)
        bounds[quota.period] = (start, end)
        wanted[key] = money.amount(quota.amount, f"quotas[{i}]")
    if len(grains) > 1:
        raise ValidationError(
            f"quotas: mix {', '.join(g for g in _GRAINS if g in grains)}; give one grain per "
            "report so the periods do not overlap"
        )
    owners = {owner for _, owner in wanted}
    sums: dict[tuple[str, str], list[Decimal]] = {}
    counts: dict[tuple[str, str], int] = {}
    if wanted:
        first = min(start for start, _ in bounds.values())
        last = max(end for _, end in bounds.values())
        for order, _, figures in iter_confirmed(sales, first, last, as_of, money):
            if order.owner_id not in owners:
                continue
            assert order.confirmed_at is not None
            day = order.confirmed_at.date()
            for period, (start, end) in bounds.items():
                key = (period, order.owner_id)
                if start <= day < end and key in wanted:
                    acc = sums.setdefault(key, [Decimal(0), Decimal(0)])
                    acc[0] += figures[0]  # confirmed total
                    acc[1] += figures[1]  # returns
                    counts[key] = counts.get(key, 0) + 1
    grain = next(iter(grains), "month")
    if money.currency is None:
        return QuotaReport(grain, as_of, None, (), None)
    zero = [Decimal(0), Decimal(0)]
    keys = sorted(wanted)
    rows = tuple(
        _row(
            owner,
            period,
            wanted[(period, owner)],
            counts.get((period, owner), 0),
            sums.get((period, owner), zero),
            money,
        )
        for period, owner in keys
    )
    grand = [sum((s[i] for s in sums.values()), Decimal(0)) for i in range(2)]
    total = _row(
        "total", "all", sum(wanted.values(), Decimal(0)), sum(counts.values()), grand, money
    )
    return QuotaReport(grain, as_of, money.currency, rows, total)
