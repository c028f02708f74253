"""Order-to-cash corrections through the services, on both adapters, with the notifications
each step sends (issue 16, the order and document side).

The standard order is 3 drills (339.00 with 13 % tax) and 2 saws (452.00): 791.00, half now
and half in 30 days (395.50 each).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crmcore.errors import InvalidTransition, InvariantViolation, PermissionDenied
from crmcore.money import Percent
from crmcore.orders import (
    InvoiceBasis,
    InvoicingStatus,
    Order,
    OrderStatus,
    ReturnDisposition,
)
from crmcore.pricing import LineRequest, PercentOff
from crmcore.receivables import (
    Balance,
    CreditPolicy,
    Receivable,
    ReceivablePolicy,
    ReturnCreditPolicy,
)
from crmcore.reports import sales_report
from tests.services.helpers import (
    ANN,
    FAY,
    FIN,
    MIA,
    SID,
    START,
    World,
    cny,
    memory_world,
    sqlite_world,
)
from tests.services.order_helpers import confirmed_order, paid_order, stored_order


def _world(kind: str, folder: Path, **changes: object) -> World:
    return memory_world(**changes) if kind == "memory" else sqlite_world(folder, **changes)


@pytest.fixture(params=["memory", "sqlite"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(adapter: str, tmp_path: Path) -> Iterator[World]:
    made = _world(adapter, tmp_path)
    yield made
    getattr(made.storage, "close", lambda: None)()


def balance(world: World, receivable_id: str) -> Balance:
    with world.storage.unit_of_work() as uow:
        receivable = uow.repository(Receivable).get(receivable_id)
    return receivable.balance(world.clock.now().date())


def stored_receivable(world: World, receivable_id: str) -> Receivable:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Receivable).get(receivable_id)


def test_a_return_from_a_completed_paid_and_invoiced_order(world: World) -> None:
    crm = world.crm
    ids = paid_order(world)  # paid 791.00 (confirmed by Fay), invoice No. 1 for 791.00 issued
    crm.orders.complete(ANN, ids["order"])
    world.sent()
    world.clock.advance(days=2)
    note = crm.orders.record_return(ANN, ids["order"], {1: 1}, "damaged saw")
    # one saw of two: 200.00 + 13 % = 226.00; the order stays completed
    assert (note.amount, stored_order(world, ids["order"]).status) == (
        cny("226.00"),
        OrderStatus.COMPLETED,
    )
    assert world.sent() == [
        ("fay", "credit note awaiting issue"),
        ("fin", "credit note awaiting issue"),
    ]
    rec = stored_receivable(world, ids["rec"])
    credit = rec.credit_notes[0]
    assert (credit.id, credit.invoice_id, credit.amount) == (
        f"{ids['rec']}/C1",
        f"{ids['rec']}/I1",
        cny("226.00"),
    )
    b = balance(world, ids["rec"])
    # paid money the return took back is customer credit, kept as an advance by default
    assert (b.net_amount, b.received, b.advance, b.outstanding) == (
        cny("565.00"),
        cny("791.00"),
        cny("226.00"),
        cny("0.00"),
    )
    assert (b.invoiced, b.pending_credit, b.not_yet_invoiced) == (
        cny("791.00"),
        cny("226.00"),
        cny("0.00"),
    )
    todo = crm.queries.credit_notes_awaiting_issue(FAY)
    assert [(t.credit_note_id, t.invoice_id, t.amount, t.return_id) for t in todo] == [
        (credit.id, credit.invoice_id, cny("226.00"), f"{ids['rec']}/R1")
    ]
    assert crm.queries.credit_notes_awaiting_issue(ANN) == []  # sales may not issue them
    with pytest.raises(PermissionDenied, match=r"may not credit_note\.issue"):
        crm.receivables.issue_credit_note(ANN, ids["rec"], credit.id, "CN-1")
    crm.receivables.issue_credit_note(FAY, ids["rec"], credit.id, "CN-1")
    assert crm.queries.credit_notes_awaiting_issue(FAY) == []
    assert world.sent() == [("ann", "credit note issued")]
    b = balance(world, ids["rec"])
    assert (b.invoiced, b.credited, b.pending_credit) == (
        cny("791.00"),
        cny("226.00"),
        cny("0.00"),
    )
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.ordered, progress.delivered, progress.delivered_percent) == (
        Decimal(5),
        Decimal(4),
        Percent(80),
    )
    # 565.00 of 791.00 billed: 71.43 %; what is to be billed is billed
    assert (progress.to_bill, progress.billed, progress.billed_percent) == (
        cny("565.00"),
        cny("565.00"),
        Percent("71.43"),
    )
    assert progress.invoicing_status is InvoicingStatus.INVOICED


def test_a_refund_policy_refunds_the_customer_credit_of_a_return(
    adapter: str, tmp_path: Path
) -> None:
    world = _world(
        adapter,
        tmp_path,
        receivable_policy=ReceivablePolicy(return_credit=ReturnCreditPolicy.REFUND),
    )
    crm = world.crm
    ids = paid_order(world)
    world.sent()
    crm.orders.record_return(ANN, ids["order"], {0: 1}, "one drill back")
    refund = stored_receivable(world, ids["rec"]).refunds[0]
    # one drill: 100.00 + 13.00; Ann recorded the return, so Fay confirms the refund
    assert (refund.amount, refund.recorded_by) == (cny("113.00"), "ann")
    crm.receivables.confirm_refund(FAY, ids["rec"], refund.id)
    b = balance(world, ids["rec"])
    assert (b.net_amount, b.received, b.refunded, b.advance, b.outstanding) == (
        cny("678.00"),
        cny("791.00"),
        cny("113.00"),
        cny("0.00"),
        cny("0.00"),
    )
    assert world.sent() == [
        ("fay", "credit note awaiting issue"),
        ("fin", "credit note awaiting issue"),
    ]
    getattr(world.storage, "close", lambda: None)()


def test_receipt_per_shipment_returns_before_receipt_and_short_close(world: World) -> None:
    crm = world.crm
    ids = confirmed_order(world)
    order_id, rec = ids["order"], ids["rec"]
    world.sent()
    first = crm.orders.ship(SID, order_id, {0: 2})
    crm.orders.confirm_receipt(SID, order_id, first.id)
    crm.orders.ship(SID, order_id, {1: 1})
    stored = stored_order(world, order_id)
    assert (stored.status, stored.received_quantity(0), stored.received_quantity(1)) == (
        OrderStatus.PARTIALLY_SHIPPED,
        Decimal(2),
        Decimal(0),
    )
    # one drill dented: closed (113.00 off); one saw has the wrong blade: ship it again
    dented = crm.orders.record_return(SID, order_id, {0: 1}, "dented")
    again = crm.orders.record_return(
        ANN, order_id, {1: 1}, "wrong blade", disposition=ReturnDisposition.RESHIP
    )
    assert (dented.amount, again.amount) == (cny("113.00"), cny("0.00"))
    todo = crm.queries.orders_awaiting_shipment(SID)
    assert [t.remaining for t in todo] == [((0, "DRILL", Decimal(1)), (1, "SAW", Decimal(2)))]
    assert balance(world, rec).net_amount == cny("678.00")
    # the customer needs no more: the drill and both saws left are closed (113.00 + 452.00)
    closed = crm.orders.short_close(ANN, order_id, "customer needs no more")
    assert closed.amount == cny("565.00")
    assert crm.queries.orders_awaiting_shipment(SID) == []
    assert stored_order(world, order_id).status is OrderStatus.SHIPPED
    progress = crm.queries.order_progress(ANN, order_id)
    assert (progress.shipped, progress.returned, progress.delivered, progress.closed) == (
        Decimal(3),
        Decimal(2),
        Decimal(1),
        Decimal(4),
    )
    assert (progress.left_to_ship, progress.delivered_percent) == (Decimal(0), Percent(20))
    assert (progress.to_bill, progress.invoicing_status) == (
        cny("113.00"),
        InvoicingStatus.TO_INVOICE,
    )
    assert world.sent() == []
    crm.orders.confirm_receipt(SID, order_id)
    b = balance(world, rec)
    assert (b.net_amount, b.returned, b.outstanding) == (
        cny("113.00"),
        cny("678.00"),
        cny("113.00"),
    )
    paid = crm.receivables.record_payment(ANN, rec, cny("113.00"), received_on=START.date())
    crm.receivables.confirm_payment(FAY, rec, paid.id)
    invoice = crm.receivables.request_invoice(
        ANN, rec, cny("113.00"), title="Acme", tax_id="9131", address="Shanghai"
    )
    crm.receivables.issue_invoice(FIN, rec, invoice.id, "No. 7")
    assert world.sent() == [
        ("fay", "payment awaiting confirmation"),
        ("fin", "payment awaiting confirmation"),
        ("ann", "payment confirmed"),
        ("mia", "payment confirmed"),
        ("fay", "invoice awaiting issue"),
        ("fin", "invoice awaiting issue"),
        ("ann", "invoice issued"),
    ]
    assert crm.orders.complete(ANN, order_id).status is OrderStatus.COMPLETED


def test_credit_notes_and_cancelling_an_invoice_through_the_services(world: World) -> None:
    crm = world.crm
    ids = confirmed_order(world)
    rec = ids["rec"]
    invoice = crm.receivables.request_invoice(
        ANN, rec, cny("791.00"), title="Acme Ltd", tax_id="9131", address="Shanghai"
    )
    crm.receivables.issue_invoice(FAY, rec, invoice.id, "No. 1")
    world.sent()
    # the price on the invoice was wrong by 91.00: credit part of it, invoice it again
    credit = crm.receivables.request_credit_note(ANN, rec, invoice.id, cny("91.00"), "price")
    assert world.sent() == [
        ("fay", "credit note awaiting issue"),
        ("fin", "credit note awaiting issue"),
    ]
    crm.receivables.reject_credit_note(FAY, rec, credit.id, "the price was right")
    assert world.sent() == [("ann", "credit note rejected")]
    # the title was wrong: cancel the whole invoice (finance only) and invoice again
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"may not invoice\.cancel"):
        crm.receivables.cancel_invoice(ANN, rec, invoice.id, "wrong title")
    assert world.snapshot() == before
    crm.receivables.cancel_invoice(FAY, rec, invoice.id, "wrong title")
    assert world.sent() == [("ann", "invoice cancelled")]
    b = balance(world, rec)
    assert (b.invoiced, b.credited, b.not_yet_invoiced) == (
        cny("0.00"),
        cny("0.00"),
        cny("791.00"),
    )
    again = crm.receivables.request_invoice(
        ANN, rec, cny("791.00"), title="Acme Ltd.", tax_id="9131", address="Shanghai"
    )
    crm.receivables.issue_invoice(FAY, rec, again.id, "No. 2")
    partial = crm.receivables.request_credit_note(
        ANN, rec, again.id, cny("100.00"), "goodwill", idempotency_key="cn-1"
    )
    retried = crm.receivables.request_credit_note(
        ANN, rec, again.id, cny("100.00"), "goodwill", idempotency_key="cn-1"
    )
    assert retried == partial
    crm.receivables.issue_credit_note(FIN, rec, partial.id, "CN-2")
    b = balance(world, rec)
    assert (b.invoiced, b.credited, b.not_yet_invoiced) == (
        cny("791.00"),
        cny("100.00"),
        cny("100.00"),
    )
    before = world.snapshot()
    with pytest.raises(InvariantViolation, match="credit notes issued or requested"):
        crm.receivables.cancel_invoice(FAY, rec, again.id, "too late")
    assert world.snapshot() == before


def test_a_return_needing_a_requested_invoice_is_refused_and_nothing_changes(
    world: World,
) -> None:
    crm = world.crm
    ids = confirmed_order(world)
    crm.orders.ship(SID, ids["order"])
    crm.receivables.request_invoice(
        ANN, ids["rec"], cny("791.00"), title="Acme", tax_id="9131", address="Shanghai"
    )
    world.sent()
    before = world.snapshot()
    with pytest.raises(InvariantViolation, match="issue or reject the requested invoices"):
        crm.orders.record_return(ANN, ids["order"], {0: 1}, "dented")
    assert world.snapshot() == before


def test_a_free_sample_is_confirmed_shipped_and_completed_without_a_receivable(
    world: World,
) -> None:
    crm = world.crm
    order = crm.orders.draft(ANN, customer="acme", currency="CNY", lines=[LineRequest("DRILL", 1)])
    crm.orders.set_discount(ANN, order.id, PercentOff(Percent(100)))
    assert crm.orders.price(ANN, order.id).grand_total == cny("0.00")
    crm.orders.submit(ANN, order.id)  # 100 % off is beyond Ann's authority: Mia approves
    assert world.sent() == [("mia", "approval waiting for you")]
    crm.orders.approve(MIA, order.id, "free sample for acme")
    assert world.sent() == [("ann", "request approved"), ("sid", "order awaiting shipment")]
    with world.storage.unit_of_work() as uow:
        assert uow.repository(Receivable).find() == []
    crm.orders.ship(SID, order.id)
    crm.orders.confirm_receipt(SID, order.id)
    progress = crm.queries.order_progress(ANN, order.id)
    assert (progress.delivered_percent, progress.invoicing_status) == (
        Percent(100),
        InvoicingStatus.NOTHING_TO_INVOICE,
    )
    assert crm.orders.complete(ANN, order.id).status is OrderStatus.COMPLETED
    assert world.sent() == []
    view = crm.queries.order_money_view(ANN, order.id)
    assert (view.grand_total, view.payments) == (cny("0.00"), None)
    report = sales_report(
        [stored_order(world, order.id)],
        start=START.date(),
        end=START.date().replace(month=4),
        as_of=START.date(),
    )
    row = report.row("ann")
    assert (row.orders, row.confirmed_total, row.outstanding) == (
        1,
        cny("0.00"),
        cny("0.00"),
    )


def test_a_free_sample_passes_the_credit_check_untouched(adapter: str, tmp_path: Path) -> None:
    world = _world(adapter, tmp_path, credit_policy=CreditPolicy())
    crm = world.crm
    order = crm.orders.draft(ANN, customer="acme", currency="CNY", lines=[LineRequest("DRILL", 1)])
    crm.orders.set_discount(ANN, order.id, PercentOff(Percent(100)))
    crm.orders.price(ANN, order.id)
    submitted = crm.orders.submit(ANN, order.id)
    # nothing to expose: no credit check is made; the 100 % discount still needs Mia
    assert (submitted.credit, submitted.status) == (None, OrderStatus.PENDING_APPROVAL)
    getattr(world.storage, "close", lambda: None)()


def test_a_free_sample_cancelled_after_confirmation(world: World) -> None:
    crm = world.crm
    order = crm.orders.draft(ANN, customer="acme", currency="CNY", lines=[LineRequest("DRILL", 1)])
    crm.orders.set_discount(ANN, order.id, PercentOff(Percent(100)))
    crm.orders.price(ANN, order.id)
    crm.orders.submit(ANN, order.id)
    crm.orders.approve(MIA, order.id)
    assert crm.orders.cancel(ANN, order.id, "not needed").status is OrderStatus.CANCELLED


def test_invoicing_by_delivered_quantity(adapter: str, tmp_path: Path) -> None:
    world = _world(adapter, tmp_path, invoice_basis=InvoiceBasis.DELIVERED)
    crm = world.crm
    ids = confirmed_order(world)
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.to_bill, progress.invoicing_status) == (
        cny("0.00"),
        InvoicingStatus.NOTHING_TO_INVOICE,
    )
    crm.orders.ship(SID, ids["order"], {0: 2})  # two drills delivered: 226.00
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.to_bill, progress.invoicing_status, progress.delivered_percent) == (
        cny("226.00"),
        InvoicingStatus.TO_INVOICE,
        Percent(40),
    )
    invoice = crm.receivables.request_invoice(
        ANN, ids["rec"], cny("226.00"), title="Acme", tax_id="9131", address="Shanghai"
    )
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.billed, progress.invoicing_status) == (
        cny("226.00"),
        InvoicingStatus.INVOICED,
    )
    crm.receivables.issue_invoice(FAY, ids["rec"], invoice.id, "No. 1")
    # one drill comes back (closed): the invoices stay within the net amount (678.00), so no
    # credit note is needed for the receivable; by delivered quantity one is due: -113.00
    crm.orders.record_return(ANN, ids["order"], {0: 1}, "dented")
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.to_bill, progress.billed, progress.left_to_bill) == (
        cny("113.00"),
        cny("226.00"),
        cny("-113.00"),
    )
    assert progress.invoicing_status is InvoicingStatus.TO_INVOICE
    crm.receivables.request_credit_note(ANN, ids["rec"], invoice.id, cny("113.00"), "dented")
    progress = crm.queries.order_progress(ANN, ids["order"])
    assert (progress.billed, progress.invoicing_status) == (
        cny("113.00"),
        InvoicingStatus.INVOICED,
    )
    getattr(world.storage, "close", lambda: None)()


def test_bad_corrections_through_the_services_change_nothing(world: World) -> None:
    crm = world.crm
    ids = paid_order(world)
    crm.orders.complete(ANN, ids["order"])
    world.sent()
    before = world.snapshot()
    with pytest.raises(InvalidTransition, match="cannot return_for_reshipment in state COMPLETED"):
        crm.orders.record_return(
            ANN, ids["order"], {0: 1}, "x", disposition=ReturnDisposition.RESHIP
        )
    with pytest.raises(InvalidTransition, match="cannot short_close in state COMPLETED"):
        crm.orders.short_close(ANN, ids["order"], "x")
    with pytest.raises(PermissionDenied, match=r"may not order\.short_close"):
        crm.orders.short_close(SID, ids["order"], "x")
    assert world.snapshot() == before
    assert isinstance(stored_order(world, ids["order"]), Order)
