"""Payment corrections: reversing a bounced payment, writing small differences off with
reason codes and per-role limits, and finance's payment-exceptions list (hand-checked)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    DunningPolicy,
    ExceptionKind,
    InvoicingPolicy,
    PaymentState,
    ReceivablePolicy,
    ReceivableStatus,
    WriteOffLimit,
    WriteOffReason,
    WriteOffRules,
    aging,
    due_reminders,
    payment_exceptions,
)
from crmcore.serialization import from_dict, to_dict
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES, at, cny, make_receivable

RULES = WriteOffRules.standard()
MANAGER = Actor("max", {"manager"})


def test_reversing_a_bounced_payment_brings_back_the_exact_balance_and_aging() -> None:
    # 200.00 on 30/50/20: 60.00 due 1 Jan, 100.00 due 31 Jan, 40.00 due 1 Mar
    r = make_receivable()
    before = r.balance(date(2024, 1, 20))
    aged_before = aging([r], date(2024, 1, 20))
    p = r.record_payment(SALES, cny(70), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    paid = r.balance(date(2024, 1, 10))
    assert (paid.received, paid.outstanding, paid.overdue_amount) == (cny(70), cny(130), cny(0))

    reversed_ = r.reverse_payment(FINANCE2, p.id, reason="transfer bounced", at=at(10))

    assert reversed_.state is PaymentState.REVERSED
    assert (reversed_.reversed_by, reversed_.reversal_reason) == ("frank", "transfer bounced")
    assert r.balance(date(2024, 1, 20)) == before
    assert aging([r], date(2024, 1, 20)) == aged_before
    b = r.balance(date(2024, 1, 20))
    assert (b.received, b.outstanding, b.overdue_amount, b.days_overdue) == (
        cny(0),
        cny(200),
        cny(60),
        19,
    )
    # history is kept: on 9 Jan the payment still counted
    assert r.balance(date(2024, 1, 9)).received == cny(70)
    assert [e.event_name for e in r.pull_events()][-1] == "ReceivablePaymentReversed"


def test_a_reversal_is_refused_when_it_cannot_be_undone_and_changes_nothing() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    with pytest.raises(InvalidTransition):  # pending: reject it instead
        r.reverse_payment(FINANCE, p.id, reason="bounced", at=at(3))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    with pytest.raises(PermissionDenied):
        r.reverse_payment(SALES, p.id, reason="bounced", at=at(4))
    with pytest.raises(ValidationError, match="reason"):
        r.reverse_payment(FINANCE, p.id, reason=" ", at=at(4))
    with pytest.raises(NotFound):
        r.reverse_payment(FINANCE, "SO-1/P9", reason="bounced", at=at(4))
    r.request_refund(SALES, cny(20), reason="overcharged", at=at(4))
    state = to_dict(r)
    with pytest.raises(InvariantViolation, match=r"0\.00 CNY received, less than the 20\.00 CNY"):
        r.reverse_payment(FINANCE, p.id, reason="bounced", at=at(5))
    assert to_dict(r) == state
    r2 = make_receivable("SO-9")
    q = r2.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    r2.confirm_payment(FINANCE, q.id, at=at(3))
    r2.reverse_payment(FINANCE, q.id, reason="bounced", at=at(4))
    with pytest.raises(InvalidTransition):
        r2.reverse_payment(FINANCE, q.id, reason="again", at=at(5))


def test_a_reversal_is_refused_when_invoiced_after_payment() -> None:
    r = make_receivable(policy=ReceivablePolicy(invoicing=InvoicingPolicy.AFTER_PAYMENT))
    p = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    r.request_invoice(SALES, cny(60), title="ACME", tax_id="X", address="A", at=at(4))
    with pytest.raises(InvariantViolation, match="cancel an invoice first"):
        r.reverse_payment(FINANCE, p.id, reason="bounced", at=at(5))
    assert r.payment(p.id).state is PaymentState.CONFIRMED


def test_a_bank_fee_short_payment_is_written_off_within_finances_limit() -> None:
    r = make_receivable()
    first = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 1), at=at(1))
    short = r.record_payment(SALES, cny("95.50"), received_on=date(2024, 1, 30), at=at(30))
    for p in (first, short):
        r.confirm_payment(FINANCE, p.id, at=at(30, hour=15))
    assert r.balance(date(2024, 1, 31)).installments[1].outstanding == cny("4.50")

    w = r.write_off(
        FINANCE, cny("4.50"), reason_code="bank_fee", rules=RULES, at=at(31), note="BOC fee"
    )

    assert (w.id, w.reason_code, [(a.installment, a.amount) for a in w.allocations]) == (
        "SO-1/W1",
        "bank_fee",
        [(2, cny("4.50"))],
    )
    b = r.balance(date(2024, 1, 31))
    row = b.installments[1]
    assert (row.paid, row.written_off, row.outstanding) == (cny("95.50"), cny("4.50"), cny(0))
    assert (b.net_amount, b.received, b.written_off, b.outstanding) == (
        cny(200),
        cny("155.50"),
        cny("4.50"),
        cny(40),
    )
    # the identity: net = received − refunded − advance + outstanding + written off
    assert b.received - b.refunded - b.advance + b.outstanding + b.written_off == b.net_amount
    assert b.status is ReceivableStatus.PARTLY_PAID
    assert aging([r], date(2024, 1, 31)).rows[0].total == cny(40)


def test_a_write_off_above_finances_limit_needs_a_manager() -> None:
    r = make_receivable("SO-5", "1000")
    with pytest.raises(PermissionDenied, match=r"finance up to 50\.00 CNY; 60\.00 CNY needs"):
        r.write_off(FINANCE, cny(60), reason_code="bank_fee", rules=RULES, at=at(2))
    with pytest.raises(PermissionDenied, match="may not write off bank_fee"):
        r.write_off(SALES, cny(5), reason_code="bank_fee", rules=RULES, at=at(2))
    with pytest.raises(ValidationError, match="no write-off reason 'typo'"):
        r.write_off(FINANCE, cny(5), reason_code="typo", rules=RULES, at=at(2))
    with pytest.raises(PermissionDenied, match=r"finance up to 10\.00 CNY; 5\.00 USD"):
        RULES.check(FINANCE, "small_difference", Money(5, "USD"))  # a limit is per currency
    assert r.write_offs == ()
    w = r.write_off(MANAGER, cny(60), reason_code="bank_fee", rules=RULES, at=at(2))
    assert [(a.installment, a.amount) for a in w.allocations] == [(1, cny(60))]


def test_write_off_refusals_name_the_figures_and_change_nothing() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(59), received_on=date(2024, 1, 1), at=at(1))
    state = to_dict(r)
    with pytest.raises(InvariantViolation, match=r"exceeds the 1\.00 CNY unpaid on installment 1"):
        r.write_off(
            FINANCE, cny(2), reason_code="small_difference", rules=RULES, at=at(2), installment=1
        )
    with pytest.raises(InvariantViolation, match=r"exceeds the 141\.00 CNY unpaid and not"):
        r.write_off(MANAGER, cny(142), reason_code="bank_fee", rules=RULES, at=at(2))
    with pytest.raises(NotFound, match="no installment 4"):
        r.write_off(FINANCE, cny(1), reason_code="bank_fee", rules=RULES, at=at(2), installment=4)
    with pytest.raises(ValidationError, match="note"):
        r.write_off(FINANCE, cny(1), reason_code="bank_fee", rules=RULES, at=at(2), note="")
    with pytest.raises(ValidationError, match="rules"):
        r.write_off(FINANCE, cny(1), reason_code="bank_fee", rules={}, at=at(2))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be > 0"):
        r.write_off(FINANCE, cny(0), reason_code="bank_fee", rules=RULES, at=at(2))
    assert to_dict(r) == state
    r.confirm_payment(FINANCE, p.id, at=at(2))
    r.write_off(
        FINANCE, cny(1), reason_code="small_difference", rules=RULES, at=at(3), installment=1
    )
    assert r.balance(date(2024, 1, 3)).installments[0].outstanding == cny(0)


def test_write_off_rules_load_from_plain_data_and_name_bad_paths() -> None:
    rules = from_dict(
        WriteOffRules,
        {
            "reasons": [
                {
                    "code": "bank_fee",
                    "description": "bank charges",
                    "limits": [
                        {"role": "finance", "limit": {"amount": "20", "currency": "EUR"}},
                        {"role": "admin", "limit": None},
                    ],
                }
            ]
        },
    )
    assert rules.reasons[0].limits == (
        WriteOffLimit("finance", Money(20, "EUR")),
        WriteOffLimit("admin"),
    )
    with pytest.raises(ConfigError, match=r"reasons\[0\].limits\[0\].role"):
        from_dict(
            WriteOffRules,
            {"reasons": [{"code": "x", "description": "y", "limits": [{"role": ""}]}]},
        )
    with pytest.raises(ValidationError, match="configured twice"):
        WriteOffRules([WriteOffReason("a", "b", ()), WriteOffReason("a", "c", ())])
    with pytest.raises(ValidationError, match="limit"):
        WriteOffLimit("finance", Money("-1", "CNY"))


def test_the_exceptions_list_shows_short_late_reversed_and_unmatched_payments() -> None:
    r = make_receivable()
    late = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 4), at=at(4))
    short = r.record_payment(SALES, cny(95), received_on=date(2024, 1, 20), at=at(20))
    bounced = r.record_payment(SALES, cny(40), received_on=date(2024, 1, 21), at=at(21))
    for p in (late, short, bounced):
        r.confirm_payment(FINANCE, p.id, at=at(22))
    r.reverse_payment(FINANCE, bounced.id, reason="account closed", at=at(25))
    extra = make_receivable("SO-2", "100")
    over = extra.record_payment(SALES, cny(150), received_on=date(2024, 1, 6), at=at(6))
    extra.confirm_payment(FINANCE, over.id, at=at(7))

    rows = payment_exceptions([extra, r], date(2024, 1, 31))

    assert [
        (e.kind.value, e.receivable_id, e.payment_id, e.installment, str(e.amount), e.days_late)
        for e in rows
    ] == [
        ("short", "SO-1", "SO-1/P2", 2, "5.00 CNY", 0),
        ("late", "SO-1", "SO-1/P1", 1, "60.00 CNY", 3),
        ("reversed", "SO-1", "SO-1/P3", None, "40.00 CNY", 0),
        ("late", "SO-2", "SO-2/P1", 1, "30.00 CNY", 5),
        ("unmatched", "SO-2", "SO-2/P1", None, "50.00 CNY", 0),
    ]
    assert rows[2].detail == "account closed"
    assert [e.kind for e in payment_exceptions([r], date(2024, 1, 31), "short")] == [
        ExceptionKind.SHORT
    ]
    # before the reversal the bounced payment still counted: no reversed line on 24 Jan
    assert "reversed" not in [e.kind.value for e in payment_exceptions([r], date(2024, 1, 24))]
    with pytest.raises(ValidationError, match="no payment exception kind 'bounced'"):
        payment_exceptions([r], date(2024, 1, 31), ["bounced"])


def test_corrections_round_trip_and_old_rows_without_them_load() -> None:
    r = make_receivable()
    p = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p.id, at=at(3))
    r.reverse_payment(FINANCE2, p.id, reason="bounced", at=at(4))
    r.write_off(FINANCE, cny(3), reason_code="bank_fee", rules=RULES, at=at(5))
    data = json.loads(json.dumps(to_dict(r)))
    loaded = from_dict(type(r), data)
    assert loaded == r
    assert loaded.balance(date(2024, 1, 5)) == r.balance(date(2024, 1, 5))
    old = {
        k: v for k, v in to_dict(make_receivable()).items() if k not in ("write_offs", "discounts")
    }
    for payment in old["payments"]:
        for key in ("reversed_by", "reversed_at", "reversal_reason"):
            payment.pop(key, None)
    assert from_dict(type(r), old).balance(date(2024, 1, 5)).written_off == cny(0)


def test_dunning_counts_money_waiting_for_confirmation_as_paid_unless_told_not_to() -> None:
    r = make_receivable()  # 60.00 due 1 Jan
    r.record_payment(SALES, cny(45), received_on=date(2024, 1, 6), at=at(6))
    policy = DunningPolicy.standard()
    (reminder,) = due_reminders([r], date(2024, 1, 8), set(), policy)
    assert (reminder.installment, reminder.outstanding, reminder.total_due) == (
        1,
        cny(15),
        cny(15),
    )
    strict = from_dict(
        DunningPolicy, {"steps": [{"offset_days": 7, "level": 2}], "pending_counts_as_paid": False}
    )
    (reminder,) = due_reminders([r], date(2024, 1, 8), set(), strict)
    assert reminder.outstanding == cny(60)
    r.record_payment(SALES, cny(15), received_on=date(2024, 1, 7), at=at(7))
    assert due_reminders([r], date(2024, 1, 8), set(), policy) == []
    assert r.balance(date(2024, 1, 8)).installments[0].pending_confirmation == cny(60)
    with pytest.raises(ValidationError):
        DunningPolicy(steps=policy.steps, pending_counts_as_paid="no")  # type: ignore[arg-type]
