"""Customer payments over several receivables, aging, dunning, credit and collections reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import (
    ConfigError,
    CurrencyMismatch,
    InvariantViolation,
    NotFound,
    ValidationError,
)
from crmcore.money import Money, Percent
from crmcore.receivables import (
    AgingBasis,
    AgingBuckets,
    CollectionsBy,
    CreditDecision,
    CreditPolicy,
    DunningPolicy,
    DunningStep,
    GroupBy,
    InstallmentRecord,
    OverpaymentPolicy,
    PaymentTerms,
    Receivable,
    ReceivablePolicy,
    aging,
    check_credit,
    collections_report,
    credit_alerts,
    due_reminders,
    exposure,
    late_interest,
    period_of,
    record_customer_payment,
    risk_grade,
    target_attainment,
)
from crmcore.serialization import from_dict
from tests.receivables.rcv_support import FINANCE, SALES, TERMS_30_50_20, at, cny, make_receivable


def paid(r: Receivable, amount: str, day: int, month: int = 1) -> None:
    p = r.record_payment(SALES, cny(amount), received_on=date(2024, month, day), at=at(day, month))
    r.confirm_payment(FINANCE, p.id, at=at(day, month, hour=16))


# -- one transfer, several receivables ---------------------------------------------------------


def test_one_transfer_pays_the_oldest_installments_across_orders() -> None:
    a = make_receivable("SO-A", "100", terms=PaymentTerms.net(30), issue_date=date(2024, 1, 1))
    b = make_receivable("SO-B", "200", terms=PaymentTerms.net(10), issue_date=date(2024, 1, 5))
    result = record_customer_payment(
        [a, b], SALES, cny(250), reference="BANK-9", received_on=date(2024, 1, 20), at=at(20)
    )
    # SO-B falls due first (15 Jan), then SO-A (31 Jan)
    assert [(rid, p.amount) for rid, p in result.parts] == [("SO-A", cny(50)), ("SO-B", cny(200))]
    assert result.advance == cny(0)
    again = record_customer_payment(
        [a, b], SALES, cny(250), reference="BANK-9", received_on=date(2024, 1, 20), at=at(21)
    )
    assert again.parts == result.parts
    assert len(a.payments) == 1
    with pytest.raises(
        InvariantViolation, match=r"already recorded as 250\.00 CNY, not 300.00 CNY"
    ):
        record_customer_payment(
            [a, b], SALES, cny(300), reference="BANK-9", received_on=date(2024, 1, 20), at=at(21)
        )


def test_customer_payment_overpayment_and_refusal_change_nothing() -> None:
    a = make_receivable("SO-A", "100", terms=PaymentTerms.net(30))
    b = make_receivable("SO-B", "100", terms=PaymentTerms.net(60))
    result = record_customer_payment(
        [a, b], SALES, cny(230), reference="T1", received_on=date(2024, 1, 2), at=at(2)
    )
    assert result.advance == cny(30)
    assert [p.advance for _, p in result.parts] == [cny(0), cny(30)]  # advance on the latest
    strict = ReceivablePolicy(overpayment=OverpaymentPolicy.REFUSE)
    c = make_receivable("SO-C", "100", terms=PaymentTerms.net(30), policy=strict)
    d = make_receivable("SO-D", "100", terms=PaymentTerms.net(60), policy=strict)
    with pytest.raises(InvariantViolation, match="refused by policy"):
        record_customer_payment(
            [c, d], SALES, cny(201), reference="T2", received_on=date(2024, 1, 2), at=at(2)
        )
    assert c.payments == ()
    assert d.payments == ()


def test_customer_payment_with_explicit_allocations_and_bad_input() -> None:
    a = make_receivable("SO-A", "100", terms=PaymentTerms.net(30))
    b = make_receivable("SO-B", "100", terms=PaymentTerms.net(60))
    result = record_customer_payment(
        [a, b],
        SALES,
        cny(80),
        reference="T3",
        received_on=date(2024, 1, 2),
        at=at(2),
        allocations={("SO-B", 1): cny(80)},
    )
    assert [rid for rid, _ in result.parts] == ["SO-B"]
    kw = {"reference": "T4", "received_on": date(2024, 1, 2), "at": at(3)}
    with pytest.raises(InvariantViolation, match=r"exceeds its outstanding 20\.00 CNY"):
        record_customer_payment([a, b], SALES, cny(30), allocations={("SO-B", 1): cny(30)}, **kw)
    assert len(a.payments) == 0
    assert len(b.payments) == 1
    with pytest.raises(NotFound):
        record_customer_payment([a, b], SALES, cny(30), allocations={("SO-X", 1): cny(30)}, **kw)
    with pytest.raises(ValidationError, match="more than the payment"):
        record_customer_payment([a, b], SALES, cny(10), allocations={("SO-A", 1): cny(30)}, **kw)
    other = make_receivable("SO-O", "100", customer="globex")
    with pytest.raises(ValidationError, match="several customers"):
        record_customer_payment([a, other], SALES, cny(10), **kw)
    with pytest.raises(CurrencyMismatch):
        record_customer_payment([a], SALES, Money(10, "USD"), **kw)
    with pytest.raises(ValidationError, match="listed twice"):
        record_customer_payment([a, a], SALES, cny(10), **kw)
    with pytest.raises(ValidationError, match="at least one"):
        record_customer_payment([], SALES, cny(10), **kw)
    with pytest.raises(ValidationError, match="bank reference is required"):
        record_customer_payment(
            [a], SALES, cny(10), reference="", received_on=date(2024, 1, 2), at=at(3)
        )


# -- aging ------------------------------------------------------------------------------------


def test_aging_buckets_sum_to_outstanding_by_owner_and_customer() -> None:
    r1 = make_receivable("SO-1", "200", owner="sally", customer="acme")
    paid(r1, "40", 2)
    r2 = make_receivable("SO-2", "300", owner="tom", customer="acme", terms=PaymentTerms.net(90))
    report = aging([r1, r2], date(2024, 3, 15))
    assert report.labels == ("not yet due", "1–30", "31–60", "61–90", "91–120", "> 120")
    sally, tom = report.rows
    # SO-1: 20 due 1 Jan (74 days), 100 due 31 Jan (44 days), 40 due 1 Mar (14 days)
    assert sally.buckets == (cny(0), cny(40), cny(100), cny(20), cny(0), cny(0))
    assert sally.total == cny(160) == r1.balance(date(2024, 3, 15)).outstanding
    assert tom.buckets[0] == cny(300)  # due 31 March
    assert report.totals() == {"CNY": cny(460)}
    by_customer = aging([r1, r2], date(2024, 3, 15), group_by="customer")
    assert [(row.group, row.total, row.count) for row in by_customer.rows] == [
        ("acme", cny(460), 4)
    ]
    by_issue = aging(
        [r1, r2], date(2024, 3, 15), basis=AgingBasis.ISSUE_DATE, group_by=GroupBy.NONE
    )
    assert by_issue.rows[0].buckets[3] == cny(460)  # issued 1 Jan: 74 days
    assert by_issue.to_records()[0]["days_61_90"] == Decimal("460.00")


def test_aging_of_plain_records_with_custom_buckets() -> None:
    records = [
        InstallmentRecord("sally", "acme", "east", date(2024, 1, 1), date(2023, 12, 1), cny(10)),
        InstallmentRecord("sally", "acme", "east", date(2024, 1, 31), date(2023, 12, 1), cny(5)),
        InstallmentRecord(
            "tom", "globex", None, date(2024, 2, 1), date(2023, 12, 1), Money(7, "USD")
        ),
    ]
    buckets = from_dict(AgingBuckets, {"edges": [15, 30]})
    assert buckets.labels == ("not yet due", "1–15", "16–30", "> 30")
    report = aging(iter(records), date(2024, 2, 1), buckets=buckets, group_by="department")
    assert [(row.group, row.total) for row in report.rows] == [
        (None, Money(7, "USD")),
        ("east", cny(15)),
    ]
    assert report.rows[1].buckets == (cny(0), cny(5), cny(0), cny(10))
    with pytest.raises(ValidationError, match="expected Receivable or InstallmentRecord"):
        aging([object()], date(2024, 1, 1))  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="outstanding: must be Money"):
        InstallmentRecord("a", "b", None, date(2024, 1, 1), date(2024, 1, 1), Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"edges\[1\]"):
        from_dict(AgingBuckets, {"edges": [30, 30]})
    with pytest.raises(ValidationError, match="at least one edge"):
        AgingBuckets(())
    with pytest.raises(ValidationError, match=r"edges\[0\]"):
        AgingBuckets((0,))


@given(
    amounts=st.lists(st.integers(0, 10**7), min_size=1, max_size=40),
    offsets=st.lists(st.integers(-100, 400), min_size=40, max_size=40),
)
def test_aging_buckets_always_sum_to_the_total(amounts: list[int], offsets: list[int]) -> None:
    as_of = date(2024, 6, 30)
    records = [
        InstallmentRecord(
            f"o{i % 3}",
            "c",
            None,
            date.fromordinal(as_of.toordinal() - d),
            as_of,
            Money.of_minor(a, "CNY"),
        )
        for i, (a, d) in enumerate(zip(amounts, offsets, strict=False))
    ]
    report = aging(records, as_of)
    assert sum((row.total for row in report.rows), cny(0)) == sum(
        (r.outstanding for r in records), cny(0)
    )
    for row in report.rows:
        assert sum(row.buckets, cny(0)) == row.total


# -- dunning ----------------------------------------------------------------------------------


def test_dunning_100_outstanding_15_days_late_10_percent_fee_10() -> None:
    assert late_interest(cny(100), Percent(10), 15) == cny("0.41")
    assert late_interest(cny(100), Percent(10), 0) == cny(0)
    r = make_receivable("SO-D", "100", terms=PaymentTerms.net(0))
    policy = DunningPolicy.standard(fee=10, annual_interest=10)
    (reminder,) = due_reminders([r], date(2024, 1, 16), already_sent=set(), policy=policy)
    assert (reminder.offset_days, reminder.level, reminder.days_late) == (15, 3, 15)
    assert (reminder.fee, reminder.interest, reminder.total_due) == (
        cny(10),
        cny("0.41"),
        cny("110.41"),
    )
    assert due_reminders([r], date(2024, 1, 16), already_sent={reminder.key}, policy=policy) == []


def test_reminders_before_due_and_none_for_paid_installments() -> None:
    r = make_receivable("SO-E", "200", issue_date=date(2024, 1, 1))
    policy = DunningPolicy.standard()
    upcoming = due_reminders([r], date(2023, 12, 29), already_sent=(), policy=policy)
    assert [(x.installment, x.level, x.name, x.total_due) for x in upcoming] == [
        (1, 0, "upcoming", cny(60))
    ]
    assert due_reminders([r], date(2023, 12, 28), already_sent=(), policy=policy) == []
    paid(r, "60", 1)
    assert due_reminders([r], date(2024, 1, 1), already_sent=(), policy=policy) == []


def test_dunning_policy_from_data_and_bad_steps() -> None:
    policy = from_dict(
        DunningPolicy,
        {
            "steps": [{"offset_days": 0, "level": 1}, {"offset_days": 10, "level": 2, "fee": "5"}],
            "annual_interest": "8",
        },
    )
    assert policy.steps[1].fee == Decimal(5)
    assert policy.annual_interest == Percent(8)
    with pytest.raises(ValidationError, match=r"steps\[1\].offset_days"):
        DunningPolicy([DunningStep(5, 1), DunningStep(5, 2)])
    with pytest.raises(ValidationError, match="at least one step"):
        DunningPolicy([])
    with pytest.raises(ConfigError, match="fee"):
        from_dict(DunningPolicy, {"steps": [{"offset_days": 0, "level": 1, "fee": "-1"}]})


# -- credit -----------------------------------------------------------------------------------


def test_credit_check_with_group_fallback() -> None:
    r = make_receivable("SO-C", "600", customer="acme", terms=PaymentTerms.net(30))
    policy = CreditPolicy(
        limits={"globex": cny(100)},
        group_limits={"key accounts": cny(1000)},
        customer_groups={"acme": "key accounts"},
        block_above=Percent(150),
    )
    assert exposure("acme", [r], date(2024, 1, 2), [cny(100)]) == cny(700)
    ok = check_credit(
        "acme",
        cny(200),
        receivables=[r],
        as_of=date(2024, 1, 2),
        policy=policy,
        open_orders=[cny(100)],
    )
    assert (ok.decision, ok.exposure, ok.limit, ok.utilisation) == (
        CreditDecision.ALLOWED,
        cny(700),
        cny(1000),
        Percent(90),
    )
    assert ok.available == cny(300)
    over = check_credit(
        "acme",
        cny(400),
        receivables=[r],
        as_of=date(2024, 1, 2),
        policy=policy,
        open_orders=[cny(100)],
    )
    assert over.decision is CreditDecision.NEEDS_APPROVAL
    assert over.utilisation == Percent(110)
    blocked = check_credit(
        "acme", cny(1000), receivables=[r], as_of=date(2024, 1, 2), policy=policy
    )
    assert blocked.decision is CreditDecision.BLOCKED
    unknown = check_credit(
        "initech", cny(1), receivables=[r], as_of=date(2024, 1, 2), policy=policy
    )
    assert unknown.decision is CreditDecision.NEEDS_APPROVAL
    assert unknown.limit is None
    assert unknown.available is None
    late = check_credit("acme", cny(1), receivables=[r], as_of=date(2024, 3, 15), policy=policy)
    assert late.decision is CreditDecision.NEEDS_APPROVAL
    assert "44 days overdue" in late.reasons[0]
    with pytest.raises(ValidationError):
        check_credit("acme", cny(0), receivables=[r], as_of=date(2024, 1, 2), policy=policy)
    with pytest.raises(CurrencyMismatch):
        check_credit(
            "acme", Money(1, "USD"), receivables=[r], as_of=date(2024, 1, 2), policy=policy
        )
    with pytest.raises(CurrencyMismatch):
        check_credit(
            "globex", Money(1, "USD"), receivables=[], as_of=date(2024, 1, 2), policy=policy
        )
    zero = CreditPolicy(limits={"acme": cny(0)}, block_above=Percent(100))
    assert (
        check_credit("acme", cny(1), receivables=[], as_of=date(2024, 1, 2), policy=zero).decision
        is CreditDecision.BLOCKED
    )


def test_credit_alerts_and_policy_from_data() -> None:
    r = make_receivable("SO-C", "850", customer="acme", terms=PaymentTerms.net(30))
    policy = from_dict(
        CreditPolicy,
        {
            "limits": {"acme": {"amount": "1000", "currency": "CNY"}},
            "alert_at": "80",
            "overdue_days": 10,
        },
    )
    alerts = credit_alerts("acme", receivables=[r], as_of=date(2024, 2, 15), policy=policy)
    assert [a.kind for a in alerts] == ["utilisation", "overdue"]
    assert "85 %" in alerts[0].message
    assert "15 days overdue" in alerts[1].message
    assert (
        credit_alerts("acme", receivables=[r], as_of=date(2024, 1, 2), policy=CreditPolicy()) == []
    )
    with pytest.raises(ConfigError, match="limits"):
        from_dict(CreditPolicy, {"limits": {"acme": {"amount": "-1", "currency": "CNY"}}})


def test_risk_grades_from_payment_history() -> None:
    good = make_receivable("SO-G", "100", customer="good", terms=PaymentTerms.net(10))
    paid(good, "100", 5)
    assert risk_grade("good", [good], date(2024, 3, 1)).grade == "A"
    slow = make_receivable("SO-S", "100", customer="slow", terms=PaymentTerms.net(10))
    paid(slow, "100", 20, 2)  # 40 days late
    graded = risk_grade("slow", [slow], date(2024, 3, 1))
    assert (graded.grade, graded.worst_days_late, graded.on_time_share) == ("D", 40, Percent(0))
    bad = make_receivable("SO-B", "100", customer="bad", terms=PaymentTerms.net(0))
    assert risk_grade("bad", [bad], date(2024, 6, 1)).grade == "D"
    assert risk_grade("new", [bad], date(2024, 6, 1)).grade == "B"
    mixed = make_receivable("SO-M", "200", customer="mixed")
    paid(mixed, "60", 1)
    paid(mixed, "100", 5, 2)  # installment 2 due 31 Jan, paid 5 days late
    assessment = risk_grade("mixed", [mixed], date(2024, 2, 10))
    assert (assessment.installments, assessment.on_time_share, assessment.average_days_late) == (
        2,
        Percent(50),
        Decimal("2.5"),
    )
    assert assessment.grade == "C"


# -- collections reports ----------------------------------------------------------------------


def test_collections_by_owner_and_by_month() -> None:
    r1 = make_receivable("SO-1", "200", owner="sally")
    paid(r1, "60", 1)
    r2 = make_receivable("SO-2", "100", owner="tom", department=None, terms=PaymentTerms.net(30))
    p = r2.record_payment(SALES, cny(30), received_on=date(2024, 2, 3), at=at(3, 2))
    r2.confirm_payment(FINANCE, p.id, at=at(4, 2))
    r2.record_payment(SALES, cny(20), received_on=date(2024, 2, 5), at=at(5, 2))
    r2.record_return(SALES, cny(10), reason="back", at=at(6, 2))
    f = r2.request_refund(SALES, cny(5), reason="r", at=at(7, 2))
    r2.confirm_refund(FINANCE, f.id, at=at(8, 2))
    inv = r2.request_invoice(SALES, cny(50), title="T", tax_id="X", address="A", at=at(9, 2))
    r2.issue_invoice(FINANCE, inv.id, number="N1", at=at(10, 2))
    r2.cancel_invoice(FINANCE, inv.id, reason="red", at=at(1, 3))
    rows = collections_report([r1, r2], date(2024, 2, 29), by="owner")
    assert [(x.key, x.amount, x.received, x.outstanding) for x in rows] == [
        ("sally", cny(200), cny(60), cny(140)),
        ("tom", cny(100), cny(30), cny(65)),
    ]
    tom = rows[1].to_record()
    assert tom["refunded"] == Decimal("5.00")
    assert tom["pending_confirmation"] == Decimal("20.00")
    assert collections_report([r2], date(2024, 2, 29), by="department")[0].key == ""
    months = collections_report([r1, r2], date(2024, 3, 31), by=CollectionsBy.MONTH)
    by_key = {x.key: x for x in months}
    assert by_key["2024-01"].amount == cny(300)
    assert by_key["2024-01"].received == cny(60)
    feb = by_key["2024-02"]
    assert (feb.received, feb.returned, feb.refunded, feb.invoiced, feb.pending_confirmation) == (
        cny(30),
        cny(10),
        cny(5),
        cny(50),
        cny(20),
    )
    assert by_key["2024-03"].invoiced == cny(-50)
    quarters = collections_report([r1, r2], date(2024, 3, 31), by="quarter")
    assert [x.key for x in quarters] == ["2024-Q1"]
    assert quarters[0].invoiced == cny(0)


def test_target_attainment() -> None:
    r1 = make_receivable("SO-1", "200", owner="sally")
    paid(r1, "60", 1)
    paid(r1, "100", 3, 2)
    f = r1.request_refund(SALES, cny(10), reason="r", at=at(4, 2))
    r1.confirm_refund(FINANCE, f.id, at=at(5, 2))
    rows = target_attainment(
        [r1],
        {
            ("sally", "2024-01"): cny(100),
            ("sally", "2024-02"): cny(80),
            ("tom", "2024-02"): cny(0),
        },
        date(2024, 2, 29),
    )
    assert [(x.period, x.achieved, x.gap, x.percent) for x in rows] == [
        ("2024-01", cny(60), cny(40), Percent("60.0")),
        ("2024-02", cny(90), cny(-10), Percent("112.5")),
        ("2024-02", cny(0), cny(0), None),
    ]
    quarter = target_attainment(
        [r1], {("sally", "2024-Q1"): cny(300)}, date(2024, 3, 31), by="quarter"
    )
    assert quarter[0].achieved == cny(150)
    with pytest.raises(ValidationError, match="not a period"):
        target_attainment([r1], {}, date(2024, 1, 1), by="owner")
    assert period_of(date(2024, 11, 5), "quarter") == "2024-Q4"


def test_receivable_policy_from_data() -> None:
    policy = from_dict(ReceivablePolicy, {"finance_roles": ["treasury"], "overpayment": "refuse"})
    assert policy.finance_roles == frozenset({"treasury"})
    assert policy.overpayment is OverpaymentPolicy.REFUSE
    with pytest.raises(ConfigError, match="overpayment"):
        from_dict(ReceivablePolicy, {"overpayment": "keep"})
    with pytest.raises(ConfigError, match="finance_roles"):
        from_dict(ReceivablePolicy, {"finance_roles": []})
    assert TERMS_30_50_20.name == "30/50/20"
