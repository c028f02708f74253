"""Sales returns in every state and credit notes on the Receivable (issue 16).

The receivable is 1,000.00 on 30/50/20 terms: installments 300.00, 500.00 and 200.00.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmcore.errors import InvalidTransition, InvariantViolation, NotFound, PermissionDenied
from crmcore.ports import Actor
from crmcore.receivables import (
    Allocation,
    DueRule,
    EarlyDiscount,
    InvoiceState,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivablePolicy,
    ReceivableStatus,
    ReturnCreditPolicy,
    TermLine,
    WriteOffRules,
)
from crmcore.serialization import from_dict, to_dict
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES, at, cny, make_receivable

TODAY = at(20).date()


def paid(r: Receivable, amount: str, day: int = 2) -> None:
    payment = r.record_payment(SALES, cny(amount), received_on=at(day).date(), at=at(day))
    r.confirm_payment(FINANCE, payment.id, at=at(day, hour=11))


def invoiced(r: Receivable, amount: str, number: str, day: int = 3) -> str:
    request = r.request_invoice(
        SALES, cny(amount), title="Acme", tax_id="9131", address="Shanghai", at=at(day)
    )
    r.issue_invoice(FINANCE, request.id, number=number, at=at(day, hour=11))
    return request.id


def refused(r: Receivable, error: type[Exception], match: str, call: Callable[[], object]) -> None:
    before = to_dict(r)
    with pytest.raises(error, match=match):
        call()
    assert to_dict(r) == before


def test_an_unpaid_return_comes_off_the_latest_installments() -> None:
    r = make_receivable(amount="1000")
    done = r.record_sales_return(SALES, cny(250), reason="5 units back", at=at(4))
    assert done.note.cuts == (Allocation(2, cny(50)), Allocation(3, cny(200)))
    assert (done.credit_notes, done.customer_credit, done.refund) == ((), cny(0), None)
    b = r.balance(TODAY)
    assert (b.net_amount, b.outstanding, b.advance) == (cny(750), cny(750), cny(0))


def test_a_return_after_payment_leaves_customer_credit_as_an_advance() -> None:
    r = make_receivable(amount="1000")
    paid(r, "900")  # 300 + 500 + 100 of the last installment
    done = r.record_sales_return(SALES, cny(400), reason="8 units back", at=at(4))
    # 100.00 unpaid on installment 3, then 300.00 paid money: 100.00 of 3, 200.00 of 2
    assert done.note.cuts == (Allocation(2, cny(200)), Allocation(3, cny(200)))
    assert done.note.releases == (Allocation(2, cny(200)), Allocation(3, cny(100)))
    assert done.customer_credit == cny(300)
    b = r.balance(TODAY)
    assert (b.net_amount, b.received, b.advance, b.outstanding) == (
        cny(600),
        cny(900),
        cny(300),
        cny(0),
    )
    assert b.status is ReceivableStatus.OVERPAID
    assert [(i.amount, i.paid, i.outstanding) for i in b.installments] == [
        (cny(300), cny(300), cny(0)),
        (cny(300), cny(300), cny(0)),
        (cny(0), cny(0), cny(0)),
    ]
    # the identity: net = received − refunded − advance + outstanding
    assert b.net_amount == b.received - b.refunded - b.advance + b.outstanding
    event = r.history[-1]
    assert event.customer_credit == cny(300)  # type: ignore[attr-defined]


def test_a_refund_policy_asks_for_the_customer_credit_back_at_once() -> None:
    policy = ReceivablePolicy(return_credit=ReturnCreditPolicy.REFUND)
    r = make_receivable(amount="1000", policy=policy)
    paid(r, "1000")
    done = r.record_sales_return(SALES, cny(200), reason="4 units back", at=at(4))
    assert done.refund is not None
    assert (done.refund.id, done.refund.amount) == ("SO-1/F1", cny(200))
    r.confirm_refund(FINANCE, done.refund.id, at=at(5))
    b = r.balance(TODAY)
    assert (b.net_amount, b.received, b.refunded, b.advance, b.outstanding) == (
        cny(800),
        cny(1000),
        cny(200),
        cny(0),
        cny(0),
    )


def test_a_return_after_invoicing_asks_for_credit_notes_latest_invoice_first() -> None:
    r = make_receivable(amount="1000")
    first = invoiced(r, "600", "No. 1")
    second = invoiced(r, "400", "No. 2", day=4)
    done = r.record_sales_return(SALES, cny(500), reason="10 units back", at=at(5))
    assert [(c.id, c.invoice_id, c.amount, c.return_id) for c in done.credit_notes] == [
        ("SO-1/C1", second, cny(400), "SO-1/R1"),
        ("SO-1/C2", first, cny(100), "SO-1/R1"),
    ]
    assert done.note.credit_note_ids == ("SO-1/C1", "SO-1/C2")
    b = r.balance(TODAY)
    assert (b.net_amount, b.invoiced, b.pending_credit, b.credited, b.not_yet_invoiced) == (
        cny(500),
        cny(1000),
        cny(500),
        cny(0),
        cny(0),
    )
    for credit in done.credit_notes:
        r.issue_credit_note(FINANCE, credit.id, number=f"CN-{credit.id[-1]}", at=at(6))
    b = r.balance(TODAY)
    assert (b.invoiced, b.credited, b.pending_credit) == (cny(1000), cny(500), cny(0))
    assert r.credited_on(second) == cny(400)
    # a credit note a return needs cannot be rejected; no credit note can be cancelled away
    refused(
        r,
        InvalidTransition,
        "cannot reject in state ISSUED",
        lambda: r.reject_credit_note(FINANCE, "SO-1/C1", reason="no", at=at(7)),
    )
    refused(
        r,
        InvariantViolation,
        "credit notes issued or requested for 100.00",
        lambda: r.cancel_invoice(FINANCE, first, reason="wrong", at=at(7)),
    )


def test_a_credit_note_by_hand_credits_part_of_an_issued_invoice() -> None:
    r = make_receivable(amount="1000")
    invoice = invoiced(r, "600", "No. 1")
    credit = r.request_credit_note(SALES, invoice, cny(250), reason="wrong price", at=at(4))
    assert (credit.id, credit.state) == ("SO-1/C1", InvoiceState.REQUESTED)
    b = r.balance(TODAY)
    # the net amount stays: what is credited is to be invoiced again
    assert (b.net_amount, b.pending_credit, b.not_yet_invoiced) == (cny(1000), cny(250), cny(650))
    refused(
        r,
        InvariantViolation,
        "still has to credit: 350.00",
        lambda: r.request_credit_note(SALES, invoice, cny(400), reason="more", at=at(5)),
    )
    refused(
        r,
        PermissionDenied,
        "may not request a credit note",
        lambda: r.request_credit_note(
            Actor("sid", {"shipping"}), invoice, cny(1), reason="x", at=at(5)
        ),
    )
    refused(
        r,
        NotFound,
        "no credit note 'SO-1/C9'",
        lambda: r.issue_credit_note(FINANCE, "SO-1/C9", number="X", at=at(5)),
    )
    refused(
        r,
        PermissionDenied,
        "may not reject",
        lambda: r.reject_credit_note(SALES, credit.id, reason="x", at=at(5)),
    )
    rejected = r.reject_credit_note(FINANCE2, credit.id, reason="price was right", at=at(5))
    assert (rejected.state, rejected.rejection) == (InvoiceState.REJECTED, "price was right")
    r.cancel_invoice(FINANCE, invoice, reason="wrong title", at=at(6))
    refused(
        r,
        InvalidTransition,
        "is cancelled; only an issued invoice",
        lambda: r.request_credit_note(SALES, invoice, cny(1), reason="x", at=at(7)),
    )
    b = r.balance(TODAY)
    assert (b.invoiced, b.credited, b.pending_credit, b.not_yet_invoiced) == (
        cny(0),
        cny(0),
        cny(0),
        cny(1000),
    )


def test_returns_are_refused_beyond_the_net_or_into_pending_money_or_requests() -> None:
    r = make_receivable(amount="1000")
    refused(
        r,
        InvariantViolation,
        "exceeds the net amount 1000.00",
        lambda: r.record_sales_return(SALES, cny(1001), reason="x", at=at(4)),
    )
    r.record_payment(SALES, cny(1000), received_on=at(2).date(), at=at(2))
    refused(
        r,
        InvariantViolation,
        r"pending confirmation \(1000\.00 CNY\)",
        lambda: r.record_sales_return(SALES, cny(10), reason="x", at=at(4)),
    )
    other = make_receivable(amount="1000")
    other.request_invoice(SALES, cny(1000), title="A", tax_id="1", address="S", at=at(3))
    refused(
        other,
        InvariantViolation,
        "issue or reject the requested invoices",
        lambda: other.record_sales_return(SALES, cny(10), reason="x", at=at(4)),
    )


def test_returns_and_credit_notes_store_and_old_rows_still_load() -> None:
    r = make_receivable(amount="1000")
    paid(r, "1000")
    invoiced(r, "1000", "No. 1")
    r.record_sales_return(SALES, cny(300), reason="6 back", at=at(5))
    data = to_dict(r)
    again = from_dict(Receivable, data)
    assert again.credit_notes == r.credit_notes
    assert again.balance(TODAY) == r.balance(TODAY)
    # a row written before issue 16 has no credit notes, releases nor return-credit policy
    old = make_receivable(amount="1000")
    old.record_return(SALES, cny(100), reason="back", at=at(4))
    row = to_dict(old)
    del row["credit_notes"]
    del row["policy"]["return_credit"]
    for note in row["returns"]:
        del note["releases"], note["credit_note_ids"], note["written_back"]
        del note["discount_back"]
    for event in row["history"]:
        if event["event"] == "ReceivableReturnRecorded":
            del event["customer_credit"]
    loaded = from_dict(Receivable, row)
    assert loaded.balance(TODAY).net_amount == cny(900)
    assert loaded.credit_notes == ()


def test_a_return_takes_back_a_write_off_before_paid_money() -> None:
    r = make_receivable(amount="1000")
    paid(r, "995")  # 300 + 500 + 195: 5.00 short, a bank fee
    r.write_off(FINANCE2, cny(5), reason_code="bank_fee", rules=WriteOffRules.standard(), at=at(3))
    done = r.record_sales_return(SALES, cny(200), reason="4 units back", at=at(4))
    assert done.note.written_back == (Allocation(3, cny(5)),)
    assert done.note.releases == (Allocation(3, cny(195)),)
    assert done.customer_credit == cny(195)
    b = r.balance(TODAY)
    assert (b.net_amount, b.received, b.advance, b.written_off, b.outstanding) == (
        cny(800),
        cny(995),
        cny(195),
        cny(0),
        cny(0),
    )
    assert b.net_amount == b.received - b.refunded - b.advance + b.outstanding + b.written_off


def test_a_return_takes_back_the_early_payment_discount_on_the_goods() -> None:
    two_ten = PaymentTerms(
        "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
    )
    r = make_receivable(amount="1000", terms=two_ten)
    paid(r, "980")  # within ten days: the 20.00 discount is granted with the payment
    assert r.balance(TODAY).discounted == cny(20)
    # 100.00 of goods back: 2.00 of the discount goes with them, 98.00 paid comes back
    part = r.record_sales_return(SALES, cny(100), reason="2 units back", at=at(4))
    assert (part.note.discount_back, part.customer_credit) == ((Allocation(1, cny(2)),), cny(98))
    b = r.balance(TODAY)
    assert (b.net_amount, b.returned, b.discounted, b.advance, b.outstanding) == (
        cny(882),
        cny(100),
        cny(18),
        cny(98),
        cny(0),
    )
    rest = r.record_sales_return(SALES, cny(900), reason="the rest back", at=at(5))
    assert rest.customer_credit == cny(882)
    b = r.balance(TODAY)
    assert (b.net_amount, b.discounted, b.advance, b.outstanding) == (
        cny(0),
        cny(0),
        cny(980),
        cny(0),
    )
    assert b.net_amount == b.received - b.refunded - b.advance + b.outstanding + b.written_off
    refused(
        r,
        InvariantViolation,
        "exceeds the net amount 0.00",
        lambda: r.record_sales_return(SALES, cny(1), reason="x", at=at(6)),
    )
