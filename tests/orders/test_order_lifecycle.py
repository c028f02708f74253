"""Scenario tests of every lifecycle path, with hand-checked figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore.money import Percent
from crmcore.orders import (
    OrderApproved,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderRejected,
    OrderShipped,
    OrderStatus,
    OrderSubmitted,
    OrderWithdrawn,
    open_receivable,
    record_return_on,
    reorder_order,
)
from crmcore.pricing import LineRequest, PercentOff
from crmcore.serialization import from_dict
from crmcore.workflow import ApprovalProcess
from tests.orders.order_support import (
    ENGINE,
    FINANCE,
    MANAGER,
    SALES,
    SHIPPING,
    TERMS,
    at,
    cny,
    confirmed_order,
    new_order,
    priced_order,
    received_order,
)

PROCESS = from_dict(ApprovalProcess,
    {
        "id": "order-discounts",
        "version": 1,
        "subject_kind": "order",
        "entry_condition": {
            "any": [
                {"field": "approval_reasons.kind", "op": "contains",
                 "value": "discount_above_authority"},
                {"field": "grand_total", "op": ">=",
                 "value": {"amount": "100000", "currency": "CNY"}},
            ]
        },
        "steps": [{"name": "manager", "approvers": [{"role": "manager"}]}],
    }
)  # fmt: skip


def test_small_order_is_confirmed_on_submission_and_completes_when_paid_and_invoiced() -> None:
    order = new_order(discount=PercentOff(Percent(5)))
    priced = order.price(ENGINE, SALES, at=at(2, 10))
    # 300 + 400 = 700 list; 5 % off = 665.00 net; 13 % tax = 86.45; grand total 751.45.
    assert priced.net_total == cny("665.00")
    assert priced.tax_total == cny("86.45")
    assert order.grand_total == cny("751.45")
    assert order.approval_reasons == ()
    assert not PROCESS.requires_approval(order)

    assert order.submit(SALES, at=at(2, 11), approval_required=False) is OrderStatus.CONFIRMED
    assert order.confirmed_at == at(2, 11)
    receivable = open_receivable(order, TERMS, "AR-SO-1", actor=SALES, at=at(2, 11))
    # 50 % of 751.45 = 375.725 → 375.73; the balance 375.72 is due 30 days after 2 March.
    assert [(str(i.amount), i.due_date.isoformat()) for i in receivable.installments] == [
        ("375.73 CNY", "2026-03-02"),
        ("375.72 CNY", "2026-04-01"),
    ]
    assert (receivable.customer, receivable.owner_id, receivable.department) == (
        "acme",
        "sally",
        "east",
    )

    order.ship(SHIPPING, {0: 3, 1: 2}, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(5))
    payment = receivable.record_payment(SALES, cny("751.45"), received_on=at(6).date(), at=at(6))
    receivable.confirm_payment(FINANCE, payment.id, at=at(6, 15))
    invoice = receivable.request_invoice(
        SALES, cny("751.45"), title="ACME", tax_id="913", address="Shanghai", at=at(7)
    )
    receivable.issue_invoice(FINANCE, invoice.id, number="0042", at=at(7, 15))
    order.complete(FINANCE, at=at(8), balance=receivable.balance(at(8).date()))

    assert order.status is OrderStatus.COMPLETED
    kinds = [type(e).__name__ for e in order.pull_events()]
    assert kinds == [
        "OrderDrafted",
        "OrderPriced",
        "OrderSubmitted",
        "OrderConfirmed",
        "OrderShipped",
        "OrderReceived",
        "OrderCompleted",
    ]
    assert order.pull_events() == []
    completed = order.history[-1]
    assert isinstance(completed, OrderCompleted)
    assert completed.net_amount == cny("751.45")
    assert all(e.owner_id == "sally" for e in order.history)  # type: ignore[attr-defined]


def test_discount_above_authority_goes_to_approval_and_the_manager_confirms() -> None:
    order = priced_order(discount=PercentOff(Percent(20)))
    # 700 − 20 % = 560.00 net; tax 72.80; grand total 632.80; 20 % > the 8 % sales may give.
    assert order.net_total == cny("560.00")
    assert order.grand_total == cny("632.80")
    # Both lines and the order exceed sales' authority; the saw's net 160.00 is below the
    # margin floor 150 × 1.15 = 172.50.
    assert [(r.kind, r.line) for r in order.approval_reasons] == [
        ("discount_above_authority", 0),
        ("discount_above_authority", 1),
        ("below_margin_floor", 1),
        ("discount_above_authority", None),
    ]
    assert order.effective_discount == Percent(20)
    assert PROCESS.requires_approval(order)

    status = order.submit(SALES, at=at(2, 11), approval_required=PROCESS.requires_approval(order))
    assert status is OrderStatus.PENDING_APPROVAL
    assert order.confirmed_at is None
    with pytest.raises(Exception, match="PENDING_APPROVAL"):
        open_receivable(order, TERMS, "AR-1", actor=SALES, at=at(2, 12))
    order.approve(MANAGER, at=at(2, 14), approval_id="APR-1")
    assert order.status is OrderStatus.CONFIRMED
    approved, confirmed = order.history[-2:]
    assert isinstance(approved, OrderApproved)
    assert approved.approval_id == "APR-1"
    assert (approved.from_status, approved.to_status) == (
        OrderStatus.PENDING_APPROVAL,
        OrderStatus.CONFIRMED,
    )
    assert isinstance(confirmed, OrderConfirmed)
    assert confirmed.grand_total == cny("632.80")


def test_rejected_order_returns_to_draft_with_the_reason_and_is_resubmitted() -> None:
    order = priced_order(discount=PercentOff(Percent(20)))
    order.submit(SALES, at=at(2, 11), approval_required=True)
    order.reject(MANAGER, at=at(2, 12), reason="20 % is too much")
    assert order.status is OrderStatus.DRAFT
    assert order.rejection_reason == "20 % is too much"
    rejected = order.history[-1]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason == "20 % is too much"

    order.set_order_discount(SALES, PercentOff(Percent(5)), at=at(2, 13))
    assert not order.is_price_current
    order.price(ENGINE, SALES, at=at(2, 14))
    assert order.approval_reasons == ()
    assert order.submit(SALES, at=at(2, 15), approval_required=False) is OrderStatus.CONFIRMED
    assert order.rejection_reason is None
    assert order.grand_total == cny("751.45")


def test_submitter_withdraws_a_pending_order() -> None:
    order = priced_order()
    order.submit(SALES, at=at(2, 11), approval_required=True)
    order.withdraw(SALES, at=at(2, 12), reason="customer wants more saws")
    assert order.status is OrderStatus.DRAFT
    assert isinstance(order.history[-1], OrderWithdrawn)
    # Still priced and unedited: it may be submitted again without repricing.
    assert order.is_price_current


def test_partial_shipments_then_the_rest() -> None:
    order = confirmed_order()
    first = order.ship(SHIPPING, {0: 1}, at=at(3), reference="WB-1")
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert order.remaining_to_ship() == {0: Decimal(2), 1: Decimal(2)}
    assert first.id == "SO-1/S1"
    second = order.ship_remaining(SHIPPING, at=at(4))
    assert order.status is OrderStatus.SHIPPED
    assert [(q.line, q.quantity) for q in second.lines] == [(0, 2), (1, 2)]
    assert [order.shipped_quantity(i) for i in (0, 1)] == [3, 2]
    assert order.received_quantity(0) == 0
    shipped = order.history[-1]
    assert isinstance(shipped, OrderShipped)
    assert shipped.complete
    order.confirm_receipt(SHIPPING, at=at(5))
    assert order.received_quantity(0) == 3


def test_cancel_before_shipment_with_a_reason() -> None:
    order = confirmed_order()
    order.cancel(SALES, at=at(3), reason="customer went bankrupt")
    assert order.status is OrderStatus.CANCELLED
    assert order.cancel_reason == "customer went bankrupt"
    event = order.history[-1]
    assert isinstance(event, OrderCancelled)
    assert event.from_status is OrderStatus.CONFIRMED


def test_partial_returns_sum_exactly_to_the_line_total() -> None:
    # BIT × 3 for a line amount of 100.00: total with 13 % tax 113.00, not divisible by 3.
    order = received_order(lines=[LineRequest("BIT", 3, line_amount=cny(100))])
    assert order.priced_lines[0].total == cny("113.00")
    first = order.record_return(SALES, {0: 1}, at=at(6), reason="dented")
    second = order.record_return(SALES, {0: 1}, at=at(7), reason="dented")
    third = order.record_return(SALES, {0: 1}, at=at(8), reason="dented")
    # round(113 × 1/3) = 37.67; round(113 × 2/3) = 75.33 → 37.66; 113.00 − 75.33 = 37.67.
    assert [n.amount for n in (first, second, third)] == [
        cny("37.67"),
        cny("37.66"),
        cny("37.67"),
    ]
    assert order.returned_amount == cny("113.00")
    assert order.net_amount == cny("0.00")
    assert order.returned_quantity(0) == 3


def test_return_lowers_the_receivable_net_amount() -> None:
    order = received_order()
    receivable = open_receivable(order, TERMS, "AR-SO-1", actor=SALES, at=at(5))
    # DRILL × 3 = 300 + 39 tax = 339.00; one drill back = 113.00.
    note = order.record_return(SALES, {0: 1}, at=at(6), reason="one broken")
    assert note.amount == cny("113.00")
    cut = record_return_on(receivable, note, actor=SALES, at=at(6))
    assert cut is not None
    balance = receivable.balance(at(6).date())
    # grand total 791.00 (700 + 91 tax) less 113.00.
    assert balance.net_amount == cny("678.00")
    assert order.net_amount == cny("678.00")


def test_free_goods_return_is_worth_nothing_on_the_receivable() -> None:
    order = received_order(lines=[LineRequest("BIT", 2, unit_price=cny(0)), LineRequest("SAW", 1)])
    receivable = open_receivable(order, TERMS, "AR-SO-1", actor=SALES, at=at(5))
    note = order.record_return(SALES, {0: 2}, at=at(6), reason="unwanted")
    assert note.amount == cny("0.00")
    assert record_return_on(receivable, note, actor=SALES, at=at(6)) is None


def test_quick_reorder_repriced_or_at_old_prices() -> None:
    old = priced_order(lines=[LineRequest("DRILL", 2, unit_price=cny(90)), LineRequest("SAW", 1)])
    again = reorder_order(old, "SO-2", actor=SALES, at=at(20))
    assert again.status is OrderStatus.DRAFT
    assert again.source_order_id == "SO-1"
    assert [(line.sku, line.quantity) for line in again.lines] == [("DRILL", 2), ("SAW", 1)]
    assert again.priced is None
    again.price(ENGINE, SALES, at=at(20, 10))
    # 2 × 90 (override kept) + 200 = 380.00 net.
    assert again.net_total == cny("380.00")
    kept = reorder_order(old, "SO-3", actor=SALES, at=at(21), keep_prices=True)
    assert kept.owner_id == "sally"
    assert kept.lines[1].unit_price == cny(200)
    created = kept.history[0]
    assert created.source_order_id == "SO-1"  # type: ignore[attr-defined]


def test_available_transitions_follow_state_and_roles() -> None:
    order = confirmed_order()
    assert order.available_transitions(SALES) == ["cancel"]
    assert order.available_transitions(SHIPPING) == ["ship", "ship_partially", "cancel"]
    order.ship_remaining(SHIPPING, at=at(3))
    assert order.available_transitions(SALES) == ["record_return", "return_for_reshipment"]
    assert order.available_transitions(SHIPPING) == [
        "confirm_receipt",
        "confirm_shipment_receipt",
        "record_return",
        "return_for_reshipment",
    ]


def test_submitted_event_carries_the_figures() -> None:
    order = priced_order(discount=PercentOff(Percent(20)))
    order.submit(SALES, at=at(2, 11), approval_required=True)
    event = order.history[-1]
    assert isinstance(event, OrderSubmitted)
    assert event.grand_total == cny("632.80")
    assert event.approval_reasons == (
        "discount_above_authority",
        "discount_above_authority",
        "below_margin_floor",
        "discount_above_authority",
    )
    assert event.approval_required
    assert event.department == "east"
