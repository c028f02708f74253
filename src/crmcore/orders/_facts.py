"""What happened to an order's goods: shipments, receipts, return notes and short-closes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from crmcore._decimal import to_decimal
from crmcore.money import Money

__all__ = [
    "LineQuantity",
    "OrderReturn",
    "Receipt",
    "ReturnDisposition",
    "ReturnLine",
    "Shipment",
    "ShortClose",
]


class ReturnDisposition(enum.Enum):
    """What becomes of returned units."""

    #: the units are closed: the order is worth less (credit, credit note, advance).
    CLOSE = "close"
    #: the units go back to left-to-ship (a replacement); the order keeps its value.
    RESHIP = "reship"


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
    """A return note of shipped units: per line quantity and amount, and their sum.

    ``amount`` is what the order's receivable gives back (zero when the units are to be
    shipped again): pass it to the receivable with
    [`crmcore.orders.record_return_on`][crmcore.orders.record_return_on]. ``rounding`` is
    the share of the order's cash rounding it carries (``amount`` = Σ lines + rounding).
    """

    id: str
    lines: tuple[ReturnLine, ...] = attrs.field(converter=_tuple_r)
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
    disposition: ReturnDisposition = ReturnDisposition.CLOSE
    rounding: Money | None = None


@attrs.frozen
class Receipt:
    """The customer confirmed receiving one shipment."""

    shipment_id: str
    received_by: str
    received_at: datetime


@attrs.frozen
class ShortClose:
    """The rest of a partly shipped order closed: units that will never ship, and their
    amount (``amount`` = Σ lines + ``rounding``, the cash rounding's share)."""

    id: str
    lines: tuple[ReturnLine, ...] = attrs.field(converter=_tuple_r)
    amount: Money
    reason: str
    closed_by: str
    closed_at: datetime
    rounding: Money | None = None
