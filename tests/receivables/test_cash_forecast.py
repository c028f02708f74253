"""Payment behaviour, late payers, the collections forecast and DSO (issue 17), checked by
hand: slowco paid three invoices 10, 20 and 30 days late and owes 3,000.00 due 15 July;
newco has no history and owes 500.00 due 20 July; overdue owes 1,200.00 due 1 May."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money, Percent
from crmcore.receivables import (
    PaymentTerms,
    Receivable,
    collections_forecast,
    days_sales_outstanding,
    late_payers,
    payment_behaviour,
    risk_grade,
)
from tests.receivables.rcv_support import FINANCE, SALES

AS_OF = date(2024, 6, 30)


def _open(rid: str, customer: str, amount: str, issued: date, currency: str = "CNY") -> Receivable:
    return Receivable.open(
        rid,
        customer=customer,
        owner_id="sally" if customer != "newco" else "sam",
        department="east",
        amount=Money(amount, currency),
        issue_date=issued,
        terms=PaymentTerms.net(30),
        actor=SALES,
        at=datetime.combine(issued, datetime.min.time()),
    )


def _pay(receivable: Receivable, received_on: date) -> None:
    when = datetime.combine(received_on, datetime.min.time())
    paid = receivable.record_payment(
        SALES, receivable.amount, received_on=received_on, at=when.replace(hour=9)
    )
    receivable.confirm_payment(FINANCE, paid.id, at=when.replace(hour=15))


def book() -> list[Receivable]:
    r1 = _open("R1", "slowco", "1000", date(2024, 1, 1))  # due 31 Jan
    _pay(r1, date(2024, 2, 10))  # 10 days late
    r2 = _open("R2", "slowco", "1000", date(2024, 2, 1))  # due 2 Mar
    _pay(r2, date(2024, 3, 22))  # 20 days late
    r3 = _open("R3", "slowco", "1000", date(2024, 3, 1))  # due 31 Mar
    _pay(r3, date(2024, 4, 30))  # 30 days late
    r4 = _open("R4", "slowco", "3000", date(2024, 6, 15))  # due 15 Jul
    r5 = _open("R5", "newco", "500", date(2024, 6, 20))  # due 20 Jul
    r6 = _open("R6", "overdue", "1200", date(2024, 4, 1))  # due 1 May, unpaid
    return [r1, r2, r3, r4, r5, r6]


def test_payment_behaviour_and_the_late_payers() -> None:
    found = payment_behaviour(book(), AS_OF)
    assert list(found) == ["slowco"]  # the others never settled anything
    slow = found["slowco"]
    assert (slow.settled, slow.median_days_late, slow.p10_days_late, slow.p90_days_late) == (
        3,
        20,
        10,
        30,
    )
    assert (slow.average_days_late, slow.on_time_share) == (Decimal("20.0"), Percent(0))
    ranked = late_payers(book(), AS_OF, min_settled=3)
    assert [(p.rank, p.behaviour.customer) for p in ranked] == [(1, "slowco")]
    assert late_payers(book(), AS_OF, min_settled=4) == []
    # before any payment was confirmed there is nothing to learn from
    assert payment_behaviour(book(), date(2024, 2, 1)) == {}
    with pytest.raises(ValidationError, match="min_settled"):
        late_payers(book(), AS_OF, min_settled=0)


def test_the_risk_grade_reads_the_same_settlements() -> None:
    grade = risk_grade("slowco", book(), AS_OF)
    # never on time (C needs half on time): D
    assert (grade.grade, grade.installments, grade.average_days_late, grade.worst_days_late) == (
        "D",
        3,
        Decimal("20.0"),
        30,
    )


def test_the_monthly_collections_forecast_shifts_each_installment_by_its_customers_delay() -> None:
    forecast = collections_forecast(book(), AS_OF)
    rows = [(r.period, r.installments, r.expected, r.early, r.late) for r in forecast.rows]
    cny = lambda a: Money(a, "CNY")  # noqa: E731
    assert rows == [
        # R6 is two months overdue: expected now, in as_of's month, in every band
        ("2024-06", 1, cny(1200), cny(1200), cny(1200)),
        # R5: due 20 Jul with the prior (0, 0, +14): July, July, August 3
        # R4: due 15 Jul + 20 days → 4 Aug; +10 → 25 Jul; +30 → 14 Aug
        ("2024-07", 1, cny(500), cny(3500), cny(0)),
        ("2024-08", 1, cny(3000), cny(0), cny(3500)),
    ]
    assert sum(r.expected.amount for r in forecast.rows) == Decimal(4700)
    assert forecast.row("2024-08").expected == cny(3000)
    records = forecast.to_records()
    assert records[1] == {
        "period": "2024-07",
        "currency": "CNY",
        "installments": 1,
        "expected": Decimal("500.00"),
        "early": Decimal("3500.00"),
        "late": Decimal("0.00"),
    }
    assert "Collections forecast by month" in forecast._repr_html_()


def test_weekly_and_grouped_forecasts() -> None:
    weekly = collections_forecast(book(), AS_OF, by="week", group="owner")
    assert [(r.group, r.period, r.expected.amount) for r in weekly.rows if r.expected.amount] == [
        ("sally", "2024-W26", Decimal("1200.00")),  # 30 June is in ISO week 26
        ("sally", "2024-W31", Decimal("3000.00")),  # Sunday 4 August
        ("sam", "2024-W29", Decimal("500.00")),  # 20 July
    ]
    totals = {t["period"]: t["expected"] for t in weekly.total_records()}
    assert totals["2024-W26"] == Decimal("1200.00")
    with pytest.raises(ValidationError, match="by: 'day'"):
        collections_forecast(book(), AS_OF, by="day")
    with pytest.raises(ValidationError, match="group: 'region'"):
        collections_forecast(book(), AS_OF, group="region")
    with pytest.raises(ValidationError, match="prior"):
        collections_forecast(book(), AS_OF, prior=(0, 0))  # type: ignore[arg-type]


@given(st.lists(st.integers(0, 5), min_size=6, max_size=6))
def test_forecasts_of_partitions_merge_into_the_forecast_of_the_whole(parts: list[int]) -> None:
    receivables = book()
    behaviour = payment_behaviour(receivables, AS_OF)
    partitions: dict[int, list[Receivable]] = {}
    for receivable, part in zip(receivables, parts, strict=True):
        partitions.setdefault(part, []).append(receivable)
    pieces = [
        collections_forecast(p, AS_OF, group="customer", behaviour=behaviour)
        for p in partitions.values()
    ]
    whole = collections_forecast(receivables, AS_OF, group="customer", behaviour=behaviour)
    assert sum(pieces) == whole
    assert sum(pieces).rows == whole.rows
    other = collections_forecast(receivables, AS_OF, by="week", behaviour=behaviour)
    with pytest.raises(ValidationError, match="cannot merge"):
        whole + other


def test_days_sales_outstanding_counts_back_month_by_month() -> None:
    company = days_sales_outstanding(book(), AS_OF, by="all")
    # 4,700 owed; June sold 3,500 (30 days), May 0 (31 days), April 1,200 covers the last
    # 1,200 (30 days × 1,200 / 1,200): 30 + 31 + 30 = 91
    assert (company.row("all").outstanding, company.row("all").days) == (
        Money(4700, "CNY"),
        Decimal("91.0"),
    )
    per_customer = days_sales_outstanding(book(), AS_OF)
    assert [(r.key, r.days) for r in per_customer.rows] == [
        ("newco", Decimal("30.0")),  # owes all it bought in June: the whole 30 days
        ("overdue", Decimal("91.0")),
        ("slowco", Decimal("30.0")),
    ]


def test_currencies_are_never_mixed() -> None:
    mixed = [*book(), _open("R9", "usco", "100", date(2024, 6, 1), currency="USD")]
    with pytest.raises(CurrencyMismatch, match="R9 is in USD"):
        collections_forecast(mixed, AS_OF)
    with pytest.raises(CurrencyMismatch, match="R9 is in USD"):
        days_sales_outstanding(mixed, AS_OF)
