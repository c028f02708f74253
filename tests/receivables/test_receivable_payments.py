"""The receivable aggregate: payments, refunds, returns, invoices, balances and error paths."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmcore.errors import (
    CurrencyMismatch,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    Installment,
    InvoiceState,
    InvoicingPolicy,
    OverpaymentPolicy,
    PaymentState,
    Receivable,
    ReceivableOpened,
    ReceivablePaymentConfirmed,
    ReceivablePaymentRecorded,
    ReceivablePolicy,
    ReceivableStatus,
    RefundState,
    payment_lifecycle,
)
from tests.receivables.rcv_support import (
    FINANCE,
    FINANCE2,
    SALES,
    TERMS_30_50_20,
    at,
    cny,
    make_receivable,
)


def snapshot(r: Receivable) -> tuple[object, ...]:
    return (
        r.balance(date(2030, 1, 1)),
        r.payments,
        r.refunds,
        r.returns,
        r.invoices,
        len(r.history),
    )


def test_invoice_200_on_30_50_20_pay_40_leaves_20_on_the_first_installment() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(40), received_on=date(2024, 1, 2), at=at(2))
    pending = r.balance(date(2024, 1, 2))
    assert pending.received == cny(0)
    assert pending.pending_confirmation == cny(40)
    assert pending.status is ReceivableStatus.OVERDUE  # installment 1 was due on 1 January
    r.confirm_payment(FINANCE, p.id, at=at(3))
    b = r.balance(date(2024, 1, 3))
    assert [row.outstanding for row in b.installments] == [cny(20), cny(100), cny(40)]
    assert b.received == cny(40)
    assert b.pending_confirmation == cny(0)
    assert b.outstanding == cny(160)
    assert b.next_due_date == date(2024, 1, 1)
    assert b.next_amount_due == cny(20)
    assert b.overdue_amount == cny(20)
    assert b.days_overdue == 2
    assert b.not_yet_invoiced == cny(200)
    # on a date before the confirmation the payment was still pending
    assert r.balance(date(2024, 1, 2)).received == cny(0)


def test_paying_the_rest_in_two_payments_makes_it_paid_then_a_refund_reopens_it() -> None:
    r = make_receivable()
    p1 = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 1), at=at(1, hour=11))
    r.confirm_payment(FINANCE, p1.id, at=at(2))
    assert r.balance(date(2024, 1, 2)).status is ReceivableStatus.PARTLY_PAID
    p2 = r.record_payment(SALES, cny(140), received_on=date(2024, 1, 20), at=at(20))
    r.confirm_payment(FINANCE2, p2.id, at=at(21))
    b = r.balance(date(2024, 1, 21))
    assert (b.status, b.outstanding, b.next_due_date) == (ReceivableStatus.PAID, cny(0), None)
    refund = r.request_refund(SALES, cny(30), reason="goodwill", at=at(22))
    assert r.balance(date(2024, 1, 22)).refunded == cny(0)
    r.confirm_refund(FINANCE, refund.id, at=at(23))
    b = r.balance(date(2024, 1, 23))
    assert (b.received, b.refunded, b.outstanding) == (cny(200), cny(30), cny(30))
    assert [row.outstanding for row in b.installments] == [cny(0), cny(0), cny(30)]  # latest first


def test_unpaid_status_and_not_yet_due() -> None:
    r = make_receivable(terms=TERMS_30_50_20, issue_date=date(2024, 1, 10))
    b = r.balance(date(2024, 1, 9))
    assert b.status is ReceivableStatus.UNPAID
    assert b.overdue_amount == cny(0)
    assert b.days_overdue == 0


def test_overpayment_becomes_an_advance_by_default() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(250), received_on=date(2024, 1, 2), at=at(2))
    assert p.advance == cny(50)
    r.confirm_payment(FINANCE, p.id, at=at(3))
    b = r.balance(date(2024, 1, 3))
    assert (b.status, b.outstanding, b.advance, b.received) == (
        ReceivableStatus.OVERPAID,
        cny(0),
        cny(50),
        cny(250),
    )
    refund = r.request_refund(FINANCE2, cny(50), reason="return the advance", at=at(4))
    confirmed = r.confirm_refund(FINANCE, refund.id, at=at(5))
    assert confirmed.advance_release == cny(50)
    assert confirmed.releases == ()
    assert r.balance(date(2024, 1, 5)).status is ReceivableStatus.PAID


def test_overpayment_refused_by_policy_changes_nothing() -> None:
    r = make_receivable(policy=ReceivablePolicy(overpayment=OverpaymentPolicy.REFUSE))
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation, match=r"payment 201.00 CNY exceeds the room left .*200\.00 CNY"
    ):
        r.record_payment(SALES, cny(201), received_on=date(2024, 1, 2), at=at(2))
    assert snapshot(r) == before


def test_explicit_allocation() -> None:
    r = make_receivable()
    p = r.record_payment(
        SALES, cny(100), received_on=date(2024, 1, 2), at=at(2), allocations={2: cny(100)}
    )
    r.confirm_payment(FINANCE, p.id, at=at(3))
    rows = r.installment_view(date(2024, 1, 3))
    assert [row.outstanding for row in rows] == [cny(60), cny(0), cny(40)]


def test_allocating_more_than_an_installment_outstanding_is_refused() -> None:
    r = make_receivable()
    r.record_payment(SALES, cny(50), received_on=date(2024, 1, 2), at=at(2))  # pending on #1
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation,
        match=r"allocating 20.00 CNY to installment 1 exceeds its outstanding 10\.00 CNY",
    ):
        r.record_payment(
            SALES, cny(20), received_on=date(2024, 1, 2), at=at(2), allocations={1: cny(20)}
        )
    with pytest.raises(NotFound, match="no installment 4"):
        r.record_payment(
            SALES, cny(20), received_on=date(2024, 1, 2), at=at(2), allocations={4: cny(20)}
        )
    with pytest.raises(ValidationError, match=r"add up to 30\.00 CNY, more than the payment 20"):
        r.record_payment(
            SALES,
            cny(20),
            received_on=date(2024, 1, 2),
            at=at(2),
            allocations={2: cny(15), 3: cny(15)},
        )
    assert snapshot(r) == before


def test_bank_reference_makes_recording_idempotent() -> None:
    r = make_receivable()
    p = r.record_payment(
        SALES, cny(40), received_on=date(2024, 1, 2), at=at(2), reference="BANK-1"
    )
    again = r.record_payment(
        SALES, cny(40), received_on=date(2024, 1, 2), at=at(3), reference="BANK-1"
    )
    assert again == p
    assert len(r.payments) == 1
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation,
        match=r"'BANK-1' is already payment SO-1/P1 of 40.00 CNY, not 41.00 CNY",
    ):
        r.record_payment(
            SALES, cny(41), received_on=date(2024, 1, 2), at=at(3), reference="BANK-1"
        )
    assert snapshot(r) == before


def test_confirmation_rules() -> None:
    r = make_receivable()
    p = r.record_payment(FINANCE, cny(40), received_on=date(2024, 1, 2), at=at(2))
    before = snapshot(r)
    with pytest.raises(PermissionDenied, match="fiona recorded SO-1/P1 and may not confirm it"):
        r.confirm_payment(FINANCE, p.id, at=at(3))
    with pytest.raises(PermissionDenied, match="requires one of: finance"):
        r.confirm_payment(SALES, p.id, at=at(3))
    with pytest.raises(NotFound, match="no payment 'nope'"):
        r.confirm_payment(FINANCE2, "nope", at=at(3))
    assert snapshot(r) == before
    r.confirm_payment(FINANCE2, p.id, at=at(3))
    with pytest.raises(InvalidTransition, match="cannot confirm in state CONFIRMED"):
        r.confirm_payment(FINANCE2, p.id, at=at(3))
    with pytest.raises(InvalidTransition, match="cannot reject in state CONFIRMED"):
        r.reject_payment(FINANCE2, p.id, reason="x", at=at(3))


def test_rejected_payment_frees_its_allocation() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    with pytest.raises(ValidationError, match="reason"):
        r.reject_payment(FINANCE, p.id, reason=" ", at=at(3))
    rejected = r.reject_payment(FINANCE, p.id, reason="not on the statement", at=at(3))
    assert rejected.state is PaymentState.REJECTED
    assert rejected.reason == "not on the statement"
    b = r.balance(date(2024, 1, 3))
    assert (b.pending_confirmation, b.received, b.outstanding) == (cny(0), cny(0), cny(200))
    assert r.balance(date(2024, 1, 2)).pending_confirmation == cny(60)  # history view
    again = r.record_payment(
        SALES, cny(60), received_on=date(2024, 1, 4), at=at(4), allocations={1: cny(60)}
    )
    assert again.allocations[0].amount == cny(60)


def test_bad_payment_input_is_refused_and_changes_nothing() -> None:
    r = make_receivable()
    before = snapshot(r)
    with pytest.raises(
        CurrencyMismatch, match=r"payment 10\.00 USD is not in the receivable's currency CNY"
    ):
        r.record_payment(SALES, Money(10, "USD"), received_on=date(2024, 1, 2), at=at(2))
    for bad in (cny(0), cny(-1), cny("0.001")):
        with pytest.raises(ValidationError, match="payment"):
            r.record_payment(SALES, bad, received_on=date(2024, 1, 2), at=at(2))
    with pytest.raises(ValidationError, match="expected Money"):
        r.record_payment(SALES, 10, received_on=date(2024, 1, 2), at=at(2))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="may not record a payment"):
        r.record_payment(Actor("x", {"shipping"}), cny(1), received_on=date(2024, 1, 2), at=at(2))
    with pytest.raises(ValidationError, match=r"before receivable SO-1's last change"):
        r.record_payment(SALES, cny(1), received_on=date(2024, 1, 2), at=datetime(2023, 12, 1))
    with pytest.raises(ValidationError, match="mix naive and timezone-aware"):
        r.record_payment(
            SALES,
            cny(1),
            received_on=date(2024, 1, 2),
            at=datetime(2024, 2, 1, tzinfo=UTC),
        )
    with pytest.raises(ValidationError, match="expected a datetime"):
        r.record_payment(SALES, cny(1), received_on=date(2024, 1, 2), at=date(2024, 2, 1))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reference"):
        r.record_payment(SALES, cny(1), received_on=date(2024, 1, 2), at=at(2), reference="")
    assert snapshot(r) == before


def test_refund_rules() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(100), received_on=date(2024, 1, 2), at=at(2))
    with pytest.raises(
        InvariantViolation, match=r"refund 1.00 CNY exceeds what can be refunded 0\.00 CNY"
    ):
        r.request_refund(SALES, cny(1), reason="x", at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    f = r.request_refund(SALES, cny(70), reason="damaged", at=at(4))
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation,
        match=r"refund 31.00 CNY exceeds .* 30\.00 CNY \(received 100\.00 CNY, "
        r"refunded 0\.00 CNY, requested 70\.00 CNY\)",
    ):
        r.request_refund(SALES, cny(31), reason="more", at=at(4))
    with pytest.raises(PermissionDenied, match="sally recorded"):
        r.confirm_refund(Actor("sally", {"sales", "finance"}), f.id, at=at(5))
    with pytest.raises(NotFound):
        r.confirm_refund(FINANCE, "nope", at=at(5))
    assert snapshot(r) == before
    rejected = r.reject_refund(FINANCE, f.id, reason="no return note", at=at(5))
    assert rejected.state is RefundState.REJECTED
    assert rejected.rejection == "no return note"
    with pytest.raises(InvalidTransition):
        r.confirm_refund(FINANCE, f.id, at=at(6))
    f2 = r.request_refund(SALES, cny(100), reason="cancelled order", at=at(6))
    r.confirm_refund(FINANCE, f2.id, at=at(7))
    b = r.balance(date(2024, 1, 7))
    assert (b.received, b.refunded, b.outstanding, b.status) == (
        cny(100),
        cny(100),
        cny(200),
        ReceivableStatus.OVERDUE,
    )


def test_returns_reduce_the_net_amount_from_the_latest_installments() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(100), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    note = r.record_return(SALES, cny(70), reason="3 units back", at=at(4))
    assert [(c.installment, c.amount) for c in note.cuts] == [(3, cny(40)), (2, cny(30))]
    b = r.balance(date(2024, 1, 4))
    assert (b.returned, b.net_amount, b.outstanding) == (cny(70), cny(130), cny(30))
    assert [row.amount for row in b.installments] == [cny(60), cny(70), cny(0)]
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation, match=r"only 30\.00 CNY is unpaid; record a refund first"
    ):
        r.record_return(SALES, cny(31), reason="more", at=at(5))
    with pytest.raises(PermissionDenied, match="may not record a return"):
        r.record_return(Actor("x", {"shipping"}), cny(1), reason="x", at=at(5))
    assert snapshot(r) == before
    # a refund first, then the return goes through
    f = r.request_refund(SALES, cny(50), reason="refund before return", at=at(5))
    r.confirm_refund(FINANCE, f.id, at=at(6))
    r.record_return(SALES, cny(80), reason="rest back", at=at(7))
    b = r.balance(date(2024, 1, 7))
    assert (b.net_amount, b.received, b.refunded, b.outstanding, b.status) == (
        cny(50),
        cny(100),
        cny(50),
        cny(0),
        ReceivableStatus.PAID,
    )


def test_invoices_never_beyond_the_net_amount() -> None:
    r = make_receivable()
    kw = {"title": "ACME Ltd", "tax_id": "91310000", "address": "Shanghai"}
    i1 = r.request_invoice(SALES, cny(150), at=at(2), **kw)
    b = r.balance(date(2024, 1, 2))
    assert (b.invoiced, b.pending_invoice, b.not_yet_invoiced) == (cny(0), cny(150), cny(50))
    before = snapshot(r)
    with pytest.raises(
        InvariantViolation, match=r"invoice 51.00 CNY exceeds the invoicing limit 200\.00 CNY"
    ):
        r.request_invoice(SALES, cny(51), at=at(2), **kw)
    with pytest.raises(ValidationError, match="tax_id"):
        r.request_invoice(SALES, cny(1), at=at(2), title="t", tax_id="", address="a")
    with pytest.raises(PermissionDenied):
        r.issue_invoice(SALES, i1.id, number="No.1", at=at(3))
    assert snapshot(r) == before
    issued = r.issue_invoice(FINANCE, i1.id, number="No.1", at=at(3))
    assert issued.state is InvoiceState.ISSUED
    b = r.balance(date(2024, 1, 3))
    assert (b.invoiced, b.pending_invoice, b.not_yet_invoiced) == (cny(150), cny(0), cny(50))
    with pytest.raises(
        InvariantViolation,
        match=r"below the 150\.00 CNY invoiced or requested; cancel an invoice first",
    ):
        r.record_return(SALES, cny(60), reason="back", at=at(4))
    i2 = r.request_invoice(SALES, cny(50), at=at(4), **kw)
    rejected = r.reject_invoice(FINANCE, i2.id, reason="wrong title", at=at(5))
    assert rejected.state is InvoiceState.REJECTED
    r.cancel_invoice(FINANCE, i1.id, reason="red-letter", at=at(6))
    b = r.balance(date(2024, 1, 6))
    assert (b.invoiced, b.pending_invoice) == (cny(0), cny(0))
    assert r.balance(date(2024, 1, 5)).invoiced == cny(150)
    with pytest.raises(InvalidTransition):
        r.cancel_invoice(FINANCE, i2.id, reason="x", at=at(7))
    with pytest.raises(NotFound):
        r.issue_invoice(FINANCE, "nope", number="1", at=at(7))


def test_invoice_after_payment_policy() -> None:
    r = make_receivable(policy=ReceivablePolicy(invoicing=InvoicingPolicy.AFTER_PAYMENT))
    kw = {"title": "ACME Ltd", "tax_id": "91310000", "address": "Shanghai"}
    with pytest.raises(InvariantViolation, match=r"invoicing limit 0\.00 CNY \(after_payment\)"):
        r.request_invoice(SALES, cny(1), at=at(2), **kw)
    p = r.record_payment(SALES, cny(80), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    assert r.invoicing_limit() == cny(80)
    r.request_invoice(SALES, cny(60), at=at(4), **kw)
    with pytest.raises(
        InvariantViolation,
        match=r"would leave 59\.00 CNY received, less than the 60\.00 CNY invoiced",
    ):
        r.request_refund(SALES, cny(21), reason="x", at=at(5))
    r.request_refund(SALES, cny(20), reason="x", at=at(5))


def test_events_and_history() -> None:
    r = make_receivable()
    opened = r.pull_events()
    assert [type(e) for e in opened] == [ReceivableOpened]
    p = r.record_payment(SALES, cny(40), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    events = r.pull_events()
    assert [type(e) for e in events] == [ReceivablePaymentRecorded, ReceivablePaymentConfirmed]
    assert events[1].actor_id == "fiona"
    assert events[1].subject_id == "SO-1"
    assert r.pull_events() == []
    assert len(r.history) == 3


def test_lifecycle_tells_who_may_do_what() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(40), received_on=date(2024, 1, 2), at=at(2))
    machine = payment_lifecycle(r.policy.finance_roles)
    assert [t.name for t in machine.available_transitions(p.state, FINANCE, p)] == [
        "confirm",
        "reject",
    ]
    assert machine.available_transitions(p.state, SALES, p) == []


def test_restoring_a_receivable_checks_its_installments() -> None:
    inst = (Installment(1, date(2024, 1, 1), cny(100)),)
    with pytest.raises(
        ValidationError, match=r"sum to 100\.00 CNY, not the receivable amount 120\.00 CNY"
    ):
        Receivable("R", "c", "o", None, cny(120), date(2024, 1, 1), inst)
    with pytest.raises(ValidationError, match=r"installments\[0\].number: expected 1, got 2"):
        Receivable(
            "R",
            "c",
            "o",
            None,
            cny(100),
            date(2024, 1, 1),
            (Installment(2, date(2024, 1, 1), cny(100)),),
        )
    with pytest.raises(CurrencyMismatch):
        Receivable(
            "R",
            "c",
            "o",
            None,
            cny(100),
            date(2024, 1, 1),
            (Installment(1, date(2024, 1, 1), Money(100, "USD")),),
        )
    with pytest.raises(ValidationError, match="must be > 0"):
        Receivable(
            "R",
            "c",
            "o",
            None,
            cny(100),
            date(2024, 1, 1),
            (Installment(1, date(2024, 1, 1), cny(0)),),
        )
    with pytest.raises(ValidationError, match="needs at least one"):
        Receivable("R", "c", "o", None, cny(100), date(2024, 1, 1), ())
    with pytest.raises(ValidationError, match="amount"):
        Receivable("R", "c", "o", None, cny(0), date(2024, 1, 1), inst)
    with pytest.raises(ValidationError, match="customer"):
        Receivable("R", "", "o", None, cny(100), date(2024, 1, 1), inst)
    with pytest.raises(PermissionDenied, match="open a receivable"):
        Receivable.open(
            "R",
            customer="c",
            owner_id="o",
            amount=cny(1),
            issue_date=date(2024, 1, 1),
            terms=TERMS_30_50_20,
            actor=Actor("x", {"shipping"}),
            at=at(1),
        )
