"""Cash to come: the collections forecast (expected cash-in per week or month, each open
installment shifted by its customer's usual delay) and days sales outstanding (DSO, count-back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

import attrs

from crmcore._decimal import CONTEXT
from crmcore._tables import Record, ResultTable
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Currency, Money
from crmcore.receivables._behaviour import PaymentBehaviour, payment_behaviour
from crmcore.receivables._receivable import Receivable

__all__ = [
    "PRIOR_DELAY",
    "CashForecast",
    "CashForecastRow",
    "DsoReport",
    "DsoRow",
    "collections_forecast",
    "days_sales_outstanding",
]

#: The delay (days late: median, 10th and 90th percentile) assumed for a customer with no
#: settled installment yet, unless the caller states another: due day, up to two weeks late.
PRIOR_DELAY: Final = (0, 0, 14)
_GROUPS: Final = ("owner", "customer", "department")
_UNITS: Final = ("week", "month")


def _period(day: date, by: str) -> str:
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _group(receivable: Receivable, group: str | None) -> str:
    if group is None:
        return "all"
    value = {
        "owner": getattr(receivable, "owner_id", None) or getattr(receivable, "owner", None),
        "customer": receivable.customer,
        "department": receivable.department,
    }[group]
    return value or "(none)"


@attrs.frozen
class CashForecastRow:
    """Cash expected in one period for one group: ``expected`` with each installment on its
    customer's median delay, ``early`` on their 10th-percentile delay and ``late`` on their
    90th — a band that moves every installment together, wider than the quantile of a sum of
    independent payments."""

    group: str
    period: str
    installments: int
    expected: Money
    early: Money
    late: Money

    def to_record(self, group_name: str | None = None) -> Record:
        """A plain dict with Decimal amounts; the group column is named by the grouping."""
        head: Record = {} if group_name is None else {group_name: self.group}
        return {
            **head,
            "period": self.period,
            "currency": self.expected.currency.code,
            "installments": self.installments,
            "expected": self.expected.amount,
            "early": self.early.amount,
            "late": self.late.amount,
        }


# (group, period) → [installments, expected, early, late]
_Cells = dict[tuple[str, str], list[Any]]


@attrs.define(eq=False, repr=False)
class CashForecast(ResultTable):
    """Expected cash-in per (group, period) from the open installments on ``as_of``.

    Mergeable like the sales forecast: forecasts of partitions of the receivables (made with
    the same ``behaviour``, ``by``, ``group`` and ``as_of``) add up with ``+`` (or ``sum``)
    to the forecast of the whole. Sums stay unrounded; rows round once.
    """

    as_of: date
    by: str
    group: str | None
    currency: Currency | None
    _cells: _Cells = attrs.field(factory=dict, alias="cells")

    def __add__(self, other: CashForecast) -> CashForecast:
        if not isinstance(other, CashForecast):
            return NotImplemented
        settings = (self.as_of, self.by, self.group)
        if settings != (other.as_of, other.by, other.group):
            raise ValidationError(
                f"cannot merge a forecast by {other.by}/{other.group} as of {other.as_of} "
                f"into one by {self.by}/{self.group} as of {self.as_of}"
            )
        if None not in (self.currency, other.currency) and self.currency != other.currency:
            raise CurrencyMismatch(f"cannot merge {other.currency} into {self.currency}")
        cells: _Cells = {key: list(value) for key, value in self._cells.items()}
        for key, value in other._cells.items():
            mine = cells.setdefault(key, [0, Decimal(0), Decimal(0), Decimal(0)])
            mine[0] += value[0]
            for i in (1, 2, 3):
                mine[i] = CONTEXT.add(mine[i], value[i])
        return CashForecast(
            self.as_of, self.by, self.group, self.currency or other.currency, cells
        )

    def __radd__(self, other: object) -> CashForecast:
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    @property
    def rows(self) -> tuple[CashForecastRow, ...]:
        """One row per (group, period), by group then period."""
        if self.currency is None:
            return ()
        currency = self.currency
        return tuple(
            CashForecastRow(
                group,
                period,
                cell[0],
                *(Money(cell[i], currency).round() for i in (1, 2, 3)),
            )
            for (group, period), cell in sorted(self._cells.items())
        )

    def row(self, period: str, group: str = "all") -> CashForecastRow:
        """The row of ``period`` (and ``group`` when grouped)."""
        for found in self.rows:
            if found.period == period and found.group == group:
                return found
        raise ValidationError(f"collections forecast: no row for {group!r} in {period!r}")

    def to_records(self) -> list[Record]:
        """One dict per row, for pandas."""
        return [r.to_record(self.group) for r in self.rows]

    def total_records(self) -> list[Record]:
        """Per period, the sum over the groups."""
        if self.group is None:
            return []
        sums: dict[str, list[Any]] = {}
        for row in self.rows:
            acc = sums.setdefault(row.period, [0, Decimal(0), Decimal(0), Decimal(0)])
            acc[0] += row.installments
            for i, money in enumerate((row.expected, row.early, row.late), start=1):
                acc[i] += money.amount
        code = self.currency.code if self.currency is not None else ""
        return [
            {
                self.group: "total",
                "period": period,
                "currency": code,
                "installments": acc[0],
                "expected": acc[1],
                "early": acc[2],
                "late": acc[3],
            }
            for period, acc in sorted(sums.items())
        ]

    def _caption(self) -> str:
        return f"Collections forecast by {self.by} as of {self.as_of.isoformat()}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CashForecast):
            return NotImplemented
        return (self.as_of, self.by, self.group, self.currency, self._cells) == (
            other.as_of,
            other.by,
            other.group,
            other.currency,
            other._cells,
        )

    __hash__ = None  # type: ignore[assignment]


def collections_forecast(
    receivables: Iterable[Receivable],
    as_of: date,
    *,
    by: str = "month",
    group: str | None = None,
    behaviour: Mapping[str, PaymentBehaviour] | None = None,
    prior: tuple[int, int, int] = PRIOR_DELAY,
) -> CashForecast:
    """When the open installments' money should come in, per week or month.

    Each installment's outstanding amount on ``as_of`` (returns and confirmed payments taken
    off) is expected on its due date shifted by its customer's median delay (from
    ``payment_behaviour``; pass ``behaviour`` computed once over the whole history when
    forecasting partitions), ``prior`` for a customer with no settled installment yet. A day
    already past puts the money in ``as_of``'s period: it is late, not lost. ``group`` splits
    the forecast by owner, customer or department.
    """
    if by not in _UNITS:
        raise ValidationError(f"by: {by!r} is not one of {', '.join(_UNITS)}")
    if group is not None and group not in _GROUPS:
        raise ValidationError(f"group: {group!r} is not one of {', '.join(_GROUPS)}")
    if not (isinstance(prior, tuple) and len(prior) == 3 and all(type(d) is int for d in prior)):
        raise ValidationError(f"prior: expected (median, p10, p90) days, got {prior!r}")
    every = list(receivables)
    known = payment_behaviour(every, as_of) if behaviour is None else behaviour
    cells: _Cells = {}
    currency: Currency | None = None
    for receivable in every:
        if currency is None:
            currency = receivable.currency
        elif receivable.currency != currency:
            raise CurrencyMismatch(
                f"receivable {receivable.id} is in {receivable.currency.code}, the forecast in "
                f"{currency.code}: forecast each currency separately"
            )
        found = known.get(receivable.customer)
        delays = (
            prior
            if found is None
            else (found.median_days_late, found.p10_days_late, found.p90_days_late)
        )
        key_group = _group(receivable, group)
        for row in receivable.installment_view(as_of):
            amount = row.outstanding.amount
            if not amount > 0:
                continue
            expected, early, late = (
                _period(max(row.due_date + timedelta(days=d), as_of), by) for d in delays
            )
            counted = cells.setdefault(
                (key_group, expected), [0, Decimal(0), Decimal(0), Decimal(0)]
            )
            counted[0] += 1
            counted[1] = CONTEXT.add(counted[1], amount)
            for index, period in ((2, early), (3, late)):
                cell = cells.setdefault(
                    (key_group, period), [0, Decimal(0), Decimal(0), Decimal(0)]
                )
                cell[index] = CONTEXT.add(cell[index], amount)
    return CashForecast(as_of, by, group, currency, cells)


@attrs.frozen
class DsoRow:
    """Days sales outstanding of one group on ``as_of``: ``outstanding`` receivables covered
    by the latest months of sales, counted back."""

    key: str
    outstanding: Money
    days: Decimal

    def to_record(self, key_name: str = "key") -> Record:
        """A plain dict with Decimal figures; the key column is named by the grouping."""
        return {
            key_name: self.key,
            "currency": self.outstanding.currency.code,
            "outstanding": self.outstanding.amount,
            "dso": self.days,
        }


@attrs.frozen(repr=False)
class DsoReport(ResultTable):
    """DSO per customer, per owner or for the company on ``as_of``."""

    by: str
    as_of: date
    rows: tuple[DsoRow, ...]

    def row(self, key: str) -> DsoRow:
        """The row of ``key`` (a customer, an owner, or ``"all"``)."""
        for found in self.rows:
            if found.key == key:
                return found
        raise ValidationError(f"DSO by {self.by}: no row {key!r}")

    def to_records(self) -> list[Record]:
        """One dict per row, for pandas."""
        return [r.to_record(self.by) for r in self.rows]

    def _caption(self) -> str:
        return f"Days sales outstanding by {self.by} as of {self.as_of.isoformat()}"


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _count_back(outstanding: Decimal, sales: Mapping[date, Decimal], as_of: date) -> Decimal:
    """Count-back DSO: whole months of sales (latest first, the current month up to
    ``as_of``) until they cover ``outstanding``, plus the covered fraction of the next."""
    days = Decimal(0)
    left = outstanding
    month = _month_start(as_of)
    oldest = min(sales) if sales else month
    while left > 0 and month >= oldest:
        end = as_of if month == _month_start(as_of) else _next_month(month) - timedelta(days=1)
        length = Decimal((end - month).days + 1)
        sold = sales.get(month, Decimal(0))
        if sold >= left:
            days = CONTEXT.add(days, CONTEXT.divide(CONTEXT.multiply(length, left), sold))
            left = Decimal(0)
        else:
            days = CONTEXT.add(days, length)
            left = CONTEXT.subtract(left, sold)
        month = _month_start(month - timedelta(days=1))
    return days.quantize(Decimal("0.1"), ROUND_HALF_UP, CONTEXT)


def _next_month(month: date) -> date:
    return (
        date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    )


def days_sales_outstanding(
    receivables: Iterable[Receivable], as_of: date, *, by: str = "customer"
) -> DsoReport:
    """DSO by the count-back method, per customer or per owner (``by="all"`` for the
    company): the receivables outstanding on ``as_of`` against the sales (receivables
    issued, net of returns) of the latest months. A group whose sales do not cover what it
    owes counts every month of its history."""
    if by not in ("customer", "owner", "all"):
        raise ValidationError(f"by: {by!r} is not one of 'customer', 'owner', 'all'")
    if type(as_of) is not date:
        raise ValidationError(f"as_of: expected a date, got {as_of!r}")
    outstanding: dict[str, Decimal] = {}
    sales: dict[str, dict[date, Decimal]] = {}
    currency: Currency | None = None
    for receivable in receivables:
        if receivable.issue_date > as_of:
            continue
        if currency is None:
            currency = receivable.currency
        elif receivable.currency != currency:
            raise CurrencyMismatch(
                f"receivable {receivable.id} is in {receivable.currency.code}, DSO in "
                f"{currency.code}: compute each currency separately"
            )
        key = "all" if by == "all" else _group(receivable, by)
        balance = receivable.balance(as_of)
        outstanding[key] = CONTEXT.add(
            outstanding.get(key, Decimal(0)), balance.outstanding.amount
        )
        months = sales.setdefault(key, {})
        month = _month_start(receivable.issue_date)
        months[month] = CONTEXT.add(months.get(month, Decimal(0)), balance.net_amount.amount)
    if currency is None:
        return DsoReport(by, as_of, ())
    rows = tuple(
        DsoRow(
            key,
            Money(outstanding[key], currency).round(),
            _count_back(outstanding[key], sales[key], as_of),
        )
        for key in sorted(outstanding)
    )
    return DsoReport(by, as_of, rows)
