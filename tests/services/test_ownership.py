"""Roles say what a salesperson may do; ownership says to which records: a colleague may not
edit, submit or cancel another's order or move another's deal — the owner's managers and
admins may."""

from __future__ import annotations

import pytest

from crmcore.errors import PermissionDenied
from crmcore.orders import OrderStatus
from crmcore.ports import Actor
from crmcore.pricing import LineRequest
from tests.services.helpers import ANN, BOB, DAN, MIA, cny, memory_world
from tests.services.order_helpers import draft_order, priced_order, stored_order

MKT = Actor("mkt", {"sales"})  # sales, marketing department


def test_a_colleague_cannot_change_anothers_order_and_nothing_changes() -> None:
    world = memory_world()
    ids = priced_order(world)
    before = stored_order(world, ids["order"])
    sent = len(world.notifier.sent)
    attempts = [
        lambda: world.crm.orders.add_line(BOB, ids["order"], LineRequest("DRILL", 1)),
        lambda: world.crm.orders.price(MKT, ids["order"]),
        lambda: world.crm.orders.submit(BOB, ids["order"]),
        lambda: world.crm.orders.cancel(MKT, ids["order"], reason="mine now"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match=r"belongs to ann \(only the owner"):
            attempt()
    after = stored_order(world, ids["order"])
    assert (after.version, after.status, len(after.lines)) == (
        before.version,
        OrderStatus.DRAFT,
        len(before.lines),
    )
    assert len(world.notifier.sent) == sent


def test_the_owners_manager_and_an_admin_may_change_it() -> None:
    world = memory_world()
    ids = draft_order(world)
    selling_manager = Actor(MIA.user_id, {"sales", "manager"})  # ann's manager
    world.crm.orders.add_line(selling_manager, ids["order"], LineRequest("DRILL", 1))
    admin = Actor(DAN.user_id, {"sales", "admin"})
    world.crm.orders.add_line(admin, ids["order"], LineRequest("SAW", 1))
    assert [line.sku for line in stored_order(world, ids["order"]).lines][-2:] == ["DRILL", "SAW"]


def test_a_colleague_cannot_move_anothers_deal() -> None:
    world = memory_world()
    opportunity = world.crm.opportunities.create(ANN, cny("1000"), stage="qualify")
    with pytest.raises(PermissionDenied, match=r"opportunity .* belongs to ann"):
        world.crm.opportunities.lose(BOB, opportunity.id, "not mine to lose")
    world.crm.opportunities.lose(MIA, opportunity.id, "the owner's manager may")
