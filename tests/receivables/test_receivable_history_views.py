"""Figures on past dates: facts dated after ``as_of`` are ignored everywhere."""

from __future__ import annotations

from datetime import date

from crmcore.money import Money, Percent
from crmcore.receivables import (
    CreditDecision,
    CreditPolicy,
    PaymentTerms,
    check_credit,
    collections_report,
    credit_alerts,
    exposure,
    risk_grade,
    target_attainment,
)
from tests.receivables.rcv_support import FINANCE, SALES, at, cny, make_receivable


def test_reports_ignore_facts_after_as_of_and_undecided_ones() -> None:
    r = make_receivable("SO-H", "200", owner="sally")
    p1 = r.record_payment(SALES, cny(60), received_on=date(2024, 1, 2), at=at(2))
    r.confirm_payment(FINANCE, p1.id, at=at(3))
    p2 = r.record_payment(SALES, cny(50), received_on=date(2024, 1, 20), at=at(20))
    r.reject_payment(FINANCE, p2.id, reason="bounced", at=at(22))
    p3 = r.record_payment(SALES, cny(30), received_on=date(2024, 2, 1), at=at(1, 2))
    r.confirm_payment(FINANCE, p3.id, at=at(3, 2))
    f = r.request_refund(SALES, cny(5), reason="r", at=at(4, 2))  # still requested
    r.request_invoice(SALES, cny(40), title="T", tax_id="X", address="A", at=at(5, 2))
    later = make_receivable("SO-L", "100", owner="sally", issue_date=date(2024, 3, 1))
    jan = {x.key: x for x in collections_report([r, later], date(2024, 1, 21), by="month")}
    assert list(jan) == ["2024-01"]
    assert jan["2024-01"].received == cny(60)
    assert jan["2024-01"].pending_confirmation == cny(50)  # rejected only on the 22nd
    assert jan["2024-01"].outstanding == cny(140)
    feb = {x.key: x for x in collections_report([r, later], date(2024, 2, 29), by="month")}
    assert feb["2024-02"].received == cny(30)
    assert feb["2024-02"].refunded == cny(0)
    assert feb["2024-02"].invoiced == cny(0)
    assert feb["2024-01"].pending_confirmation == cny(0)
    b = r.balance(date(2024, 2, 29))
    assert (b.pending_invoice, b.not_yet_invoiced) == (cny(40), cny(160))
    r.confirm_refund(FINANCE, f.id, at=at(1, 3))
    assert r.balance(date(2024, 2, 29)).refunded == cny(0)
    assert r.balance(date(2024, 3, 1)).refunded == cny(5)
    targets = target_attainment(
        [r], {("sally", "2024-01"): cny(100), ("sally", "2024-03"): cny(10)}, date(2024, 2, 29)
    )
    assert [t.achieved for t in targets] == [cny(60), cny(0)]
    customers = collections_report([r, later], date(2024, 3, 31), by="customer")
    assert [(x.key, x.amount) for x in customers] == [("acme", cny(300))]


def test_credit_edges() -> None:
    r = make_receivable("SO-X", "100", customer="acme", terms=PaymentTerms.net(10))
    other = make_receivable("SO-Y", "100", customer="globex", terms=PaymentTerms.net(10))
    assert exposure("initech", [r, other], date(2024, 1, 2)) is None
    policy = CreditPolicy(limits={"acme": cny(0)}, overdue_decision=None, overdue_days=0)
    check = check_credit(
        "acme", cny(1), receivables=[r, other], as_of=date(2024, 2, 1), policy=policy
    )
    assert check.decision is CreditDecision.NEEDS_APPROVAL
    assert check.utilisation is None
    assert check.reasons == ("exposure 101.00 CNY would exceed the limit 0.00 CNY (no used)",)
    alerts = credit_alerts("acme", receivables=[r, other], as_of=date(2024, 2, 1), policy=policy)
    assert [a.kind for a in alerts] == ["utilisation", "overdue"]
    assert "uses all of the limit" in alerts[0].message
    lenient = CreditPolicy(limits={"acme": cny(1000)}, alert_at=Percent(95))
    assert credit_alerts("acme", receivables=[r], as_of=date(2024, 1, 2), policy=lenient) == []
    blocking = CreditPolicy(
        limits={"acme": cny(1000)},
        overdue_decision=CreditDecision.BLOCKED,
        over_limit=CreditDecision.BLOCKED,
    )
    late = check_credit("acme", cny(1), receivables=[r], as_of=date(2024, 3, 1), policy=blocking)
    assert late.decision is CreditDecision.BLOCKED
    over = check_credit(
        "acme", cny(2000), receivables=[r], as_of=date(2024, 3, 1), policy=blocking
    )
    assert over.decision is CreditDecision.BLOCKED
    assert len(over.reasons) == 2
    usd = make_receivable("SO-U", "100", customer="acme")
    assert usd.currency.code == "CNY"
    assert isinstance(exposure("acme", [usd], date(2024, 1, 1), [Money(1, "CNY")]), Money)


def test_risk_grade_ignores_fully_returned_and_future_installments() -> None:
    r = make_receivable("SO-R", "100", customer="acme", terms=PaymentTerms.net(10))
    r.record_return(SALES, cny(100), reason="all back", at=at(2))
    future = make_receivable("SO-F", "100", customer="acme", terms=PaymentTerms.net(90))
    partly = make_receivable("SO-P", "100", customer="acme", terms=PaymentTerms.net(5))
    p = partly.record_payment(SALES, cny(50), received_on=date(2024, 1, 3), at=at(3))
    partly.confirm_payment(FINANCE, p.id, at=at(4))
    graded = risk_grade("acme", [r, future, partly], date(2024, 1, 16))
    assert (graded.installments, graded.worst_days_late, graded.grade) == (1, 10, "D")
