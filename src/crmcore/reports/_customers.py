"""Orders confirmed in a period per customer and per customer tier (group)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import in_context
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money
from crmcore.orders import Order
from crmcore.reports._common import (
    NO_TIER,
    ReportCurrency,
    RowsWithTotal,
    check_period,
    html_table,
)
from crmcore.reports._sales import confirmed_in

__all__ = ["OrdersReport", "OrdersRow", "orders_by_customer", "orders_by_tier"]


@attrs.frozen
class OrdersRow:
    """The number and grand total of one group's orders confirmed in the period."""

    key: str
    orders: int
    total: Money

    def to_record(self) -> dict[str, Any]:
        """A plain dict: the total as a Decimal string and its currency."""
        return {
            "key": self.key,
            "currency": self.total.currency.code,
            "orders": self.orders,
            "total": str(self.total.amount),
        }


@attrs.frozen
class OrdersReport(RowsWithTotal):
    """Rows per customer or tier, sorted by key, and the total row (None when empty and no
    currency was given)."""

    by: str
    start: date
    end: date
    as_of: date | None
    currency: Currency | None
    rows: tuple[OrdersRow, ...]
    total: OrdersRow | None

    def row(self, key: str) -> OrdersRow:
        """The row of ``key`` (a customer id or a tier)."""
        found: OrdersRow = self._find("key", key, f"orders report by {self.by}: no row {key!r}")
        return found

    def _repr_html_(self) -> str:
        title = (
            f"Orders by {self.by}: confirmed {self.start.isoformat()} – "
            f"{self.end.isoformat()} (exclusive)"
        )
        return html_table(title, self.to_records())


def _grouped(
    orders: Iterable[Order],
    key_of: Callable[[Order], str],
    by: str,
    start: date,
    end: date,
    as_of: date | None,
    currency: str | Currency | None,
    rates: Mapping[str, object] | None,
) -> OrdersReport:
    check_period(start, end, as_of)
    money = ReportCurrency(currency, rates)
    sums: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for order in orders:
        if not isinstance(order, Order):
            raise ValidationError(f"orders: expected an Order, got {order!r}")
        if not confirmed_in(order, start, end, as_of):
            continue
        total = order.grand_total
        assert total is not None  # a confirmed order is priced
        key = key_of(order)
        sums[key] = sums.get(key, Decimal(0)) + money.amount(total, f"order {order.id}")
        counts[key] = counts.get(key, 0) + 1
    rows = tuple(OrdersRow(k, counts[k], money.money(sums[k])) for k in sorted(sums))
    total_row = None
    if money.currency is not None:
        total_row = OrdersRow(
            "total", sum(counts.values()), money.money(sum(sums.values(), Decimal(0)))
        )
    return OrdersReport(by, start, end, as_of, money.currency, rows, total_row)


@in_context
def orders_by_customer(
    orders: Iterable[Order],
    *,
    start: date,
    end: date,
    as_of: date | None = None,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> OrdersReport:
    """Per customer: how many orders were confirmed in ``[start, end)`` and their grand total
    (orders cancelled by ``as_of`` — or at all, when ``as_of`` is None — left out)."""
    return _grouped(
        orders, lambda o: o.customer_id, "customer", start, end, as_of, currency, rates
    )


@in_context
def orders_by_tier(
    orders: Iterable[Order],
    *,
    start: date,
    end: date,
    tiers: Mapping[str, str] | None = None,
    as_of: date | None = None,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> OrdersReport:
    """Per customer tier: like [`orders_by_customer`][crmcore.reports.orders_by_customer], grouped
    by the customer's tier.

    The tier is ``tiers[customer_id]`` when given, else the group of the order's
    ``crmcore.pricing.Customer`` (when the order carries one), else ``(no tier)``.
    """
    table = dict(tiers or {})

    def tier_of(order: Order) -> str:
        tier = table.get(order.customer_id)
        if tier is None and not isinstance(order.customer, str):
            tier = order.customer.group
        return tier or NO_TIER

    return _grouped(orders, tier_of, "tier", start, end, as_of, currency, rates)
