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
from crmcore.receivables._aging import InstallmentRecord
from crmcore.receivables._behaviour import PaymentBehaviour, payment_behaviour
from crmcore.receivables._receivable import Receivable

__all__ = [
    "PRIOR_DELAY",
    "CashForecast",
    "CashForecastRow",
    "DsoReport",
    "DsoRow",
    "check_forecast_arguments",
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


def _delays_of(
    found: PaymentBehaviour | None, prior: tuple[int, int, int]
) -> tuple[int, int, int]:
    if found is None:
        return prior
    return (found.median_days_late, found.p10_days_late, found.p90_days_late)


def collections_forecast(
    receivables: Iterable[Receivable | InstallmentRecord],
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

    Plain [`InstallmentRecord`][crmcore.receivables.InstallmentRecord] rows (an export of the
    open installments; rows with nothing outstanding are skipped) may stand for receivables:
    their customers' delays come from ``behaviour`` (the receivables among the items, if
    any, when it is not given). The columnar engine computes the same forecast from a table
    (`crmcore.analytics.Installments.collections_forecast`).
    """
    check_forecast_arguments(by, group, prior)
    every = _checked_items(receivables)
    if behaviour is None:
        known: Mapping[str, PaymentBehaviour] = payment_behaviour(
            [r for r in every if isinstance(r, Receivable)], as_of
        )
    else:
        known = behaviour
    cells: _Cells = {}
    periods = _Periods(as_of, by, known, prior)
    if not every:
        return CashForecast(as_of, by, group, None, cells)
    first = every[0]
    currency = (
        first.outstanding.currency if isinstance(first, InstallmentRecord) else first.currency
    )
    records = []
    for item in every:
        if isinstance(item, InstallmentRecord):
            records.append(item)
            continue
        if item.currency != currency:
            raise _mismatch(f"receivable {item.id}", item.currency, currency)
        key_group = _group(item, group)
        for row in item.installment_view(as_of):
            if row.outstanding.amount > 0:
                _add(
                    cells, key_group, row.outstanding.amount, periods[row.due_date, item.customer]
                )
    _add_records(cells, records, periods, group, currency)
    return CashForecast(as_of, by, group, currency, cells)


def _mismatch(name: str, found: Currency, currency: Currency) -> CurrencyMismatch:
    return CurrencyMismatch(
        f"{name} is in {found.code}, the forecast in {currency.code}: "
        "forecast each currency separately"
    )


def _add_records(
    cells: _Cells,
    records: list[InstallmentRecord],
    periods: _Periods,
    group: str | None,
    currency: Currency,
) -> None:
    """The records' amounts into the cells: the hot path of a large export, inlined."""
    add, zero = CONTEXT.add, Decimal(0)
    get = cells.get
    delays, delays_of = periods.delays, periods.delays_of
    labels, label_of = periods.labels, periods.label
    for record in records:
        money = record.outstanding
        if money.currency is not currency and money.currency != currency:
            raise _mismatch(f"installment of {record.customer}", money.currency, currency)
        amount = money.amount
        if not amount > 0:
            continue
        d0, d1, d2 = delays.get(record.customer) or delays_of(record.customer)
        ordinal = record.due_date.toordinal()
        expected = labels.get(ordinal + d0) or label_of(ordinal + d0)
        early = labels.get(ordinal + d1) or label_of(ordinal + d1)
        late = labels.get(ordinal + d2) or label_of(ordinal + d2)
        name = "all" if group is None else (getattr(record, group) or "(none)")
        cell = get((name, expected))
        if cell is None:
            cell = cells[name, expected] = [0, zero, zero, zero]
        cell[0] += 1
        cell[1] = add(cell[1], amount)
        cell = get((name, early))
        if cell is None:
            cell = cells[name, early] = [0, zero, zero, zero]
        cell[2] = add(cell[2], amount)
        cell = get((name, late))
        if cell is None:
            cell = cells[name, late] = [0, zero, zero, zero]
        cell[3] = add(cell[3], amount)


def _checked_items(
    items: Iterable[Receivable | InstallmentRecord],
) -> list[Receivable | InstallmentRecord]:
    every = list(items)
    for item in every:
        if not isinstance(item, (Receivable, InstallmentRecord)):
            raise ValidationError(
                f"receivables: expected Receivable or InstallmentRecord, got {type(item).__name__}"
            )
    return every


class _Periods:
    """The expected, early and late periods of a due date for a customer: each customer's
    delays and each day's period (a day before ``as_of`` is in ``as_of``'s) computed once."""

    def __init__(
        self,
        as_of: date,
        by: str,
        known: Mapping[str, PaymentBehaviour],
        prior: tuple[int, int, int],
    ) -> None:
        self.as_of, self.by, self.known, self.prior = as_of, by, known, prior
        self.delays: dict[str, tuple[int, int, int]] = {}
        self.labels: dict[int, str] = {}

    def delays_of(self, customer: str) -> tuple[int, int, int]:
        """The customer's (median, p10, p90) days late, or the prior."""
        found = self.delays.get(customer)
        if found is None:
            found = self.delays[customer] = _delays_of(self.known.get(customer), self.prior)
        return found

    def label(self, ordinal: int) -> str:
        """The period of the day ``ordinal`` (``date.toordinal``)."""
        found = self.labels.get(ordinal)
        if found is None:
            day = max(date.fromordinal(ordinal), self.as_of)
            found = self.labels[ordinal] = _period(day, self.by)
        return found

    def __getitem__(self, key: tuple[date, str]) -> tuple[str, str, str]:
        due, customer = key
        ordinal = due.toordinal()
        d0, d1, d2 = self.delays_of(customer)
        return self.label(ordinal + d0), self.label(ordinal + d1), self.label(ordinal + d2)


def _add(cells: _Cells, key_group: str, amount: Decimal, periods: tuple[str, str, str]) -> None:
    """One installment's amount into its expected, early and late periods."""
    expected, early, late = periods
    counted = cells.setdefault((key_group, expected), [0, Decimal(0), Decimal(0), Decimal(0)])
    counted[0] += 1
    counted[1] = CONTEXT.add(counted[1], amount)
    for index, period in ((2, early), (3, late)):
        cell = cells.setdefault((key_group, period), [0, Decimal(0), Decimal(0), Decimal(0)])
        cell[index] = CONTEXT.add(cell[index], amount)


def check_forecast_arguments(by: str, group: str | None, prior: tuple[int, int, int]) -> None:
    """Refuse a unit, a grouping or a prior delay the collections forecast does not know."""
    if by not in _UNITS:
        raise ValidationError(f"by: {by!r} is not one of {', '.join(_UNITS)}")
    if group is not None and group not in _GROUPS:
        raise ValidationError(f"group: {group!r} is not one of {', '.join(_GROUPS)}")
    if not (isinstance(prior, tuple) and len(prior) == 3 and all(type(d) is int for d in prior)):
        raise ValidationError(f"prior: expected (median, p10, p90) days, got {prior!r}")


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
