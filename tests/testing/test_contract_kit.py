"""The kit's own pieces: the sample aggregate's refusals and the comparison helpers."""

from __future__ import annotations

import pytest

from crmcore.errors import CurrencyMismatch, InvariantViolation, ValidationError
from crmcore.money import Money
from crmcore.orders import Order
from crmcore.ports import Actor
from crmcore.testing import strategies as cst
from crmcore.testing.contracts import (
    AT,
    DOMAIN_KINDS,
    SAMPLE_KIND,
    _account,
    canonical,
    observations,
    reloaded,
)


def test_the_sample_account_refuses_bad_deposits_and_changes_nothing() -> None:
    account = _account()
    with pytest.raises(CurrencyMismatch, match="into a CNY account"):
        account.deposit(Actor("u1"), Money(1, "USD"), at=AT)
    with pytest.raises(ValidationError, match="must be > 0"):
        account.deposit(Actor("u1"), Money(0, "CNY"), at=AT)
    account.close()
    with pytest.raises(InvariantViolation, match="acc-1 is closed"):
        account.deposit(Actor("u1"), Money(1, "CNY"), at=AT)
    assert account.balance == Money("100.00", "CNY")
    assert account.peek_events() == []


def test_canonical_reloaded_and_observations_of_the_sample() -> None:
    account = _account()
    account.version = 3
    copy = reloaded(SAMPLE_KIND, account)
    assert copy == account
    assert copy is not account
    assert canonical(SAMPLE_KIND, copy) == canonical(SAMPLE_KIND, account)
    assert '"version"' not in canonical(SAMPLE_KIND, account)
    assert observations(account) is account  # nothing more to read from a sample


def test_every_domain_kind_has_a_strategy_and_a_distinct_table() -> None:
    names = [kind.name for kind in DOMAIN_KINDS]
    assert names == [
        "lead",
        "lead_pool",
        "opportunity",
        "receivable",
        "approval",
        "order",
        "visit",
        "visit_plan",
        "visit_customer",
    ]
    order_kind = next(kind for kind in DOMAIN_KINDS if kind.cls is Order)
    assert order_kind.indexes == ("customer_id", "owner_id", "status", "department")
    assert {
        "leads",
        "pools",
        "opportunities",
        "receivables",
        "orders",
        "approval_instances",
        "visits",
        "visit_plans",
        "customer_sites",
    } <= set(cst.__all__)
