"""Shared actors, terms and a receivable factory for the receivables tests (plain helpers)."""

from __future__ import annotations

from datetime import date, datetime

from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    DueRule,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivablePolicy,
    TermLine,
)

SALES = Actor("sally", {"sales"})
FINANCE = Actor("fiona", {"finance"})
FINANCE2 = Actor("frank", {"finance"})
T0 = datetime(2024, 1, 1, 9)

TERMS_30_50_20 = PaymentTerms(
    "30/50/20",
    [
        TermLine(Portion.percent(30), DueRule.net(0)),
        TermLine(Portion.percent(50), DueRule.net(30)),
        TermLine(Portion.percent(20), DueRule.net(60)),
    ],
)


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def at(day: int, month: int = 1, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour)


def make_receivable(
    id: str = "SO-1",
    amount: str = "200",
    *,
    customer: str = "acme",
    owner: str = "sally",
    department: str | None = "east",
    terms: PaymentTerms = TERMS_30_50_20,
    issue_date: date = date(2024, 1, 1),
    policy: ReceivablePolicy | None = None,
) -> Receivable:
    return Receivable.open(
        id,
        customer=customer,
        owner_id=owner,
        department=department,
        amount=cny(amount),
        issue_date=issue_date,
        terms=terms,
        actor=SALES,
        at=datetime.combine(issue_date, T0.time()),
        policy=policy,
    )
