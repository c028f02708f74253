"""The events of ``crmcore.orders``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.orders._events import (
    OrderApproved,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderCreditWarning,
    OrderDrafted,
    OrderEdited,
    OrderEvent,
    OrderHandedOver,
    OrderPriced,
    OrderReceived,
    OrderRejected,
    OrderReturnRecorded,
    OrderShipped,
    OrderShortClosed,
    OrderSubmitted,
    OrderWithdrawn,
)

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
