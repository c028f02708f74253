"""The customer account through the services: money on account, confirmed by finance,
applied oldest due first (or as finance says) to the customer's receivables, refunded; the
credit check counts what the customer holds on account."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import InvariantViolation, NotFound, PermissionDenied, ValidationError
from crmcore.money import Money
from crmcore.receivables import CreditPolicy, PaymentState
from tests.services.helpers import ANN, BOB, FAY, World, cny, memory_world, sqlite_world
from tests.services.order_helpers import priced_order

ACC = "ACC-acme-CNY"
DAY = date(2026, 3, 2)


def _receivables(world: World) -> None:
    """acme (Ann's): AR-1 1,000.00 issued 1 Jan (500.00 due 1 Jan, 500.00 due 31 Jan) and
    AR-2 600.00 issued 1 Feb (300.00 due 1 Feb, 300.00 due 3 Mar)."""
    for rid, amount, issued in (
        ("AR-1", "1000.00", date(2026, 1, 1)),
        ("AR-2", "600.00", date(2026, 2, 1)),
    ):
        world.crm.receivables.open(
            FAY,
            customer="acme",
            owner_id="ann",
            amount=cny(amount),
            issue_date=issued,
            receivable_id=rid,
        )


def _outstanding(world: World, rid: str) -> Money:
    return world.crm.queries.get_receivable(FAY, rid).balance(date(2026, 12, 31)).outstanding


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    made = memory_world() if request.param == "memory" else sqlite_world(tmp_path)
    _receivables(made)
    made.sent()
    return made


def test_money_on_account_is_confirmed_applied_oldest_first_and_confirmed_again(
    world: World,
) -> None:
    crm, q = world.crm, world.crm.queries
    receipt = crm.accounts.receive(
        ANN, "acme", cny("1200.00"), received_on=DAY, reference="BANK-77"
    )
    assert (receipt.id, receipt.state) == (f"{ACC}/R1", PaymentState.PENDING)
    assert world.sent() == [
        ("fay", "money on account awaiting confirmation"),
        ("fin", "money on account awaiting confirmation"),
    ]
    # the same bank reference again: the same receipt, nothing recorded twice
    assert (
        crm.accounts.receive(ANN, "acme", cny("1200.00"), received_on=DAY, reference="BANK-77")
        == receipt
    )
    assert q.get_account(FAY, ACC).balance().unapplied == cny("0.00")  # not confirmed yet
    crm.accounts.confirm_receipt(FAY, ACC, receipt.id)
    assert q.get_account(ANN, ACC).balance().unapplied == cny("1200.00")

    # oldest due first: AR-1's 500.00 (1 Jan) and 500.00 (31 Jan), then AR-2's first 200.00
    applications = crm.accounts.apply(ANN, ACC)
    assert [(a.receivable_id, a.amount) for a in applications] == [
        ("AR-1", cny("1000.00")),
        ("AR-2", cny("200.00")),
    ]
    balance = q.get_account(FAY, ACC).balance()
    assert (balance.unapplied, balance.applying, balance.on_account) == (
        cny("0.00"),
        cny("1200.00"),
        cny("1200.00"),
    )
    assert _outstanding(world, "AR-1") == cny("1000.00")  # pending: not received yet
    world.sent()
    for application in applications:
        crm.accounts.confirm_application(FAY, ACC, application.id)
    assert (_outstanding(world, "AR-1"), _outstanding(world, "AR-2")) == (
        cny("0.00"),
        cny("400.00"),
    )
    balance = q.get_account(FAY, ACC).balance()
    assert (balance.received, balance.applied, balance.unapplied) == (
        cny("1200.00"),
        cny("1200.00"),
        cny("0.00"),
    )
    # the receivables' own payments tell the owner and her manager, once per payment
    assert world.sent() == [
        ("ann", "payment confirmed"),
        ("mia", "payment confirmed"),
        ("ann", "payment confirmed"),
        ("mia", "payment confirmed"),
    ]
    payment = q.get_receivable(FAY, "AR-1").payments[0]
    assert (payment.state, payment.reference) == (PaymentState.CONFIRMED, f"{ACC}/A1")


def test_explicit_allocation_rejection_and_refund(world: World) -> None:
    crm, q = world.crm, world.crm.queries
    receipt = crm.accounts.receive(ANN, "acme", cny("500.00"), received_on=DAY)
    crm.accounts.confirm_receipt(FAY, ACC, receipt.id)
    (application,) = crm.accounts.apply(FAY, ACC, allocations={"AR-2": cny("300.00")})
    assert application.amount == cny("300.00")
    crm.accounts.reject_application(FAY, ACC, application.id, "wrong order")
    assert q.get_account(FAY, ACC).balance().unapplied == cny("500.00")  # free again
    rejected = q.get_receivable(FAY, "AR-2").payments[0]
    assert (rejected.state, rejected.reason) == (PaymentState.REJECTED, "wrong order")
    refund = crm.accounts.request_refund(ANN, ACC, cny("200.00"), "customer asked")
    assert q.get_account(FAY, ACC).balance().unapplied == cny("300.00")  # reserved
    crm.accounts.confirm_refund(FAY, ACC, refund.id)
    balance = q.get_account(FAY, ACC).balance()
    assert (balance.refunded, balance.unapplied) == (cny("200.00"), cny("300.00"))
    other = crm.accounts.request_refund(ANN, ACC, cny("300.00"), "all of it")
    crm.accounts.reject_refund(FAY, ACC, other.id, "apply it instead")
    assert q.get_account(FAY, ACC).balance().unapplied == cny("300.00")


def test_a_credit_lowers_the_exposure_of_the_credit_check(world: World) -> None:
    crm = world.crm
    crm.accounts.add_credit(FAY, "acme", cny("700.00"), source="return of SO-9 kept as credit")
    acct = crm.queries.get_account(FAY, ACC)
    # opened by finance, owned by the customer's salesperson (her latest receivable)
    assert (acct.owner_id, acct.balance().credits, acct.balance().unapplied) == (
        "ann",
        cny("700.00"),
        cny("700.00"),
    )
    limit = CreditPolicy(limits={"acme": cny("2000.00")})
    checked = World(world.storage, credit_policy=limit)
    order = priced_order(checked)["order"]  # 791.00
    result = checked.crm.orders.submit(ANN, order)
    assert result.credit is not None
    # outstanding 1,600.00 − 700.00 on account = 900.00; + 791.00 = 1,691.00 of 2,000.00
    assert result.credit.exposure == cny("900.00")
    assert str(result.credit.utilisation) == "84.55 %"


def test_finance_may_decide_from_the_receivables_side_and_the_account_follows(
    world: World,
) -> None:
    crm, q = world.crm, world.crm.queries
    receipt = crm.accounts.receive(ANN, "acme", cny("800.00"), received_on=DAY)
    crm.accounts.confirm_receipt(FAY, ACC, receipt.id)
    first, second = crm.accounts.apply(
        ANN, ACC, allocations={"AR-1": cny("500.00"), "AR-2": cny("300.00")}
    )
    todo = {(t.receivable_id, t.payment_id) for t in q.payments_awaiting_confirmation(FAY)}
    assert todo == {("AR-1", first.payment_id), ("AR-2", second.payment_id)}
    crm.receivables.confirm_payment(FAY, "AR-1", first.payment_id)
    crm.receivables.reject_payment(FAY, "AR-2", second.payment_id, "belongs to another customer")
    account = q.get_account(FAY, ACC)
    assert [a.state for a in account.applications] == [
        PaymentState.CONFIRMED,
        PaymentState.REJECTED,
    ]
    assert account.applications[1].reason == "belongs to another customer"
    balance = account.balance()
    assert (balance.applied, balance.applying, balance.unapplied) == (
        cny("500.00"),
        cny("0.00"),
        cny("300.00"),
    )
    assert _outstanding(world, "AR-1") == cny("500.00")


def test_four_eyes_roles_and_record_access(world: World) -> None:
    crm, q = world.crm, world.crm.queries
    receipt = crm.accounts.receive(FAY, "acme", cny("100.00"), received_on=DAY, owner_id="ann")
    with pytest.raises(PermissionDenied, match=r"may not account\.confirm"):
        crm.accounts.confirm_receipt(ANN, ACC, receipt.id)
    with pytest.raises(PermissionDenied, match="recorded"):
        crm.accounts.confirm_receipt(FAY, ACC, receipt.id)  # fay recorded it herself
    with pytest.raises(NotFound, match="that bob may see"):
        q.get_account(BOB, ACC)
    with pytest.raises(PermissionDenied, match="bob may not write customer_account"):
        crm.accounts.receive(BOB, "acme", cny("5.00"), received_on=DAY)
    assert [a.id for a in q.list_accounts(FAY, awaiting_confirmation=True).items] == [ACC]
    assert q.list_accounts(BOB).total == 0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda c: c.accounts.apply(ANN, ACC, cny("50.00")),
            InvariantViolation,
            "exceeds the unapplied 0.00 CNY",
        ),
        (lambda c: c.accounts.apply(ANN, ACC), InvariantViolation, "nothing to apply"),
        (
            lambda c: c.accounts.apply(ANN, ACC, cny("1.00"), allocations={"AR-1": cny("1.00")}),
            ValidationError,
            "amount or allocations, not both",
        ),
        (
            lambda c: c.accounts.request_refund(ANN, ACC, cny("1.00"), "x"),
            InvariantViolation,
            "exceeds the unapplied",
        ),
        (
            lambda c: c.accounts.receive(ANN, "acme", cny("-5.00"), received_on=DAY),
            ValidationError,
            "must be > 0",
        ),
        (
            lambda c: c.accounts.receive(ANN, "acme", cny("5.00"), received_on="today"),
            ValidationError,
            "received_on",
        ),
        (lambda c: c.accounts.confirm_receipt(FAY, ACC, "nope"), NotFound, "no receipt 'nope'"),
        (lambda c: c.accounts.confirm_receipt(FAY, "ACC-zen-CNY", "x"), NotFound, "ACC-zen-CNY"),
    ],
)
def test_bad_requests_change_nothing(
    world: World, call: object, error: type[Exception], message: str
) -> None:
    crm = world.crm
    crm.accounts.add_credit(FAY, "acme", cny("0.01"), source="rounding")  # the account exists
    crm.accounts.apply(FAY, ACC)  # and holds nothing unapplied
    before = world.snapshot()
    with pytest.raises(error, match=message):
        call(crm)  # type: ignore[operator]
    assert world.snapshot() == before


@settings(max_examples=25, deadline=None)
@given(
    splits=st.lists(st.integers(min_value=1, max_value=40_000), min_size=1, max_size=5),
    reject=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_applying_in_any_split_keeps_outstanding_minus_unapplied(
    splits: list[int], reject: list[bool]
) -> None:
    world = memory_world()
    _receivables(world)
    crm, q = world.crm, world.crm.queries
    receipt = crm.accounts.receive(ANN, "acme", cny("1300.00"), received_on=DAY)
    crm.accounts.confirm_receipt(FAY, ACC, receipt.id)

    def position() -> Money:
        total = _outstanding(world, "AR-1") + _outstanding(world, "AR-2")
        return total - q.get_account(FAY, ACC).balance().unapplied

    start = position()
    assert start == cny("300.00")  # 1,600.00 owed − 1,300.00 on account
    for cents, no in zip(splits, reject, strict=False):
        unapplied = q.get_account(FAY, ACC).balance().unapplied
        part = min(Money(cents, "CNY") / 100, unapplied).round()
        if not part.amount > 0:
            break
        for application in crm.accounts.apply(ANN, ACC, part):
            if no:
                crm.accounts.reject_application(FAY, ACC, application.id, "not this one")
            else:
                crm.accounts.confirm_application(FAY, ACC, application.id)
        assert position() == start


def test_an_advance_moves_to_the_account_in_one_step_and_pays_the_next_order(
    world: World,
) -> None:
    """AR-1 1,000.00 paid 1,300.00: 300.00 advance. Finance moves it to acme's account in
    one step; it then pays AR-2's first installment (300.00 due 1 Feb)."""
    crm, q = world.crm, world.crm.queries
    paid = crm.receivables.record_payment(
        ANN, "AR-1", cny("1300.00"), received_on=DAY, reference="BANK-9"
    )
    crm.receivables.confirm_payment(FAY, "AR-1", paid.id)
    assert q.get_receivable(FAY, "AR-1").balance(DAY).advance == cny("300.00")
    world.sent()
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match="ann"):
        crm.accounts.take_advance(ANN, "AR-1")  # sales may not move money
    with pytest.raises(InvariantViolation, match=r"400\.00 CNY is more than the advance"):
        crm.accounts.take_advance(FAY, "AR-1", cny("400.00"))
    with pytest.raises(InvariantViolation, match="AR-2: no advance to move"):
        crm.accounts.take_advance(FAY, "AR-2")
    with pytest.raises(ValidationError, match="amount"):
        crm.accounts.take_advance(FAY, "AR-1", "300")  # type: ignore[arg-type]
    assert world.snapshot() == before

    credit = crm.accounts.take_advance(FAY, "AR-1")  # all of it, by one person
    assert (credit.amount, credit.source) == (cny("300.00"), "advance of AR-1 (AR-1/F1)")
    ar1 = q.get_receivable(FAY, "AR-1").balance(DAY)
    assert (ar1.advance, ar1.outstanding, ar1.refunded) == (
        cny("0.00"),
        cny("0.00"),
        cny("300.00"),
    )
    (moved,) = q.get_receivable(FAY, "AR-1").refunds
    assert (moved.to_account, moved.decided_by) == (ACC, "fay")
    assert q.get_account(ANN, ACC).balance().unapplied == cny("300.00")
    assert world.sent() == [("ann", "advance moved to the customer's account")]
    with pytest.raises(InvariantViolation, match="AR-1: no advance to move"):
        crm.accounts.take_advance(FAY, "AR-1")  # nothing left: not moved twice

    (application,) = crm.accounts.apply(ANN, ACC)
    assert (application.receivable_id, application.amount) == ("AR-2", cny("300.00"))
    crm.accounts.confirm_application(FAY, ACC, application.id)
    assert _outstanding(world, "AR-2") == cny("300.00")
    # the customer's money is where it was: 1,300.00 received = 1,000.00 AR-1 + 300.00 AR-2
    assert q.get_account(FAY, ACC).balance().unapplied == cny("0.00")
