"""The sales order: a draft priced by crmcore.pricing, submitted to approval or confirmed,
shipped, received, returned and completed — every step a checked transition by an actor.

``Order`` is the aggregate; ``open_receivable`` opens the confirmed order's receivable,
``record_return_on`` passes a return note to it, ``reorder_order`` starts a quick reorder.
"""

from crmcore.orders import _serialization  # noqa: F401  (registers to_dict / from_dict hooks)
from crmcore.orders._events import (
    OrderApproved,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderCreditWarning,
    OrderDrafted,
    OrderEdited,
    OrderEvent,
    OrderPriced,
    OrderReceived,
    OrderRejected,
    OrderReturnRecorded,
    OrderShipped,
    OrderSubmitted,
    OrderWithdrawn,
)
from crmcore.orders._facts import LineQuantity, OrderReturn, ReturnLine, Shipment
from crmcore.orders._order import KIND, Order
from crmcore.orders._receivable import open_receivable, record_return_on
from crmcore.orders._reorder import reorder_order
from crmcore.orders._state import ORDER_LIFECYCLE, OrderPolicy, OrderStatus, order_lifecycle

__all__ = [
    "KIND",
    "ORDER_LIFECYCLE",
    "LineQuantity",
    "Order",
    "OrderApproved",
    "OrderCancelled",
    "OrderCompleted",
    "OrderConfirmed",
    "OrderCreditWarning",
    "OrderDrafted",
    "OrderEdited",
    "OrderEvent",
    "OrderPolicy",
    "OrderPriced",
    "OrderReceived",
    "OrderRejected",
    "OrderReturn",
    "OrderReturnRecorded",
    "OrderShipped",
    "OrderStatus",
    "OrderSubmitted",
    "OrderWithdrawn",
    "ReturnLine",
    "Shipment",
    "open_receivable",
    "order_lifecycle",
    "record_return_on",
    "reorder_order",
]
