"""A price is never dated before the order's draft date, unless a role of the policy's
``reprice_roles`` gives a reason; the backdated price is then an approval reason."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import PermissionDenied, ValidationError
from crmcore.orders import Order, OrderPolicy
from crmcore.serialization import from_dict, to_dict
from tests.orders.order_support import ENGINE, MANAGER, SALES, at, new_order


def test_sales_may_not_price_before_the_draft_and_nothing_changes() -> None:
    order = new_order()  # drafted on 2 March 2026
    assert order.drafted_on == date(2026, 3, 2)
    before = to_dict(order)
    with pytest.raises(PermissionDenied, match="before the draft date 2026-03-02"):
        order.price(ENGINE, SALES, at=at(3), on=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="on: expected a date"):
        order.price(ENGINE, SALES, at=at(3), on="2026-03-01")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs a reason"):
        order.price(ENGINE, MANAGER, at=at(3), on=date(2026, 3, 1))
    assert to_dict(order) == before
    assert order.price(ENGINE, SALES, at=at(3), on=date(2026, 3, 2)).approval_reasons == ()


def test_a_manager_reprices_with_a_reason_and_it_needs_approval() -> None:
    order = new_order()
    priced = order.price(ENGINE, MANAGER, at=at(3), on=date(2026, 2, 20), reason="quote of 20 Feb")
    (reason,) = priced.approval_reasons
    assert (reason.kind, reason.limit, reason.actual) == (
        "backdated_price",
        date(2026, 3, 2),
        date(2026, 2, 20),
    )
    assert order.approval_reasons == (reason,)
    loaded = from_dict(Order, to_dict(order))
    assert loaded.approval_reasons == (reason,)


def test_the_reprice_roles_are_the_policys() -> None:
    order = new_order()
    order.policy = OrderPolicy(reprice_roles={"sales"})
    priced = order.price(ENGINE, SALES, at=at(3), on=date(2026, 2, 1), reason="old contract")
    assert [r.kind for r in priced.approval_reasons] == ["backdated_price"]
