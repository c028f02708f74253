"""Sales per employee and per department: orders confirmed in a period and, as of a date,
what came back, what was received, refunded, invoiced and is still outstanding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._decimal import in_context
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Currency, Money
from crmcore.orders import Order, OrderCancelled, OrderStatus
from crmcore.receivables import Receivable
from crmcore.reports._common import (
    NO_DEPARTMENT,
    ReportCurrency,
    RowsWithTotal,
    check_period,
    html_table,
)

__all__ = [
    "Sale",
    "SalesReport",
    "SalesRow",
    "confirmed_in",
    "match_receivables",
    "sales_by_department",
    "sales_by_owner",
    "sales_report",
]

#: An order with its receivable (None when none was opened yet), or an order alone.
Sale = Order | tuple[Order, Receivable | None]

#: The money columns, in report order.
FIGURES: Final = ("confirmed_total", "returns", "received", "refunded", "outstanding", "invoiced")
_DIMENSIONS: Final = ("owner", "department")


def confirmed_in(order: Order, start: date, end: date, as_of: date | None) -> bool:
    """True when ``order`` was confirmed in ``[start, end)``, on or before ``as_of``, and not
    cancelled by then (``as_of`` None: as the order stands, any cancellation counts)."""
    if order.confirmed_at is None:
        return False
    day = order.confirmed_at.date()
    if not start <= day < end or (as_of is not None and day > as_of):
        return False
    if order.status is OrderStatus.CANCELLED:
        if as_of is None:
            return False
        cancelled = next(
            (e for e in reversed(order.history) if isinstance(e, OrderCancelled)), None
        )
        return cancelled is not None and cancelled.occurred_at.date() > as_of
    return True


def _unpack(sale: Sale) -> tuple[Order, Receivable | None]:
    if isinstance(sale, Order):
        return sale, None
    order, receivable = sale
    if not isinstance(order, Order):
        raise ValidationError(f"sale: expected an Order or (Order, Receivable), got {sale!r}")
    if receivable is not None and receivable.currency != order.currency:
        raise CurrencyMismatch(
            f"order {order.id}: its receivable {receivable.id} is in "
            f"{receivable.currency.code}, the order in {order.currency.code}"
        )
    return order, receivable


def _order_figures(order: Order, receivable: Receivable | None, as_of: date) -> list[Money]:
    """The order's money figures on ``as_of``: from its receivable's balance when it has one;
    without one, nothing was received or invoiced and the net amount is outstanding."""
    total = order.grand_total
    assert total is not None  # a confirmed order is priced
    if receivable is not None:
        b = receivable.balance(as_of)
        return [total, b.returned, b.received, b.refunded, b.outstanding, b.invoiced]
    returned = sum(
        (r.amount for r in order.returns if r.recorded_at.date() <= as_of),
        Money.zero(order.currency),
    ) + sum(
        (c.amount for c in order.short_closes if c.closed_at.date() <= as_of),
        Money.zero(order.currency),
    )
    zero = Money.zero(order.currency)
    return [total, returned, zero, zero, total - returned, zero]


def iter_confirmed(
    sales: Iterable[Sale], start: date, end: date, as_of: date, money: ReportCurrency
) -> Iterator[tuple[Order, Receivable | None, list[Decimal]]]:
    """The sales whose order was confirmed in the period, with their figures converted."""
    for sale in sales:
        order, receivable = _unpack(sale)
        if not confirmed_in(order, start, end, as_of):
            continue
        where = f"order {order.id}"
        figures = [money.amount(m, where) for m in _order_figures(order, receivable, as_of)]
        yield order, receivable, figures


@attrs.frozen
class SalesRow:
    """One group's orders confirmed in the period and their money on ``as_of``."""

    key: str
    orders: int
    confirmed_total: Money
    returns: Money
    received: Money
    refunded: Money
    outstanding: Money
    invoiced: Money

    def to_record(self) -> dict[str, Any]:
        """A plain dict: amounts as Decimal strings, the currency in its own column."""
        return {
            "key": self.key,
            "currency": self.confirmed_total.currency.code,
            "orders": self.orders,
            **{name: str(getattr(self, name).amount) for name in FIGURES},
        }


def _row(key: str, count: int, sums: list[Decimal], money: ReportCurrency) -> SalesRow:
    return SalesRow(key, count, *(money.money(v) for v in sums))


@attrs.frozen
class SalesReport(RowsWithTotal):
    """Rows per owner or department (sorted by key) and the total row (None when empty and no
    currency was given). The rows always add up to the total, to the cent."""

    by: str
    start: date
    end: date
    as_of: date
    currency: Currency | None
    rows: tuple[SalesRow, ...]
    total: SalesRow | None

    def row(self, key: str) -> SalesRow:
        """The row of ``key`` (an owner id or a department)."""
        found: SalesRow = self._find("key", key, f"sales report by {self.by}: no row {key!r}")
        return found

    def _repr_html_(self) -> str:
        title = (
            f"Sales by {self.by}: confirmed {self.start.isoformat()} – {self.end.isoformat()} "
            f"(exclusive), as of {self.as_of.isoformat()}"
        )
        return html_table(title, self.to_records())


def _key_of(by: str) -> Callable[[Order], str]:
    if by == "owner":
        return lambda order: order.owner_id
    if by == "department":
        return lambda order: order.department or NO_DEPARTMENT
    raise ValidationError(f"by: {by!r} is not one of {', '.join(_DIMENSIONS)}")


@in_context
def sales_report(
    sales: Iterable[Sale],
    *,
    by: str = "owner",
    start: date,
    end: date,
    as_of: date,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> SalesReport:
    """Per owner or department: the orders confirmed in ``[start, end)`` (count and grand
    total) and, on ``as_of``, their returns, received, refunded, outstanding and invoiced.

    Streams ``sales`` once. Every figure is derived from the orders and their receivables'
    balances on ``as_of``; orders cancelled by ``as_of`` do not count.
    """
    check_period(start, end, as_of)
    key_of = _key_of(by)
    money = ReportCurrency(currency, rates)
    sums: dict[str, list[Decimal]] = {}
    counts: dict[str, int] = {}
    for order, _, figures in iter_confirmed(sales, start, end, as_of, money):
        key = key_of(order)
        acc = sums.get(key)
        if acc is None:
            sums[key] = figures
            counts[key] = 1
        else:
            for i, value in enumerate(figures):
                acc[i] += value
            counts[key] += 1
    rows = tuple(_row(k, counts[k], sums[k], money) for k in sorted(sums))
    total = None
    if money.currency is not None:
        grand = [sum((s[i] for s in sums.values()), Decimal(0)) for i in range(len(FIGURES))]
        total = _row("total", sum(counts.values()), grand, money)
    return SalesReport(by, start, end, as_of, money.currency, rows, total)


@in_context
def sales_by_owner(
    sales: Iterable[Sale],
    *,
    start: date,
    end: date,
    as_of: date,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> SalesReport:
    """[`sales_report`][crmcore.reports.sales_report] per employee (the order's owner)."""
    return sales_report(
        sales, by="owner", start=start, end=end, as_of=as_of, currency=currency, rates=rates
    )


@in_context
def sales_by_department(
    sales: Iterable[Sale],
    *,
    start: date,
    end: date,
    as_of: date,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> SalesReport:
    """[`sales_report`][crmcore.reports.sales_report] per department (``(no department)`` for
    orders without one)."""
    return sales_report(
        sales, by="department", start=start, end=end, as_of=as_of, currency=currency, rates=rates
    )


@in_context
def match_receivables(
    orders: Iterable[Order],
    receivables: Iterable[Receivable],
    receivable_id: Callable[[Order], str],
) -> Iterator[tuple[Order, Receivable | None]]:
    """Pair each order with its receivable, found by ``receivable_id(order)`` (None when the
    order has none). The receivables are indexed once; the orders stream."""
    by_id: dict[str, Receivable] = {}
    for r in receivables:
        if r.id in by_id:
            raise ValidationError(f"receivables: id {r.id!r} given twice")
        by_id[r.id] = r
    for order in orders:
        yield order, by_id.get(receivable_id(order))
