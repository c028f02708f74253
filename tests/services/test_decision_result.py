"""Deciding an order's approval answers with the order's status, like every order use case;
the request's own status travels beside it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmcore.orders import OrderStatus
from crmcore.services import DecisionResult
from crmcore.workflow import ApprovalStatus
from tests.services.helpers import ANN, DAN, MIA, World, memory_world
from tests.services.order_helpers import pending_order


@pytest.mark.parametrize(
    ("decide", "order_status", "request_status"),
    [
        (lambda w, o: w.crm.orders.approve(MIA, o, "ok"), OrderStatus.CONFIRMED, "APPROVED"),
        (lambda w, o: w.crm.orders.reject(MIA, o, "too deep"), OrderStatus.DRAFT, "REJECTED"),
        (lambda w, o: w.crm.orders.withdraw(ANN, o), OrderStatus.DRAFT, "WITHDRAWN"),
        (
            lambda w, o: w.crm.orders.delegate(MIA, o, "dan"),
            OrderStatus.PENDING_APPROVAL,
            "PENDING",
        ),
    ],
)
def test_the_result_carries_the_orders_status_and_the_request(
    decide: Callable[[World, str], DecisionResult],
    order_status: OrderStatus,
    request_status: str,
) -> None:
    world = memory_world()
    order_id = pending_order(world)["order"]
    result = decide(world, order_id)
    assert (result.order_id, result.status) == (order_id, order_status)
    assert result.approval.status is ApprovalStatus[request_status]
    assert result.approval_id == result.approval.id
    assert world.crm.queries.get_order(DAN, order_id).status is order_status
