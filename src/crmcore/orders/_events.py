"""Order events: frozen, each naming the order's owner (for notification routing)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from crmcore.events import DomainEvent
from crmcore.money import Money
from crmcore.orders._state import OrderStatus

__all__ = [
    "OrderApproved",
    "OrderCancelled",
    "OrderCompleted",
    "OrderConfirmed",
    "OrderCreditWarning",
    "OrderDrafted",
    "OrderEdited",
    "OrderEvent",
    "OrderHandedOver",
    "OrderPriced",
    "OrderReceived",
    "OrderRejected",
    "OrderReturnRecorded",
    "OrderShipped",
    "OrderShortClosed",
    "OrderSubmitted",
    "OrderWithdrawn",
]


@attrs.frozen(kw_only=True)
class OrderEvent(DomainEvent):
    """Base of the order events: the owner (salesperson) and the status before and after."""

    owner_id: str
    department: str | None = None
    from_status: OrderStatus
    to_status: OrderStatus


@attrs.frozen(kw_only=True)
class OrderDrafted(OrderEvent):
    """A new draft, possibly a reorder of ``source_order_id``."""

    customer_id: str
    lines: int
    source_order_id: str | None = None


@attrs.frozen(kw_only=True)
class OrderEdited(OrderEvent):
    """A draft's lines, discount or codes changed (``change`` says how); the price is stale."""

    change: str
    lines: int


@attrs.frozen(kw_only=True)
class OrderPriced(OrderEvent):
    """The draft was priced; the snapshot's totals and the approval reasons' kinds."""

    priced_on: str
    net_total: Money
    grand_total: Money
    approval_reasons: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OrderSubmitted(OrderEvent):
    """Submitted: to approval (``approval_required``) or straight to confirmed."""

    approval_required: bool
    credit_decision: str | None
    net_total: Money
    grand_total: Money
    approval_reasons: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OrderCreditWarning(OrderEvent):
    """The credit check let the order through with reasons worth a look."""

    exposure: Money
    limit: Money | None
    reasons: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OrderApproved(OrderEvent):
    """The approval request was approved (``approval_id`` names it when known)."""

    approval_id: str | None
    grand_total: Money


@attrs.frozen(kw_only=True)
class OrderRejected(OrderEvent):
    """Rejected in approval: back to draft with the reason."""

    reason: str
    approval_id: str | None


@attrs.frozen(kw_only=True)
class OrderWithdrawn(OrderEvent):
    """The submitter took the order back to draft while it was pending."""

    reason: str


@attrs.frozen(kw_only=True)
class OrderConfirmed(OrderEvent):
    """Confirmed: from here the receivable is opened for ``grand_total``."""

    net_total: Money
    grand_total: Money
    customer_id: str


@attrs.frozen(kw_only=True)
class OrderShipped(OrderEvent):
    """A shipment left: ``quantities`` is (line index, quantity) per shipped line."""

    shipment_id: str
    quantities: tuple[tuple[int, Decimal], ...]
    complete: bool


@attrs.frozen(kw_only=True)
class OrderReceived(OrderEvent):
    """The customer confirmed receipt of everything shipped (or of one shipment)."""

    shipment_id: str | None = None


@attrs.frozen(kw_only=True)
class OrderReturnRecorded(OrderEvent):
    """A return note: its lines and the exact amount the receivable's net amount drops by."""

    return_id: str
    quantities: tuple[tuple[int, Decimal], ...]
    amount: Money
    reason: str
    disposition: str = "close"


@attrs.frozen(kw_only=True)
class OrderShortClosed(OrderEvent):
    """The rest of a partly shipped order was closed: it will not ship; the order is worth
    ``amount`` less."""

    short_close_id: str
    quantities: tuple[tuple[int, Decimal], ...]
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class OrderCompleted(OrderEvent):
    """Received, fully paid and fully invoiced."""

    net_amount: Money


@attrs.frozen(kw_only=True)
class OrderHandedOver(OrderEvent):
    """The order changed hands (its salesperson left): ``owner_id`` is the new owner."""

    previous_owner_id: str
    reason: str


@attrs.frozen(kw_only=True)
class OrderCancelled(OrderEvent):
    """Cancelled before any shipment, with the reason."""

    reason: str
