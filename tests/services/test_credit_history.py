"""The credit check at submission reads only the customer's open receivables (the
``has_outstanding`` index), and gets the very figures the fold over the whole history gives."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.money import Money
from crmcore.receivables import CreditPolicy, Receivable, check_credit, exposure
from crmcore.serialization import from_dict
from crmcore.services import KINDS
from crmcore.services._kinds import has_outstanding
from crmcore.testing import strategies as cst
from tests.services.helpers import ANN, FAY, START, World, cny, memory_world, sqlite_world
from tests.services.order_helpers import priced_order

#: A day after every fact the strategies record (their clocks run for days, not years).
LATER = date(2030, 1, 1)


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    policy = from_dict(
        CreditPolicy,
        {"limits": {"acme": {"amount": "5000", "currency": "CNY"}}, "overdue_days": 10},
    )
    if request.param == "memory":
        return memory_world(credit_policy=policy)
    return sqlite_world(tmp_path, credit_policy=policy)


def _history(world: World) -> dict[str, str]:
    """Acme's receivables: settled, partly paid, paid but not yet confirmed, overdue."""
    crm = world.crm
    ids: dict[str, str] = {}
    for name, amount in (("settled", "300"), ("partly", "400"), ("pending", "250")):
        ids[name] = crm.receivables.open(
            ANN, customer="acme", owner_id="ann", amount=cny(amount), issue_date=START.date()
        ).id
    ids["overdue"] = crm.receivables.open(
        ANN,
        customer="acme",
        owner_id="ann",
        amount=cny("120"),
        issue_date=START.date() - timedelta(days=60),
    ).id
    ids["other"] = crm.receivables.open(
        ANN, customer="zen", owner_id="ann", amount=cny("999"), issue_date=START.date()
    ).id
    for name, paid in (("settled", "300"), ("partly", "150"), ("pending", "250")):
        payment = crm.receivables.record_payment(
            ANN, ids[name], cny(paid), received_on=START.date()
        )
        if name != "pending":
            crm.receivables.confirm_payment(FAY, ids[name], payment.id)
    return ids


def test_the_credit_check_loads_the_open_receivables_and_agrees_with_the_full_fold(
    world: World,
) -> None:
    ids = _history(world)
    with world.storage.unit_of_work() as uow:
        repo = uow.repository(Receivable)
        everything = repo.find(customer="acme")
        open_ones = repo.find(customer="acme", has_outstanding=True)
    assert sorted(r.id for r in open_ones) == sorted(
        ids[n] for n in ("partly", "pending", "overdue")
    )
    assert len(everything) == 4
    order = priced_order(world)["order"]
    result = world.crm.orders.submit(ANN, order)
    assert result.credit is not None
    today = world.clock.now().date()
    full = check_credit(
        "acme",
        cny("791.00"),
        receivables=everything,
        as_of=today,
        policy=from_dict(
            CreditPolicy,
            {"limits": {"acme": {"amount": "5000", "currency": "CNY"}}, "overdue_days": 10},
        ),
    )
    # 0 + 250 + 250 (not yet confirmed) + 120 = 620.00 outstanding; half of the 120 has been
    # due for 60 days (acme pays half at once, half in 30 days).
    assert str(result.credit.exposure) == "620.00 CNY"
    assert result.credit == full
    assert result.credit.reasons == ("an installment is 60 days overdue (more than 10)",)


def test_a_refund_reopens_a_settled_receivable_for_the_credit_check() -> None:
    world = memory_world()
    crm = world.crm
    rec = crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("100"), issue_date=START.date()
    )
    payment = crm.receivables.record_payment(ANN, rec.id, cny("100"), received_on=START.date())
    crm.receivables.confirm_payment(FAY, rec.id, payment.id)
    with world.storage.unit_of_work() as uow:
        assert uow.repository(Receivable).find(has_outstanding=True) == []
    refund = crm.receivables.request_refund(ANN, rec.id, cny("40"), reason="broken")
    crm.receivables.confirm_refund(FAY, rec.id, refund.id)
    with world.storage.unit_of_work() as uow:
        reopened = uow.repository(Receivable).find(has_outstanding=True)
    assert [r.id for r in reopened] == [rec.id]
    assert reopened[0].balance(START.date()).outstanding == cny("40")


@settings(max_examples=80, deadline=None)
@given(cst.receivables(max_steps=12))
def test_a_receivable_without_outstanding_adds_nothing_to_exposure_or_overdue_days(
    receivable: Receivable,
) -> None:
    balance = receivable.balance(LATER)
    if not has_outstanding(receivable):
        assert balance.outstanding.amount == 0
        assert balance.days_overdue == 0
    else:
        assert any(row.outstanding.amount != 0 for row in balance.installments)


@settings(max_examples=40, deadline=None)
@given(st.lists(cst.receivables(max_steps=10), max_size=5, unique_by=lambda r: r.id))
def test_checking_credit_on_the_open_receivables_equals_checking_on_all(
    found: list[Receivable],
) -> None:
    same = [attrs.evolve(r, customer="acme") for r in found if r.amount.currency.code == "CNY"]
    policy = from_dict(
        CreditPolicy,
        {"limits": {"acme": {"amount": "100000", "currency": "CNY"}}, "overdue_days": 5},
    )
    new = Money("10", "CNY")
    on_all = check_credit("acme", new, receivables=same, as_of=LATER, policy=policy)
    on_open = check_credit(
        "acme",
        new,
        receivables=[r for r in same if has_outstanding(r)],
        as_of=LATER,
        policy=policy,
    )
    assert on_open == on_all
    assert exposure("acme", same, LATER) in (None, on_all.exposure)


def test_the_receivable_kind_indexes_has_outstanding() -> None:
    kind = next(k for k in KINDS if k.name == "receivable")
    assert "has_outstanding" in kind.indexes
