"""Payment corrections through the services, on memory and SQLite: a bounced transfer is
reversed, a bank fee is written off within the role's limit, and finance's exceptions list —
with the notifications each step sends (hand-checked figures)."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from crmcore.receivables import (
    DueRule,
    EarlyDiscount,
    ExceptionKind,
    PaymentState,
    PaymentTerms,
    Portion,
    TermLine,
)
from crmcore.services import TermsBook
from tests.services.helpers import ANN, FAY, FIN, MIA, World, cny
from tests.services.order_helpers import confirmed_order

ISSUED = date(2026, 3, 2)  # the world's clock starts on Monday 2 March 2026, 09:00 UTC


def _open(world: World, amount: str = "1000.00") -> str:
    """Zen's receivable on net 30: one installment due 1 April 2026."""
    r = world.crm.receivables.open(
        ANN, customer="zen", owner_id="ann", amount=cny(amount), issue_date=ISSUED
    )
    world.sent()
    return r.id


def test_a_bounced_transfer_is_reversed_and_the_owner_told(world: World) -> None:
    crm, clock = world.crm, world.clock
    rid = _open(world)
    before = crm.queries.get_receivable(FAY, rid).balance(date(2026, 4, 15))
    paid = crm.receivables.record_payment(
        ANN, rid, cny("1000.00"), received_on=ISSUED, reference="BANK-1"
    )
    assert world.sent() == [
        ("fay", "payment awaiting confirmation"),
        ("fin", "payment awaiting confirmation"),
    ]
    crm.receivables.confirm_payment(FAY, rid, paid.id)
    assert world.sent() == [("ann", "payment confirmed"), ("mia", "payment confirmed")]
    assert crm.queries.payment_view(ANN, rid).outstanding == cny("0.00")

    clock.advance(days=3)
    reversed_ = crm.receivables.reverse_payment(FIN, rid, paid.id, "returned by the bank: R01")

    assert (reversed_.state, reversed_.reversed_by) == (PaymentState.REVERSED, "fin")
    assert world.sent() == [("ann", "payment reversed"), ("mia", "payment reversed")]
    view = crm.queries.payment_view(ANN, rid)
    assert (view.received, view.outstanding, view.next_amount_due) == (
        cny("0.00"),
        cny("1000.00"),
        cny("1000.00"),
    )
    assert crm.queries.get_receivable(FAY, rid).balance(date(2026, 4, 15)) == before
    (row,) = crm.queries.payment_exceptions(FAY)
    assert (row.kind, row.payment_id, row.amount, row.on, row.detail) == (
        ExceptionKind.REVERSED,
        paid.id,
        cny("1000.00"),
        date(2026, 3, 5),
        "returned by the bank: R01",
    )
    with pytest.raises(InvalidTransition):
        crm.receivables.reverse_payment(FAY, rid, paid.id, "again")
    assert world.sent() == []


def test_a_bank_fee_is_written_off_within_the_limit_and_above_it_by_a_manager(
    world: World,
) -> None:
    crm, clock = world.crm, world.clock
    rid = _open(world)
    short = crm.receivables.record_payment(ANN, rid, cny("940.00"), received_on=ISSUED)
    crm.receivables.confirm_payment(FAY, rid, short.id)
    world.sent()
    assert crm.queries.payment_exceptions(FIN, kinds=["short"]) == []  # not due yet
    (row,) = crm.queries.payment_exceptions(FIN, as_of=date(2026, 4, 1), kinds=["short"])
    assert (row.kind, row.installment, row.amount) == (ExceptionKind.SHORT, 1, cny("60.00"))

    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"finance up to 50\.00 CNY; 60\.00 CNY"):
        crm.receivables.write_off(FAY, rid, cny("60.00"), "bank_fee")
    with pytest.raises(PermissionDenied, match=r"payment\.write_off"):
        crm.receivables.write_off(ANN, rid, cny("1.00"), "bank_fee")
    with pytest.raises(ValidationError, match="no write-off reason 'fee'"):
        crm.receivables.write_off(FAY, rid, cny("1.00"), "fee")
    with pytest.raises(NotFound):
        crm.receivables.write_off(FAY, "AR-none", cny("1.00"), "bank_fee")
    assert world.snapshot() == before

    clock.advance(hours=1)
    first = crm.receivables.write_off(FAY, rid, cny("45.00"), "bank_fee", note="SWIFT charges")
    assert world.sent() == [("ann", "amount written off")]
    second = crm.receivables.write_off(MIA, rid, cny("15.00"), "small_difference")
    assert world.sent() == [("ann", "amount written off")]
    assert (first.id, second.id) == (f"{rid}/W1", f"{rid}/W2")

    b = crm.queries.get_receivable(FAY, rid).balance(clock.now().date())
    assert (b.net_amount, b.received, b.written_off, b.outstanding, b.status.value) == (
        cny("1000.00"),
        cny("940.00"),
        cny("60.00"),
        cny("0.00"),
        "paid",
    )
    assert crm.queries.payment_exceptions(FAY) == []


def test_the_exceptions_list_follows_the_confirmation_roles(world: World) -> None:
    rid = _open(world)
    late = world.crm.receivables.record_payment(
        ANN, rid, cny("1000.00"), received_on=date(2026, 4, 3)
    )
    world.crm.receivables.confirm_payment(FAY, rid, late.id)
    with pytest.raises(PermissionDenied, match=r"payment\.exceptions"):
        world.crm.queries.payment_exceptions(ANN)
    with pytest.raises(PermissionDenied):
        world.crm.queries.payment_exceptions(MIA)
    (row,) = world.crm.queries.payment_exceptions(FIN, as_of=date(2026, 4, 30))
    assert (row.kind, row.days_late, row.amount) == (ExceptionKind.LATE, 2, cny("1000.00"))
    with pytest.raises(ValidationError, match="no payment exception kind"):
        world.crm.queries.payment_exceptions(FIN, kinds=["odd"])


TWO_TEN = PaymentTerms(
    "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
)


@pytest.fixture
def discounting(world: World) -> World:
    """The team's world (on each backend) where Acme buys on 2/10 net 30."""
    return World(world.storage, terms=TermsBook(by_customer={"acme": TWO_TEN}))


def test_an_early_payment_is_discounted_on_confirmation_and_the_money_view_agrees(
    discounting: World,
) -> None:
    world = discounting
    crm, clock = world.crm, world.clock
    ids = confirmed_order(world)  # 791.00: 2 % off = 15.82 until 12 March 2026
    world.sent()
    clock.advance(days=7)
    paid = crm.receivables.record_payment(
        ANN, ids["rec"], cny("775.18"), received_on=clock.now().date(), reference="BANK-9"
    )
    assert world.sent() == [
        ("fay", "payment awaiting confirmation"),
        ("fin", "payment awaiting confirmation"),
    ]
    crm.receivables.confirm_payment(FAY, ids["rec"], paid.id)
    assert world.sent() == [("ann", "payment confirmed"), ("mia", "payment confirmed")]

    view = crm.queries.order_money_view(ANN, ids["order"])
    assert view.payments is not None
    assert (view.grand_total, view.returned, view.discounted, view.written_off) == (
        cny("791.00"),
        cny("0.00"),
        cny("15.82"),
        cny("0.00"),
    )
    assert view.grand_total - view.returned - view.discounted == view.payments.amount
    assert (view.payments.amount, view.payments.received, view.payments.outstanding) == (
        cny("775.18"),
        cny("775.18"),
        cny("0.00"),
    )
    (discount,) = crm.queries.get_receivable(FAY, ids["rec"]).discounts
    assert (discount.amount, discount.payment_ids, discount.granted_by) == (
        cny("15.82"),
        (paid.id,),
        "fay",
    )

    clock.advance(days=1)
    crm.receivables.reverse_payment(FIN, ids["rec"], paid.id, "bounced")
    assert world.sent() == [("ann", "payment reversed"), ("mia", "payment reversed")]
    view = crm.queries.order_money_view(ANN, ids["order"])
    assert view.payments is not None
    assert (view.discounted, view.payments.outstanding) == (cny("0.00"), cny("791.00"))


def test_a_late_payment_through_the_services_is_not_discounted(discounting: World) -> None:
    world = discounting
    crm, clock = world.crm, world.clock
    ids = confirmed_order(world)
    clock.advance(days=11)
    paid = crm.receivables.record_payment(
        ANN, ids["rec"], cny("775.18"), received_on=clock.now().date()
    )
    crm.receivables.confirm_payment(FIN, ids["rec"], paid.id)
    view = crm.queries.order_money_view(FAY, ids["order"])
    assert view.payments is not None
    assert (view.discounted, view.payments.outstanding) == (cny("0.00"), cny("15.82"))
    (short,) = crm.queries.payment_exceptions(FAY, as_of=date(2026, 4, 1), kinds=["short"])
    assert short.amount == cny("15.82")
