"""Orders in each state, set up through the services (for the order tests and the matrix)."""

from __future__ import annotations

from crmcore.money import Percent
from crmcore.orders import Order
from crmcore.ports import Actor
from crmcore.pricing import LineRequest, PercentOff
from tests.services.helpers import ANN, FAY, SID, World

Ids = dict[str, str]


def draft_order(world: World, actor: Actor = ANN, customer: str = "acme") -> Ids:
    """A draft: 3 drills and 2 saws (700.00 at list price)."""
    order = world.crm.orders.draft(
        actor,
        customer=customer,
        currency="CNY",
        lines=[LineRequest("DRILL", 3), LineRequest("SAW", 2)],
    )
    return {"order": order.id}


def priced_order(world: World) -> Ids:
    """Priced at list: 700.00 net, 91.00 tax, 791.00 in all, no approval reasons."""
    ids = draft_order(world)
    world.crm.orders.price(ANN, ids["order"])
    return ids


def pending_order(world: World) -> Ids:
    """20 % off (beyond sales' authority): 632.80, waiting for Mia."""
    ids = draft_order(world)
    world.crm.orders.set_discount(ANN, ids["order"], PercentOff(Percent(20)))
    world.crm.orders.price(ANN, ids["order"])
    world.crm.orders.submit(ANN, ids["order"])
    return ids


def confirmed_order(world: World) -> Ids:
    """Submitted at list price: confirmed at once, receivable AR-<id> opened (791.00)."""
    ids = priced_order(world)
    world.crm.orders.submit(ANN, ids["order"])
    return {**ids, "rec": f"AR-{ids['order']}"}


def shipped_order(world: World) -> Ids:
    ids = confirmed_order(world)
    world.crm.orders.ship(SID, ids["order"])
    return ids


def received_order(world: World) -> Ids:
    ids = shipped_order(world)
    world.crm.orders.confirm_receipt(SID, ids["order"])
    return ids


def paid_order(world: World) -> Ids:
    """Received, paid in full (confirmed by Fay) and invoiced in full."""
    ids = received_order(world)
    crm = world.crm
    view = crm.queries.payment_view(ANN, ids["rec"])
    paid = crm.receivables.record_payment(
        ANN, ids["rec"], view.outstanding, received_on=world.clock.now().date()
    )
    crm.receivables.confirm_payment(FAY, ids["rec"], paid.id)
    invoice = crm.receivables.request_invoice(
        ANN, ids["rec"], view.amount, title="Acme", tax_id="9131", address="Shanghai"
    )
    crm.receivables.issue_invoice(FAY, ids["rec"], invoice.id, "No. 1")
    return ids


def stored_order(world: World, order_id: str) -> Order:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Order).get(order_id)
