"""The early-payment discount is earned by confirmed money received in time, applied when that
payment is allocated and confirmed (one transfer over several discounted invoices too), and
stored and shown as a discount — never as a return (hand-checked figures)."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import InvariantViolation, ValidationError
from crmcore.receivables import (
    DueRule,
    EarlyDiscount,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivableStatus,
    TermLine,
    WriteOffRules,
    collections_report,
    record_customer_payment,
    target_attainment,
)
from crmcore.serialization import from_dict, to_dict
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES, at, cny, make_receivable

TWO_TEN = PaymentTerms(
    "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
)
#: 40 % now, 2 % off within 10 days; 60 % in 30 days, 1 % off within 20 days.
SPLIT = PaymentTerms(
    "40/60",
    [
        TermLine(Portion.percent(40), DueRule.net(0), EarlyDiscount(2, 10)),
        TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(1, 20)),
    ],
)


def test_no_payment_no_discount_whatever_paid_on_says() -> None:
    """Reproduces issue 16: `paid_on` was taken on trust and 20.00 granted with no payment."""
    r = make_receivable("SO-1", "1000", terms=TWO_TEN)
    with pytest.raises(InvariantViolation, match=r"needs 980\.00 CNY received by 2024-01-11"):
        r.grant_early_payment_discount(FINANCE, 1, paid_on=date(2024, 1, 5), at=at(5))
    pending = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 5), at=at(5))
    with pytest.raises(InvariantViolation, match=r"0\.00 CNY was"):  # recorded, not confirmed
        r.grant_early_payment_discount(FINANCE, 1, at=at(6))
    assert (r.discounts, r.balance(date(2024, 1, 6)).discounted) == ((), cny(0))
    r.confirm_payment(FINANCE, pending.id, at=at(7))
    assert [d.amount for d in r.discounts] == [cny(20)]


def test_a_late_payment_earns_no_discount() -> None:
    """Reproduces issue 16: the only payment came on 15 Jan (period ended 11 Jan)."""
    r = make_receivable("SO-1", "1000", terms=TWO_TEN)
    late = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 15), at=at(15))
    assert [(a.installment, a.amount) for a in late.allocations] == [(1, cny(980))]
    r.confirm_payment(FINANCE, late.id, at=at(15, hour=15))
    with pytest.raises(InvariantViolation, match=r"needs 980\.00 CNY received by 2024-01-11"):
        r.grant_early_payment_discount(FINANCE, 1, paid_on=date(2024, 1, 8), at=at(16))
    b = r.balance(date(2024, 1, 16))
    assert (b.discounted, b.outstanding, b.status) == (
        cny(0),
        cny(20),
        ReceivableStatus.PARTLY_PAID,
    )


def test_one_transfer_settles_two_discounted_invoices() -> None:
    """Reproduces issue 16: 1,470.00 for invoices of 1,000.00 and 500.00 on 2/10 net 30."""
    first = make_receivable("INV-1", "1000", terms=TWO_TEN)
    second = make_receivable("INV-2", "500", terms=TWO_TEN, issue_date=date(2024, 1, 3))
    transfer = record_customer_payment(
        [first, second],
        SALES,
        cny(1470),
        reference="BANK-88",
        received_on=date(2024, 1, 10),
        at=at(10),
    )
    assert [(rid, p.amount) for rid, p in transfer.parts] == [
        ("INV-1", cny(980)),
        ("INV-2", cny(490)),
    ]
    for receivable, (_, part) in zip((first, second), transfer.parts, strict=True):
        receivable.confirm_payment(FINANCE, part.id, at=at(10, hour=15))
    for receivable, discount in ((first, cny(20)), (second, cny(10))):
        b = receivable.balance(date(2024, 1, 10))
        assert (b.discounted, b.returned, b.outstanding, b.status) == (
            discount,
            cny(0),
            cny(0),
            ReceivableStatus.PAID,
        )


def test_one_payment_settles_two_discounted_installments() -> None:
    # 1,000.00: 400.00 due 1 Jan (8.00 off until 11 Jan), 600.00 due 31 Jan (6.00 off until 21)
    r = make_receivable("SO-2", "1000", terms=SPLIT)
    p = r.record_payment(SALES, cny(986), received_on=date(2024, 1, 9), at=at(9))
    assert [(a.installment, a.amount) for a in p.allocations] == [(1, cny(392)), (2, cny(594))]
    r.confirm_payment(FINANCE, p.id, at=at(9, hour=15))
    assert [(d.installment, d.amount) for d in r.discounts] == [(1, cny(8)), (2, cny(6))]
    b = r.balance(date(2024, 1, 9))
    assert (b.net_amount, b.discounted, b.outstanding) == (cny(986), cny(14), cny(0))
    assert [(row.discounted, row.amount) for row in b.installments] == [
        (cny(8), cny(392)),
        (cny(6), cny(594)),
    ]
    (row,) = collections_report([r], date(2024, 1, 31), by="month")
    assert (row.returned, row.discounted, row.received) == (cny(0), cny(14), cny(986))


def test_paying_in_full_takes_no_discount_and_a_part_of_it_fills_the_rest() -> None:
    full = make_receivable("SO-3", "1000", terms=TWO_TEN)
    p = full.record_payment(SALES, cny(1000), received_on=date(2024, 1, 5), at=at(5))
    full.confirm_payment(FINANCE, p.id, at=at(6))
    assert (full.discounts, full.balance(date(2024, 1, 6)).advance) == ((), cny(0))
    part = make_receivable("SO-4", "1000", terms=TWO_TEN)
    q = part.record_payment(SALES, cny(990), received_on=date(2024, 1, 5), at=at(5))
    part.confirm_payment(FINANCE, q.id, at=at(6))
    assert [d.amount for d in part.discounts] == [cny(10)]
    assert part.balance(date(2024, 1, 6)).status is ReceivableStatus.PAID


def test_reversing_the_payment_revokes_its_discount() -> None:
    r = make_receivable("SO-5", "1000", terms=TWO_TEN)
    before = r.balance(date(2024, 1, 20))
    p = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 5), at=at(5))
    r.confirm_payment(FINANCE, p.id, at=at(6))
    r.pull_events()
    r.reverse_payment(FINANCE2, p.id, reason="bounced", at=at(12))
    assert [e.event_name for e in r.pull_events()] == [
        "ReceivablePaymentReversed",
        "ReceivableDiscountRevoked",
    ]
    assert r.discounts[0].revoked_at == at(12)
    assert r.balance(date(2024, 1, 20)) == before
    assert r.balance(date(2024, 1, 8)).discounted == cny(20)  # history keeps it


def test_a_discount_stored_as_a_return_note_by_the_last_release_loads_as_a_discount() -> None:
    r = make_receivable("SO-6", "1000", terms=TWO_TEN)
    p = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 8), at=at(8))
    data = to_dict(r)
    paid = data["payments"][0]
    paid.update(state="confirmed", decided_by="fiona", decided_at="2024-01-08T15:00:00")
    for key in ("write_offs", "discounts", "reversed_by", "reversed_at", "reversal_reason"):
        data.pop(key, None)
        paid.pop(key, None)
    data["returns"] = [
        {
            "id": "SO-6/R1",
            "amount": {"amount": "20.00", "currency": "CNY"},
            "reason": "early-payment discount on installment 1",
            "recorded_by": "fiona",
            "recorded_at": "2024-01-08T16:00:00",
            "cuts": [{"installment": 1, "amount": {"amount": "20.00", "currency": "CNY"}}],
            "discount_for": 1,
        }
    ]
    old = from_dict(Receivable, data)
    b = old.balance(date(2024, 1, 9))
    assert (b.returned, b.discounted, b.net_amount, b.status) == (
        cny(0),
        cny(20),
        cny(980),
        ReceivableStatus.PAID,
    )
    assert b.installments[0].returned == cny(0)
    (row,) = collections_report([old], date(2024, 1, 31), by="month")
    assert (row.returned, row.discounted) == (cny(0), cny(20))
    with pytest.raises(InvariantViolation, match="already granted"):
        old.grant_early_payment_discount(FINANCE, 1, at=at(10))
    assert p.id == "SO-6/P1"


def test_a_discount_in_the_way_of_an_invoice_waits_for_finance() -> None:
    r = make_receivable("SO-7", "1000", terms=TWO_TEN)
    inv = r.request_invoice(SALES, cny(1000), title="T", tax_id="X", address="A", at=at(2))
    p = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 5), at=at(5))
    r.confirm_payment(FINANCE, p.id, at=at(6))
    assert r.discounts == ()  # the net amount may not drop below the invoice
    with pytest.raises(InvariantViolation, match="cancel an invoice first"):
        r.grant_early_payment_discount(FINANCE, 1, at=at(7))
    r.reject_invoice(FINANCE, inv.id, reason="amount after discount", at=at(8))
    discount = r.grant_early_payment_discount(FINANCE2, 1, at=at(9))
    assert (discount.amount, discount.payment_ids, discount.granted_by) == (
        cny(20),
        (p.id,),
        "frank",
    )
    with pytest.raises(ValidationError, match="paid_on"):
        make_receivable("SO-8", terms=TWO_TEN).grant_early_payment_discount(
            FINANCE,
            1,
            paid_on="2024-01-05",  # type: ignore[arg-type]
            at=at(9),
        )


def test_a_receivable_from_open_keeps_its_discount_after_a_reload() -> None:
    r = Receivable.open(
        "SO-9",
        customer="acme",
        owner_id="sally",
        amount=cny(500),
        issue_date=date(2024, 1, 1),
        terms=TWO_TEN,
        actor=SALES,
        at=at(1),
    )
    p = r.record_payment(SALES, cny(490), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    assert from_dict(Receivable, to_dict(r)).balance(date(2024, 1, 3)).discounted == cny(10)


def test_collections_by_month_put_each_correction_in_its_own_month() -> None:
    r = make_receivable("SO-10", "1000", terms=TWO_TEN)
    p = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 8), at=at(8))
    r.confirm_payment(FINANCE, p.id, at=at(9))  # January: 980.00 received, 20.00 discounted
    r.reverse_payment(FINANCE2, p.id, reason="bounced", at=at(2, month=2))  # February: out again
    r.write_off(
        FINANCE, cny(5), reason_code="bank_fee", rules=WriteOffRules.standard(), at=at(3, month=2)
    )
    jan, feb = collections_report([r], date(2024, 2, 29), by="month")
    assert (jan.key, jan.received, jan.discounted, jan.written_off) == (
        "2024-01",
        cny(980),
        cny(20),
        cny(0),
    )
    assert (feb.key, feb.received, feb.discounted, feb.written_off) == (
        "2024-02",
        cny(-980),
        cny(-20),
        cny(5),
    )
    targets = {("sally", "2024-01"): cny(1000), ("sally", "2024-02"): cny(1000)}
    assert [t.achieved for t in target_attainment([r], targets, date(2024, 2, 29))] == [
        cny(980),
        cny(-980),
    ]
