"""What happened to an order's goods: shipments and return notes (frozen values)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from crmcore._decimal import to_decimal
from crmcore.money import Money

__all__ = ["LineQuantity", "OrderReturn", "ReturnLine", "Shipment"]


def _quantity(value: object) -> Decimal:
    return to_decimal(value, "quantity")


@attrs.frozen
class LineQuantity:
    """A quantity of one priced line (``line`` is the priced line's index)."""

    line: int
    quantity: Decimal = attrs.field(converter=_quantity)


@attrs.frozen
class ReturnLine:
    """A returned quantity of one line and the exact amount it takes off the order."""

    line: int
    quantity: Decimal = attrs.field(converter=_quantity)
    amount: Money


def _tuple_q(value: Iterable[LineQuantity]) -> tuple[LineQuantity, ...]:
    return tuple(value)


def _tuple_r(value: Iterable[ReturnLine]) -> tuple[ReturnLine, ...]:
    return tuple(value)


@attrs.frozen
class Shipment:
    """One shipment: which quantities of which lines left, by whom and when."""

    id: str
    lines: tuple[LineQuantity, ...] = attrs.field(converter=_tuple_q)
    shipped_by: str
    shipped_at: datetime
    reference: str | None = None


@attrs.frozen
class OrderReturn:
    """A return note after receipt: per line quantity and amount, and their sum.

    ``amount`` is what the order's receivable gives back: pass it to
    ``Receivable.record_return`` (see
    [`crmcore.orders.record_return_on`][crmcore.orders.record_return_on]).
    """

    id: str
    lines: tuple[ReturnLine, ...] = attrs.field(converter=_tuple_r)
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
