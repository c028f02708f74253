"""Early-payment discounts granted as allowances, and saving / loading receivables."""

from __future__ import annotations

import json
from datetime import date

import pytest

from crmcore.errors import (
    ConfigError,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.receivables import (
    DueRule,
    EarlyDiscount,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivablePolicy,
    ReceivableStatus,
    TermLine,
)
from crmcore.serialization import from_dict, to_dict
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES, at, cny, make_receivable

TWO_TEN_NET_30 = PaymentTerms(
    "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
)


def test_paying_980_within_10_days_on_2_10_net_30_settles_1000() -> None:
    r = make_receivable("SO-2", "1000", terms=TWO_TEN_NET_30)
    p = r.record_payment(SALES, cny(980), received_on=date(2024, 1, 8), at=at(8))
    r.confirm_payment(FINANCE, p.id, at=at(9))
    (discount,) = r.discounts
    assert (discount.amount, discount.installment, discount.payment_ids) == (cny(20), 1, (p.id,))
    b = r.balance(date(2024, 1, 9))
    assert (b.net_amount, b.received, b.outstanding, b.status) == (
        cny(980),
        cny(980),
        cny(0),
        ReceivableStatus.PAID,
    )
    assert (b.returned, b.discounted) == (cny(0), cny(20))
    with pytest.raises(InvariantViolation, match="already granted"):
        r.grant_early_payment_discount(FINANCE, 1, at=at(10))


def test_discount_refusals_change_nothing() -> None:
    r = make_receivable("SO-3", "1000", terms=TWO_TEN_NET_30)
    before = (r.discounts, len(r.history))
    with pytest.raises(InvariantViolation, match=r"needs 980\.00 CNY received by 2024-01-11"):
        r.grant_early_payment_discount(FINANCE, 1, paid_on=date(2024, 1, 5), at=at(12))
    with pytest.raises(NotFound, match="no installment 2"):
        r.grant_early_payment_discount(FINANCE, 2, at=at(12))
    with pytest.raises(PermissionDenied):
        r.grant_early_payment_discount(SALES, 1, at=at(12))
    with pytest.raises(InvariantViolation, match="offers no early-payment discount"):
        make_receivable("SO-4").grant_early_payment_discount(FINANCE, 1, at=at(12))
    assert (r.discounts, len(r.history)) == before


def test_a_receivable_round_trips_through_json() -> None:
    r = make_receivable("SO-J", "200", policy=ReceivablePolicy(finance_roles={"finance", "cfo"}))
    p = r.record_payment(SALES, cny(250), received_on=date(2024, 1, 2), at=at(2), reference="B-1")
    r.confirm_payment(FINANCE, p.id, at=at(3))
    f = r.request_refund(SALES, cny(30), reason="advance back", at=at(4))
    r.confirm_refund(FINANCE2, f.id, at=at(5))
    inv = r.request_invoice(SALES, cny(100), title="T", tax_id="X", address="A", at=at(6))
    r.issue_invoice(FINANCE, inv.id, number="N-1", at=at(7))
    data = json.loads(json.dumps(to_dict(r)))
    assert data["policy"]["finance_roles"] == ["cfo", "finance"]
    assert data["history"][0]["event"] == "ReceivableOpened"
    loaded = from_dict(Receivable, data)
    assert loaded.balance(date(2024, 2, 1)) == r.balance(date(2024, 2, 1))
    assert loaded.history == r.history
    assert loaded.pull_events() == []
    with pytest.raises(ValidationError, match=r"before receivable SO-J's last change"):
        loaded.record_payment(SALES, cny(1), received_on=date(2024, 1, 1), at=at(1))


def test_bad_stored_data_names_the_path() -> None:
    data = to_dict(make_receivable("SO-K", "200"))
    data["policy"]["finance_roles"] = "finance"
    data["history"] = [{"occurred_at": "2024-01-01T09:00:00"}]
    with pytest.raises(ConfigError) as info:
        from_dict(Receivable, data)
    paths = " ".join(info.value.problems)
    assert "policy.finance_roles" in paths
    assert "history" in paths
    bad_history = to_dict(make_receivable("SO-L", "200"))
    bad_history["history"] = "nope"
    with pytest.raises(ConfigError, match="history"):
        from_dict(Receivable, bad_history)
