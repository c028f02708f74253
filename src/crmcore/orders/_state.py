"""The order lifecycle: its states, the configurable roles, and the declared transitions."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable

import attrs

from crmcore._validators import member
from crmcore.errors import PermissionDenied
from crmcore.ports import Actor
from crmcore.workflow import StateMachine, Transition

__all__ = ["ORDER_LIFECYCLE", "InvoiceBasis", "OrderPolicy", "OrderStatus", "order_lifecycle"]


class OrderStatus(enum.Enum):
    """Where an order stands."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    RECEIVED = "received"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class InvoiceBasis(enum.Enum):
    """What an order is to be invoiced for (Odoo's invoicing policy)."""

    #: the ordered quantities (less what was closed): invoice before delivery.
    ORDERED = "ordered"
    #: the delivered quantities (shipped less returned): invoice what the customer has.
    DELIVERED = "delivered"


def _roles(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


def _invoice_basis(value: object) -> InvoiceBasis:
    return member(InvoiceBasis, value, "invoice_basis")


@attrs.frozen
class OrderPolicy:
    """Role names the order itself checks: who ships and confirms receipt (a business rule),
    who may price before the draft date; and what the order is to be invoiced for
    (``invoice_basis``, read by its progress)."""

    shipping_roles: frozenset[str] = attrs.field(default=frozenset({"shipping"}), converter=_roles)
    #: who may price a draft as of a day before it was drafted (with a reason; the backdated
    #: price is then an approval reason).
    reprice_roles: frozenset[str] = attrs.field(
        default=frozenset({"manager", "admin"}), converter=_roles
    )
    invoice_basis: InvoiceBasis = attrs.field(
        default=InvoiceBasis.ORDERED, converter=_invoice_basis
    )


_S = OrderStatus
#: The states once something has shipped (returns are recorded in any of them).
_AFTER_SHIPMENT = frozenset({_S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.RECEIVED, _S.COMPLETED})


def _submitter_only(order: object, actor: Actor) -> str | None:
    """Guard of ``withdraw``: only the person who submitted may take the order back."""
    submitter = getattr(order, "submitted_by", None)
    if submitter != actor.user_id:
        raise PermissionDenied(
            f"order {getattr(order, 'id', '?')}: only the submitter {submitter} may withdraw "
            f"it, not {actor.user_id}"
        )
    return None


@functools.lru_cache(maxsize=16)
def order_lifecycle(policy: OrderPolicy = OrderPolicy()) -> StateMachine[OrderStatus]:
    """The declared transitions of an order, with the shipping roles of ``policy``."""
    shipping = policy.shipping_roles
    return StateMachine(
        "order",
        OrderStatus,
        [
            Transition("edit", _S.DRAFT, _S.DRAFT),
            Transition("price", _S.DRAFT, _S.DRAFT),
            Transition("submit", _S.DRAFT, _S.CONFIRMED),
            Transition("submit_for_approval", _S.DRAFT, _S.PENDING_APPROVAL),
            Transition("approve", _S.PENDING_APPROVAL, _S.CONFIRMED),
            Transition("reject", _S.PENDING_APPROVAL, _S.DRAFT),
            Transition("withdraw", _S.PENDING_APPROVAL, _S.DRAFT, guards=[_submitter_only]),
            Transition("ship", {_S.CONFIRMED, _S.PARTIALLY_SHIPPED}, _S.SHIPPED, shipping),
            Transition(
                "ship_partially",
                {_S.CONFIRMED, _S.PARTIALLY_SHIPPED},
                _S.PARTIALLY_SHIPPED,
                shipping,
            ),
            Transition("confirm_receipt", _S.SHIPPED, _S.RECEIVED, shipping),
            # one shipment received: the order stays, or is RECEIVED once all shipped arrived
            Transition(
                "confirm_shipment_receipt",
                {_S.PARTIALLY_SHIPPED, _S.SHIPPED},
                _S.PARTIALLY_SHIPPED,
                shipping,
            ),
            # returned units closed: the order stays where it is, worth less
            Transition("record_return", _AFTER_SHIPMENT, _S.RECEIVED),
            # returned units to ship again: something is left to ship
            Transition(
                "return_for_reshipment",
                {_S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.RECEIVED},
                _S.PARTIALLY_SHIPPED,
            ),
            Transition("short_close", _S.PARTIALLY_SHIPPED, _S.SHIPPED),
            Transition("complete", _S.RECEIVED, _S.COMPLETED),
            Transition("cancel", {_S.DRAFT, _S.PENDING_APPROVAL, _S.CONFIRMED}, _S.CANCELLED),
        ],
    )


#: The lifecycle with the default roles (shipping ships and confirms receipt).
ORDER_LIFECYCLE = order_lifecycle()
