"""A credit check that lets an order through with a warning tells finance and the owner's
manager; one that blocks it refuses the submission, changes nothing and tells nobody."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcore.errors import CrmError
from crmcore.money import Money, Percent
from crmcore.orders import OrderStatus
from crmcore.receivables import CreditDecision, CreditPolicy
from tests.services.helpers import ANN, World, cny, memory_world, sqlite_world
from tests.services.order_helpers import priced_order


def _world(kind: str, folder: Path, limit: Money, **policy: object) -> World:
    credit = CreditPolicy(limits={"acme": limit}, **policy)  # type: ignore[arg-type]
    if kind == "memory":
        return memory_world(credit_policy=credit)
    return sqlite_world(folder, credit_policy=credit)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_warning_goes_to_finance_and_the_owners_manager(kind: str, tmp_path: Path) -> None:
    world = _world(kind, tmp_path, cny("900.00"))
    ids = priced_order(world)  # 791.00 against a 900.00 limit: 87.89 % > the 80 % alert
    world.sent()
    result = world.crm.orders.submit(ANN, ids["order"])
    assert result.status is OrderStatus.CONFIRMED
    assert result.credit is not None
    assert result.credit.decision is CreditDecision.ALLOWED
    assert result.credit.utilisation == Percent("87.89")
    assert result.credit.reasons == ("utilisation 87.89 % reaches the alert level 80 %",)
    assert world.sent() == [
        ("fay", "credit warning"),
        ("fin", "credit warning"),
        ("mia", "credit warning"),
        ("sid", "order awaiting shipment"),
    ]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_block_refuses_changes_nothing_and_tells_nobody(kind: str, tmp_path: Path) -> None:
    world = _world(kind, tmp_path, cny("500.00"), over_limit=CreditDecision.BLOCKED)
    ids = priced_order(world)  # 791.00 against a 500.00 limit
    before = world.snapshot()
    with pytest.raises(CrmError, match="credit blocked for acme"):
        world.crm.orders.submit(ANN, ids["order"])
    assert world.snapshot() == before
