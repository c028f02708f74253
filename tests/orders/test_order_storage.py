"""Orders round-trip through the converter (every state) and the memory adapter."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.memory import MemoryDatabase
from crmcore.money import Percent
from crmcore.orders import Order, OrderShipped, OrderStatus
from crmcore.ports import AggregateKind
from crmcore.pricing import AmountOff, LineRequest, PercentOff, TargetTotal
from crmcore.serialization import from_dict, to_dict
from tests.orders.order_support import (
    ENGINE,
    MANAGER,
    SALES,
    SHIPPING,
    at,
    cny,
    new_order,
)

ORDERS = AggregateKind("order", Order, indexes=("customer_id", "owner_id", "status", "department"))

lines = st.lists(
    st.builds(
        LineRequest,
        st.sampled_from(["DRILL", "SAW", "BIT"]),
        st.integers(1, 20),
        discount=st.none() | st.builds(PercentOff, st.builds(Percent, st.integers(0, 30))),
    ),
    min_size=1,
    max_size=4,
)
discounts = st.none() | st.sampled_from(
    [PercentOff(Percent(5)), PercentOff(Percent(30)), AmountOff(cny(1)), TargetTotal(cny("6.50"))]
)


def order_in(status: OrderStatus, request: list[LineRequest], discount: object) -> Order:
    """An order brought to ``status`` by the ordinary calls."""
    order = new_order(lines=request, discount=discount, customer="globex")  # type: ignore[arg-type]
    if status is OrderStatus.DRAFT:
        return order
    order.price(ENGINE, SALES, at=at(2, 10))
    needs = status is OrderStatus.PENDING_APPROVAL
    order.submit(SALES, at=at(2, 11), approval_required=needs)
    if status is OrderStatus.PENDING_APPROVAL:
        return order
    if status is OrderStatus.CANCELLED:
        order.cancel(SALES, at=at(3), reason="changed plans")
        return order
    if status is OrderStatus.CONFIRMED:
        return order
    if status is OrderStatus.PARTIALLY_SHIPPED:
        # Partial unless the whole order is one unit of one line.
        first = order.priced_lines[0]
        quantity = first.quantity - 1 if first.quantity > 1 else first.quantity
        order.ship(SHIPPING, {first.index: quantity}, at=at(3))
        return order
    order.ship_remaining(SHIPPING, at=at(3))
    if status is OrderStatus.SHIPPED:
        return order
    order.confirm_receipt(SHIPPING, at=at(4))
    first = order.priced_lines[0]
    order.record_return(SALES, {first.index: 1}, at=at(5), reason="damaged")
    return order


@given(st.sampled_from(list(OrderStatus)), lines, discounts)
def test_orders_round_trip_through_the_converter_in_every_state(
    status: OrderStatus, request: list[LineRequest], discount: object
) -> None:
    order = order_in(status, request, discount)
    data = json.loads(json.dumps(to_dict(order)))
    loaded = from_dict(Order, data)
    assert loaded == order
    assert loaded.history == order.history
    assert loaded.pull_events() == []
    assert to_dict(loaded) == to_dict(order)


def test_orders_round_trip_through_the_memory_adapter() -> None:
    storage = MemoryDatabase([ORDERS])
    order = new_order(discount=PercentOff(Percent(20)))
    order.price(ENGINE, SALES, at=at(2, 10))
    order.submit(SALES, at=at(2, 11), approval_required=True)
    other = new_order("SO-2", customer="globex")
    with storage.unit_of_work() as uow:
        repo = uow.repository(Order)
        repo.add(order)
        repo.add(other)
        uow.commit()
        events = list(uow.collect_new_events())
    assert [type(e).__name__ for e in events] == [
        "OrderDrafted",
        "OrderPriced",
        "OrderSubmitted",
        "OrderDrafted",
    ]
    with storage.unit_of_work() as uow:
        repo = uow.repository(Order)
        loaded = repo.get("SO-1")
        assert loaded == order
        assert [o.id for o in repo.find(status=OrderStatus.PENDING_APPROVAL)] == ["SO-1"]
        assert [o.id for o in repo.find(customer_id="globex")] == ["SO-2"]
        assert [o.id for o in repo.find(owner_id="sally", department="east")] == ["SO-1", "SO-2"]
        loaded.approve(MANAGER, at=at(3))
        loaded.ship(SHIPPING, {0: 1}, at=at(4))
        repo.save(loaded)
        uow.commit()
        shipped = [e for e in uow.collect_new_events() if isinstance(e, OrderShipped)]
    assert shipped[0].owner_id == "sally"
    with storage.unit_of_work() as uow:
        again = uow.repository(Order).get("SO-1")
        assert again == loaded
        assert again.status is OrderStatus.PARTIALLY_SHIPPED
        assert again.version == loaded.version
        assert [o.id for o in uow.repository(Order).find(status=OrderStatus.CONFIRMED)] == []
