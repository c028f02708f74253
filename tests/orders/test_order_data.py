"""Loading orders from data: bad data names the path; restored orders keep their rules."""

from __future__ import annotations

import pytest

from crmcore.errors import ConfigError, InvalidTransition
from crmcore.money import Money, Percent
from crmcore.orders import Order, OrderStatus
from crmcore.pricing import LineRequest
from crmcore.serialization import converter, from_dict, to_dict
from tests.orders.order_support import FINANCE, SALES, at, cny, priced_order, received_order


def test_bad_order_data_names_the_path() -> None:
    data = to_dict(priced_order())
    data["history"] = [{"occurred_at": "2026-03-02T09:00:00"}]
    with pytest.raises(ConfigError, match=r"history.*'event' name"):
        from_dict(Order, data)
    data["history"] = "nope"
    with pytest.raises(ConfigError, match=r"history: expected a list, got 'nope'"):
        from_dict(Order, data)
    data = to_dict(priced_order())
    data["priced"]["approval_reasons"] = [
        {"kind": "x", "line": None, "limit": 3, "actual": "1", "message": "m"}
    ]
    with pytest.raises(ConfigError, match=r"limit.*Money.*or a Percent"):
        from_dict(Order, data)


def test_approval_reason_limits_load_as_money_or_percent() -> None:
    order = priced_order(lines=[LineRequest("SAW", 1, unit_price=cny(100))])
    reasons = from_dict(Order, to_dict(order)).approval_reasons
    assert [(r.kind, r.limit) for r in reasons] == [
        ("discount_above_authority", Percent(10)),
        ("below_margin_floor", cny("172.50")),
        ("discount_above_authority", Percent(8)),
    ]


def test_an_order_restored_without_history_takes_changes() -> None:
    order = Order("SO-7", customer="acme", owner_id="sally", currency="CNY")
    order.add_line(SALES, LineRequest("BIT", 1), at=at(2))
    assert order.lines == (LineRequest("BIT", 1),)
    assert order.discount_beyond_rules is None
    assert order.effective_discount is None
    assert order.net_amount is None


def test_a_restored_order_without_a_snapshot_cannot_complete() -> None:
    template = received_order()
    broken = Order(
        "SO-8", customer="acme", owner_id="sally", currency="CNY", status=OrderStatus.RECEIVED
    )
    with pytest.raises(InvalidTransition, match="no priced snapshot"):
        broken.complete(FINANCE, at=at(9), balance=None)  # type: ignore[arg-type]
    assert template.shipments[0].shipped_by == "sam"
    assert template.returns == ()
    assert template.discount_beyond_rules == Percent(0)


def test_money_or_percent_values_pass_through_the_hook() -> None:
    assert converter.structure(Percent(5), Money | Percent) == Percent(5)  # type: ignore[arg-type]
