"""The sales order: a draft priced by crmcore.pricing, submitted to approval or confirmed,
shipped, received, returned and completed — every step a checked transition by an actor.

``Order`` is the aggregate; ``open_receivable`` opens the confirmed order's receivable,
``record_return_on`` passes a return note to it, ``reorder_order`` starts a quick reorder.
"""

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
from crmcore.orders._facts import (
    LineQuantity,
    OrderReturn,
    Receipt,
    ReturnDisposition,
    ReturnLine,
    Shipment,
    ShortClose,
)
from crmcore.orders._order import KIND, Order
from crmcore.orders._progress import InvoicingStatus, OrderProgress, order_progress
from crmcore.orders._receivable import (
    has_receivable,
    open_receivable,
    record_return_on,
    record_short_close_on,
)
from crmcore.orders._reorder import reorder_order
from crmcore.orders._serialization import configure_converter
from crmcore.orders._state import (
    ORDER_LIFECYCLE,
    InvoiceBasis,
    OrderPolicy,
    OrderStatus,
    order_lifecycle,
)

__all__ = [
    "KIND",
    "ORDER_LIFECYCLE",
    "InvoiceBasis",
    "InvoicingStatus",
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
    "OrderHandedOver",
    "OrderPolicy",
    "OrderPriced",
    "OrderProgress",
    "OrderReceived",
    "OrderRejected",
    "OrderReturn",
    "OrderReturnRecorded",
    "OrderShipped",
    "OrderShortClosed",
    "OrderStatus",
    "OrderSubmitted",
    "OrderWithdrawn",
    "Receipt",
    "ReturnDisposition",
    "ReturnLine",
    "Shipment",
    "ShortClose",
    "configure_converter",
    "has_receivable",
    "open_receivable",
    "order_lifecycle",
    "order_progress",
    "record_return_on",
    "record_short_close_on",
    "reorder_order",
]
