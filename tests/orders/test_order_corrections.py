"""Order corrections on the aggregate: returns in every state after shipment (closed or to
ship again), cash rounding carried through returns, receipt per shipment, short-closing the
rest of an order, and zero-amount orders (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore.errors import InvalidTransition, NotFound, ValidationError
from crmcore.money import Percent
from crmcore.orders import Order, OrderStatus, ReturnDisposition, open_receivable, record_return_on
from crmcore.pricing import (
    CashRounding,
    Catalog,
    Customer,
    LineRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RoundingMode,
    RuleBook,
)
from crmcore.serialization import from_dict, to_dict
from tests.orders.order_support import (
    FINANCE,
    SALES,
    SHIPPING,
    TERMS,
    at,
    cny,
    confirmed_order,
    new_order,
    received_order,
)

RESHIP = ReturnDisposition.RESHIP


def pen_engine(mode: RoundingMode) -> PricingEngine:
    """PEN at 4.60, no tax, the grand total cash-rounded to whole yuan with ``mode``."""
    return PricingEngine(
        Catalog(products=[Product("PEN", "Pen")], customers=[Customer("acme")]),
        [PriceList("STD", "CNY", [PriceListItem("PEN", "4.60")])],
        RuleBook([]),
        PricingPolicy(cash_rounding=CashRounding(Decimal(1), mode)),
    )


def three_pens(mode: RoundingMode) -> Order:
    """3 pens: 13.80, cash-rounded to 14.00 (half up, +0.20) or 13.00 (down, −0.80)."""
    order = new_order(lines=[LineRequest("PEN", 3)])
    order.price(pen_engine(mode), SALES, at=at(2, 10))
    order.submit(SALES, at=at(2, 11), approval_required=False)
    order.ship_remaining(SHIPPING, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(4))
    return order


@pytest.mark.parametrize(
    ("mode", "grand", "first", "rest"),
    [
        # 4.60 × 14.00 / 13.80 = 4.6667 → 4.67; the rest 14.00 − 4.67 = 9.33
        (RoundingMode.HALF_UP, "14.00", "4.67", "9.33"),
        # 4.60 × 13.00 / 13.80 = 4.3333 → 4.33; the rest 13.00 − 4.33 = 8.67
        (RoundingMode.DOWN, "13.00", "4.33", "8.67"),
    ],
)
def test_returning_every_unit_of_a_cash_rounded_order_leaves_exactly_zero(
    mode: RoundingMode, grand: str, first: str, rest: str
) -> None:
    # Before issue 16: 0.20 owing forever (half up), the receivable refused the last return
    # (down), and the order's net amount went to −0.80.
    order = three_pens(mode)
    assert order.grand_total == cny(grand)
    receivable = open_receivable(order, TERMS, "AR-1", actor=SALES, at=at(4, 10))
    one = order.record_return(SALES, {0: 1}, at=at(5), reason="dry")
    assert one.amount == cny(first)
    assert one.rounding == cny(first) - cny("4.60")
    assert record_return_on(receivable, one, actor=SALES, at=at(5)) is not None
    two = order.record_return(SALES, {0: 2}, at=at(6), reason="dry")
    assert (two.amount, [line.amount for line in two.lines]) == (cny(rest), [cny("9.20")])
    assert record_return_on(receivable, two, actor=SALES, at=at(6)) is not None
    assert order.net_amount == cny("0.00")
    balance = receivable.balance(at(6).date())
    assert (balance.net_amount, balance.outstanding) == (cny("0.00"), cny("0.00"))


def test_returns_before_receipt_close_units_or_put_them_back_to_ship() -> None:
    order = confirmed_order()  # DRILL × 3 (339.00 with tax), SAW × 2 (452.00): 791.00
    order.ship(SHIPPING, {0: 2}, at=at(3))
    closed = order.record_return(SALES, {0: 1}, at=at(4), reason="dented")
    assert (closed.amount, closed.disposition) == (cny("113.00"), ReturnDisposition.CLOSE)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    # ordered 3 = delivered 1 + closed 1 + left to ship 1
    assert (order.delivered_quantity(0), order.closed_quantity(0)) == (1, 1)
    assert order.remaining_to_ship() == {0: 1, 1: 2}
    again = order.record_return(
        SHIPPING, {0: 1}, at=at(5), reason="wrong colour", disposition=RESHIP
    )
    assert (again.amount, again.rounding) == (cny("0.00"), None)
    assert order.remaining_to_ship() == {0: 2, 1: 2}
    assert order.net_amount == cny("678.00")
    order.ship_remaining(SHIPPING, at=at(6))
    assert order.status is OrderStatus.SHIPPED
    assert order.shipped_quantity(0) == 4  # one drill shipped twice
    assert order.delivered_quantity(0) == 2
    restored = from_dict(Order, to_dict(order))
    assert restored.returns == order.returns
    assert restored.remaining_to_ship() == {}


def test_a_reship_return_from_a_received_order_reopens_shipping() -> None:
    order = received_order()
    order.record_return(SALES, {1: 1}, at=at(6), reason="broken blade", disposition=RESHIP)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert order.remaining_to_ship() == {1: 1}
    shipment = order.ship_remaining(SHIPPING, at=at(7))
    order.confirm_receipt(SHIPPING, at=at(8), shipment_id=shipment.id)
    assert order.status is OrderStatus.RECEIVED
    assert order.received_quantity(1) == 3  # two shipped first, one replacement


def test_receipt_per_shipment_then_short_close_of_the_rest() -> None:
    order = confirmed_order()
    first = order.ship(SHIPPING, {0: 2}, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(4), shipment_id=first.id)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert [order.received_quantity(i) for i in (0, 1)] == [2, 0]
    assert order.receipts[0].shipment_id == "SO-1/S1"
    # the rest (1 drill 113.00, 2 saws 452.00) will not ship
    closed = order.short_close(SALES, at=at(5), reason="supplier stopped the saw")
    assert (closed.id, closed.amount) == ("SO-1/X1", cny("565.00"))
    assert [(r.line, r.quantity, r.amount) for r in closed.lines] == [
        (0, 1, cny("113.00")),
        (1, 2, cny("452.00")),
    ]
    assert (order.status, order.remaining_to_ship()) == (OrderStatus.SHIPPED, {})
    assert order.net_amount == cny("226.00")
    order.confirm_receipt(SHIPPING, at=at(6))
    assert order.status is OrderStatus.RECEIVED
    assert len(order.receipts) == 1
    assert from_dict(Order, to_dict(order)).short_closes == order.short_closes


def test_receiving_the_last_shipment_receives_the_order() -> None:
    order = confirmed_order()
    first = order.ship(SHIPPING, {0: 3}, at=at(3))
    second = order.ship(SHIPPING, {1: 2}, at=at(3, 10))
    order.confirm_receipt(SHIPPING, at=at(4), shipment_id=second.id)
    assert order.status is OrderStatus.SHIPPED
    order.confirm_receipt(SHIPPING, at=at(5), shipment_id=first.id)
    assert order.status is OrderStatus.RECEIVED
    assert order.history[-1].shipment_id == first.id  # type: ignore[attr-defined]


def test_corrections_refuse_bad_input_and_change_nothing() -> None:
    order = confirmed_order()
    shipment = order.ship(SHIPPING, {0: 1}, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(4), shipment_id=shipment.id)
    before = to_dict(order)
    refusals = [
        (
            InvalidTransition,
            "already received",
            lambda: order.confirm_receipt(SHIPPING, at=at(5), shipment_id=shipment.id),
        ),
        (
            NotFound,
            "no shipment 'nope'",
            lambda: order.confirm_receipt(SHIPPING, at=at(5), shipment_id="nope"),
        ),
        (
            ValidationError,
            "disposition",
            lambda: order.record_return(
                SALES,
                {0: 1},
                at=at(5),
                reason="x",
                disposition="close",  # type: ignore[arg-type]
            ),
        ),
        (
            ValidationError,
            "shipped 1, returned 0, left 1",
            lambda: order.record_return(SALES, {0: 2}, at=at(5), reason="x"),
        ),
        (ValidationError, "reason", lambda: order.short_close(SALES, at=at(5), reason=" ")),
    ]
    for error, message, call in refusals:
        with pytest.raises(error, match=message):
            call()
        assert to_dict(order) == before
    done = received_order()
    with pytest.raises(ValidationError, match="only a zero-amount order has none"):
        done.complete(FINANCE, at=at(6), balance=None)
    done.status = OrderStatus.COMPLETED
    with pytest.raises(InvalidTransition, match="cannot return_for_reshipment in state COMPLETED"):
        done.record_return(SALES, {0: 1}, at=at(6), reason="x", disposition=RESHIP)


def test_a_zero_amount_order_completes_without_a_receivable() -> None:
    order = new_order(lines=[LineRequest("DRILL", 1)], discount=PercentOff(Percent(100)))
    from tests.orders.order_support import ENGINE

    order.price(ENGINE, SALES, at=at(2, 10))
    assert order.grand_total == cny("0.00")
    order.submit(SALES, at=at(2, 11), approval_required=False)
    with pytest.raises(ValidationError, match="nothing to collect"):
        open_receivable(order, TERMS, "AR-1", actor=SALES, at=at(2, 12))
    order.ship_remaining(SHIPPING, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(4))
    note = order.record_return(SALES, {0: 1}, at=at(5), reason="sample not needed")
    assert note.amount == cny("0.00")
    order.complete(SALES, at=at(6), balance=None)
    assert (order.status, order.net_amount) == (OrderStatus.COMPLETED, cny("0.00"))


def test_an_order_stored_before_corrections_still_loads() -> None:
    order = received_order()
    order.record_return(SALES, {0: 1}, at=at(6), reason="dented")
    row = to_dict(order)
    del row["receipts"], row["short_closes"], row["policy"]["invoice_basis"]
    for note in row["returns"]:
        del note["disposition"], note["rounding"]
    for event in row["history"]:
        if event["event"] == "OrderReceived":
            del event["shipment_id"]
        if event["event"] == "OrderReturnRecorded":
            del event["disposition"]
    loaded = from_dict(Order, row)
    # received before receipts were kept: every shipment counts as received
    assert [loaded.received_quantity(i) for i in (0, 1)] == [3, 2]
    assert loaded.returns[0].disposition is ReturnDisposition.CLOSE
    assert (loaded.net_amount, loaded.remaining_to_ship()) == (cny("678.00"), {})
    # a replacement takes it back to shipping: what was received stays received
    loaded.record_return(SALES, {1: 1}, at=at(7), reason="bent", disposition=RESHIP)
    assert loaded.status is OrderStatus.PARTIALLY_SHIPPED
    assert [loaded.received_quantity(i) for i in (0, 1)] == [3, 2]
    assert [r.received_at for r in loaded.receipts] == [at(5)]
