"""A customer who buys in CNY and USD can still order under every credit policy once the
host gives exchange rates, and is told which rate is missing when it does not (issue 17)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crmcore.errors import CurrencyMismatch, InvalidTransition
from crmcore.money import Money
from crmcore.orders import OrderStatus
from crmcore.receivables import (
    CreditDecision,
    CreditPolicy,
    ExchangeRates,
    PaymentTerms,
    Receivable,
)
from tests.services.helpers import ANN, World, memory_world
from tests.services.order_helpers import priced_order

RATES = ExchangeRates("CNY", {"USD": "7.10"}, on=date(2026, 3, 2))
POLICIES = [
    CreditPolicy(),  # no limit: needs approval by default
    CreditPolicy(no_limit=CreditDecision.ALLOWED),
    CreditPolicy(limits={"acme": Money(100_000, "CNY")}),
    CreditPolicy(default_limit=Money(100_000, "CNY")),
]


def _with_a_usd_receivable(world: World) -> None:
    usd = Receivable.open(
        "AR-USD-1",
        customer="acme",
        owner_id="ann",
        amount=Money(1000, "USD"),
        issue_date=date(2026, 2, 1),
        terms=PaymentTerms.net(60),
        actor=ANN,
        at=datetime(2026, 2, 1, 9),
    )
    with world.storage.unit_of_work() as uow:
        uow.repository(Receivable).add(usd)
        uow.commit()


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: repr(p)[:60])
def test_every_credit_policy_decides_with_rates(policy: CreditPolicy) -> None:
    world = memory_world(credit_policy=policy, exchange_rates=lambda day: RATES)
    _with_a_usd_receivable(world)
    ids = priced_order(world)
    result = world.crm.orders.submit(ANN, ids["order"])
    assert result.credit is not None
    # 1,000 USD × 7.10 = 7,100.00 CNY already owed, the order's 791.00 on top
    assert result.credit.exposure == Money("7100.00", "CNY")
    assert result.credit.rates_on == date(2026, 3, 2)
    assert result.status in (OrderStatus.CONFIRMED, OrderStatus.PENDING_APPROVAL)


def test_a_blocking_policy_blocks_on_the_converted_figures() -> None:
    policy = CreditPolicy(limits={"acme": Money(5000, "CNY")}, over_limit=CreditDecision.BLOCKED)
    world = memory_world(credit_policy=policy, exchange_rates=RATES)
    _with_a_usd_receivable(world)
    ids = priced_order(world)
    with pytest.raises(InvalidTransition, match=r"exposure 7100\.00 CNY \+ this order 791\.00"):
        world.crm.orders.submit(ANN, ids["order"])


def test_without_rates_the_missing_one_is_named_and_nothing_changes() -> None:
    world = memory_world(credit_policy=CreditPolicy(limits={"acme": Money(100_000, "CNY")}))
    _with_a_usd_receivable(world)
    ids = priced_order(world)
    before = world.snapshot()
    with pytest.raises(CurrencyMismatch, match=r"receivable AR-USD-1: 1000\.00 USD is not in CNY"):
        world.crm.orders.submit(ANN, ids["order"])
    assert world.snapshot() == before
