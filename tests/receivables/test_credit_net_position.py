"""Credit on the customer's net position (issue 17): advances count against exposure, several
currencies with the host's rates, a company default limit, limits and decisions by risk
grade, a bypass with a reason and an expiry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money
from crmcore.receivables import (
    CreditBypass,
    CreditDecision,
    CreditPolicy,
    ExchangeRates,
    OverpaymentPolicy,
    PaymentTerms,
    Receivable,
    ReceivablePolicy,
    check_credit,
    credit_alerts,
    exposure,
)
from crmcore.serialization import from_dict
from tests.receivables.rcv_support import FINANCE, SALES

AS_OF = date(2026, 3, 31)
RATES = ExchangeRates("CNY", {"USD": "7.10"}, on=date(2026, 3, 31))


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def _receivable(rid: str, amount: Money, customer: str = "acme") -> Receivable:
    return Receivable.open(
        rid,
        customer=customer,
        owner_id="sally",
        amount=amount,
        issue_date=date(2026, 3, 1),
        terms=PaymentTerms.net(60),
        actor=SALES,
        at=datetime(2026, 3, 1, 9),
        policy=ReceivablePolicy(overpayment=OverpaymentPolicy.ADVANCE),
    )


def _pay(receivable: Receivable, amount: Money) -> None:
    paid = receivable.record_payment(
        SALES, amount, received_on=date(2026, 3, 5), at=datetime(2026, 3, 5, 9)
    )
    receivable.confirm_payment(FINANCE, paid.id, at=datetime(2026, 3, 5, 15))


def test_an_advance_lowers_the_exposure() -> None:
    owed = _receivable("R1", cny(500))
    prepaid = _receivable("R2", cny(200))
    _pay(prepaid, cny(500))  # 300 beyond its installments: a customer advance
    # 500 owed on R1 + 300 in open orders − 300 advance = 500 (not 800)
    assert exposure("acme", [owed, prepaid], AS_OF, [cny(300)]) == cny(500)


def test_a_customer_with_two_currencies_is_checked_with_the_hosts_rates() -> None:
    cny_part = _receivable("R1", cny(1000))
    usd_part = _receivable("R2", Money(100, "USD"))
    policy = CreditPolicy(limits={"acme": cny(3000)})
    # 1,000 + 100 × 7.10 = 1,710; + 1,000 new = 2,710 of 3,000: allowed, rates dated
    check = check_credit(
        "acme",
        cny(1000),
        receivables=[cny_part, usd_part],
        as_of=AS_OF,
        policy=policy,
        rates=RATES,
    )
    assert (check.decision, check.exposure) == (CreditDecision.ALLOWED, cny("1710.00"))
    assert check.utilisation is not None
    assert check.utilisation.value == Decimal("90.33")
    assert check.rates_on == date(2026, 3, 31)
    # an order in USD is converted into the limit's currency: 1,710 + 710 = 2,420
    in_usd = check_credit(
        "acme",
        Money(100, "USD"),
        receivables=[cny_part, usd_part],
        as_of=AS_OF,
        policy=policy,
        rates=RATES,
    )
    assert (in_usd.new_amount, in_usd.exposure + in_usd.new_amount) == (cny(710), cny(2420))
    # without rates the missing one is named
    with pytest.raises(CurrencyMismatch, match=r"receivable R2: 100.00 USD is not in CNY"):
        check_credit("acme", cny(1), receivables=[cny_part, usd_part], as_of=AS_OF, policy=policy)
    with pytest.raises(CurrencyMismatch, match="no exchange rate for EUR → CNY on 2026-03-31"):
        RATES.convert(Money(1, "EUR"))


def test_a_paid_receivable_in_another_currency_needs_no_rate() -> None:
    cny_part = _receivable("R1", cny(1000))
    usd_part = _receivable("R2", Money(100, "USD"))
    _pay(usd_part, Money(100, "USD"))
    for policy in (CreditPolicy(), CreditPolicy(limits={"acme": cny(5000)})):
        check = check_credit(
            "acme", cny(500), receivables=[cny_part, usd_part], as_of=AS_OF, policy=policy
        )
        assert check.exposure == cny(1000)
        assert check.rates_on is None


def test_the_company_default_limit_sits_under_group_and_customer_limits() -> None:
    policy = CreditPolicy(
        limits={"acme": cny(10_000)},
        group_limits={"retail": cny(2000)},
        customer_groups={"shop": "retail"},
        default_limit=cny(500),
    )
    assert policy.limit_for("acme") == cny(10_000)
    assert policy.limit_for("shop") == cny(2000)
    assert policy.limit_for("walk-in") == cny(500)
    check = check_credit("walk-in", cny(600), receivables=[], as_of=AS_OF, policy=policy)
    assert check.decision is CreditDecision.NEEDS_APPROVAL
    assert check.reasons[0].startswith("exposure 600.00 CNY would exceed the limit 500.00 CNY")


def test_risk_grades_map_to_limits_and_decisions() -> None:
    late = _receivable("R1", cny(1000), customer="latecomer")
    # R1 is due 30 April (not yet); R2 was due 1 December and is unpaid
    overdue = Receivable.open(
        "R2",
        customer="latecomer",
        owner_id="sally",
        amount=cny(100),
        issue_date=date(2025, 12, 1),
        terms=PaymentTerms.net(0),
        actor=SALES,
        at=datetime(2025, 12, 1, 9),
    )
    # 120 days overdue and unpaid: grade D
    policy = CreditPolicy(
        grade_limits={"D": cny(50_000)},
        grade_decisions={"D": "needs_approval"},
        overdue_decision=None,
    )
    check = check_credit(
        "latecomer", cny(10), receivables=[late, overdue], as_of=AS_OF, policy=policy
    )
    assert (check.grade, check.limit, check.decision) == (
        "D",
        cny(50_000),
        CreditDecision.NEEDS_APPROVAL,
    )
    assert check.reasons == ("risk grade D asks for needs_approval",)
    with pytest.raises(ValidationError, match="grade 'E'"):
        CreditPolicy(grade_limits={"E": cny(1)})


def test_a_bypass_allows_until_it_expires_and_says_why() -> None:
    owed = _receivable("R1", cny(5000))
    policy = CreditPolicy(
        limits={"acme": cny(1000)},
        bypass={"acme": CreditBypass("strategic account, CFO approved", date(2026, 3, 31))},
    )
    allowed = check_credit("acme", cny(100), receivables=[owed], as_of=AS_OF, policy=policy)
    assert allowed.decision is CreditDecision.ALLOWED
    assert allowed.reasons[-1] == (
        "credit check bypassed until 2026-03-31: strategic account, CFO approved"
    )
    expired = check_credit(
        "acme", cny(100), receivables=[owed], as_of=date(2026, 4, 1), policy=policy
    )
    assert expired.decision is CreditDecision.NEEDS_APPROVAL
    with pytest.raises(ValidationError, match="reason: a reason is required"):
        CreditBypass(" ", date(2026, 4, 1))
    loaded = from_dict(
        CreditPolicy,
        {
            "limits": {"acme": {"amount": "1000", "currency": "CNY"}},
            "default_limit": {"amount": "500", "currency": "CNY"},
            "bypass": {"acme": {"reason": "year-end deal", "until": "2026-12-31"}},
            "grade_decisions": {"D": "blocked"},
        },
    )
    assert loaded.bypassed("acme", date(2026, 12, 31)) == CreditBypass(
        "year-end deal", date(2026, 12, 31)
    )
    assert loaded.grade_decisions == {"D": CreditDecision.BLOCKED}


def test_alerts_use_the_same_rates() -> None:
    cny_part = _receivable("R1", cny(1000))
    usd_part = _receivable("R2", Money(100, "USD"))
    policy = CreditPolicy(limits={"acme": cny(2000)}, alert_at=80)  # type: ignore[arg-type]
    alerts = credit_alerts(
        "acme", receivables=[cny_part, usd_part], as_of=AS_OF, policy=policy, rates=RATES
    )
    assert [a.kind for a in alerts] == ["utilisation"]
    assert "exposure 1710.00 CNY" in alerts[0].message


def test_rates_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"rates\[USD\]: 7.1 refused"):
        ExchangeRates("CNY", {"USD": 7.1}, on=AS_OF)
    with pytest.raises(ValidationError, match=r"rates\[USD\]: must be a number > 0"):
        ExchangeRates("CNY", {"USD": "0"}, on=AS_OF)
    with pytest.raises(ValidationError, match="on: expected a date"):
        ExchangeRates("CNY", {"USD": "7"}, on="today")  # type: ignore[arg-type]
    cross = ExchangeRates("CNY", {"USD": "7.10", "EUR": "7.80"}, on=AS_OF)
    assert cross.convert(Money(100, "EUR"), "USD") == Money("109.86", "USD")
