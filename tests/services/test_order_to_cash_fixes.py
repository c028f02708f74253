"""The fixes of issue 16 through the services, on memory and SQLite: a bank reference is one
transfer per customer, money waiting for confirmation is not dunned, reminder topics say what
they are, one notification per decision, and a price is never dated before the draft
unless a manager reprices with a reason (then it is an approval reason)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from crmcore.errors import ConfigError, InvariantViolation, PermissionDenied, ValidationError
from crmcore.orders import OrderStatus
from crmcore.pricing import PriceList, PriceListItem
from crmcore.receivables import DunningPolicy
from crmcore.serialization import from_dict
from crmcore.services import NotificationRoutes
from tests.services.helpers import (
    ANN,
    BOB,
    ENGINE,
    FAY,
    FIN,
    MIA,
    World,
    cny,
    memory_world,
)
from tests.services.order_helpers import draft_order, stored_order

ISSUED = date(2026, 3, 2)


def _open(world: World, customer: str = "zen", owner: str = "ann", amount: str = "500.00") -> str:
    """A net-30 receivable (zen has the default terms): due 1 April 2026."""
    actor = ANN if owner == "ann" else BOB
    r = world.crm.receivables.open(
        actor, customer=customer, owner_id=owner, amount=cny(amount), issue_date=ISSUED
    )
    return r.id


def test_a_bank_reference_is_recorded_once_per_customer(world: World) -> None:
    crm = world.crm
    first, second = _open(world), _open(world)
    other_customer = _open(world, customer="acme")
    paid = crm.receivables.record_payment(
        ANN, first, cny("500.00"), received_on=ISSUED, reference="CMB-0302-1"
    )
    world.sent()
    before = world.snapshot()
    with pytest.raises(
        InvariantViolation,
        match=rf"bank reference 'CMB-0302-1' of customer zen is already payment {paid.id} "
        rf"on receivable {first}",
    ):
        crm.receivables.record_payment(
            ANN, second, cny("500.00"), received_on=ISSUED, reference="CMB-0302-1"
        )
    assert world.snapshot() == before
    # the same reference on the same receivable is the same payment (idempotent)
    again = crm.receivables.record_payment(
        ANN, first, cny("500.00"), received_on=ISSUED, reference="CMB-0302-1"
    )
    assert again.id == paid.id
    # another customer's bank may use the same reference
    crm.receivables.record_payment(
        ANN, other_customer, cny("500.00"), received_on=ISSUED, reference="CMB-0302-1"
    )
    # once finance rejected it (not on the statement), the reference is free again
    crm.receivables.reject_payment(FAY, first, paid.id, "not on the statement")
    moved = crm.receivables.record_payment(
        ANN, second, cny("500.00"), received_on=ISSUED, reference="CMB-0302-1"
    )
    assert moved.id == f"{second}/P1"


def test_a_bank_reference_on_a_receivable_the_recorder_cannot_read_is_not_named(
    world: World,
) -> None:
    mine, bobs = _open(world), _open(world, owner="bob")
    world.crm.receivables.record_payment(
        BOB, bobs, cny("10.00"), received_on=ISSUED, reference="CMB-7"
    )
    with pytest.raises(InvariantViolation, match="already a payment on another receivable;"):
        world.crm.receivables.record_payment(
            ANN, mine, cny("10.00"), received_on=ISSUED, reference="CMB-7"
        )


def test_money_waiting_for_confirmation_is_not_dunned(world: World) -> None:
    crm = world.crm
    rid = _open(world)
    crm.receivables.record_payment(ANN, rid, cny("450.00"), received_on=date(2026, 4, 5))
    late = date(2026, 4, 8)
    (reminder,) = crm.queries.reminders_due(FAY, late)
    assert (reminder.name, reminder.outstanding, reminder.total_due) == (
        "first reminder",
        cny("50.00"),  # 500.00 less the 450.00 waiting for finance
        cny("50.00"),
    )
    crm.receivables.record_payment(ANN, rid, cny("50.00"), received_on=date(2026, 4, 6))
    assert crm.queries.reminders_due(FAY, late) == []
    strict = memory_world(
        dunning=attrs.evolve(DunningPolicy.standard(), pending_counts_as_paid=False)
    )
    other = _open(strict)
    strict.crm.receivables.record_payment(ANN, other, cny("500.00"), received_on=late)
    assert [r.outstanding for r in strict.crm.queries.reminders_due(FAY, late)] == [cny("500.00")]


def test_reminder_topics_say_what_they_are(world: World) -> None:
    crm, clock = world.crm, world.clock
    _open(world)  # due 1 April 2026
    world.sent()
    steps = [
        (date(2026, 3, 29), "installment due soon"),
        (date(2026, 4, 1), "installment due today"),
        (date(2026, 4, 8), "installment overdue, level 2"),
        (date(2026, 4, 16), "installment overdue, level 3"),
        (date(2026, 5, 1), "installment overdue, level 4"),
    ]
    for day, topic in steps:
        clock.advance(days=1)
        (sent,) = crm.receivables.send_reminders(FIN, day)
        assert world.sent() == [("ann", topic)], day
        assert crm.receivables.send_reminders(FIN, day) == []
    assert sent.name == "final notice"


def test_a_topic_names_only_fields_of_its_event() -> None:
    routes = from_dict(
        NotificationRoutes,
        {"InstallmentDueToday": {"topic": "{name}: {total_due}", "to": [{"owner": True}]}},
    )
    assert routes.routes["InstallmentDueToday"].topic == "{name}: {total_due}"
    for topic in ("{level.real}", "{level!r}", "{level:>3}", "{0}", "{nope}", "{unclosed"):
        with pytest.raises(ConfigError, match=r"InstallmentOverdue\.topic"):
            from_dict(
                NotificationRoutes,
                {"InstallmentOverdue": {"topic": topic, "to": [{"owner": True}]}},
            )


def test_one_rejection_notifies_the_owner_once(world: World) -> None:
    ids = draft_order(world)
    world.crm.orders.set_discount(ANN, ids["order"], _twenty_percent())
    world.crm.orders.price(ANN, ids["order"])
    world.crm.orders.submit(ANN, ids["order"])
    world.sent()
    world.crm.orders.reject(MIA, ids["order"], "too deep")
    assert world.sent() == [("ann", "request rejected")]


def _twenty_percent() -> object:
    from crmcore.money import Percent
    from crmcore.pricing import PercentOff

    return PercentOff(Percent(20))


#: The team's engine with last year's cheaper list (DRILL 80, SAW 180) beside the standard one.
OLD_LIST = PriceList(
    "2025",
    "CNY",
    [PriceListItem("DRILL", "80"), PriceListItem("SAW", "180")],
    valid_from=date(2025, 1, 1),
    valid_to=date(2025, 12, 31),
    priority=1,
)


@pytest.fixture
def old_prices(world: World) -> World:
    """The team's world (on each backend) with last year's price list too."""
    engine = attrs.evolve(ENGINE, price_lists=(*ENGINE.price_lists, OLD_LIST))
    return World(world.storage, pricing=engine)


def test_a_price_before_the_draft_date_needs_a_manager_a_reason_and_an_approval(
    old_prices: World,
) -> None:
    world = old_prices
    crm = world.crm
    ids = draft_order(world)  # 3 drills and 2 saws, drafted on 2 March 2026
    world.sent()
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match="before the draft date 2026-03-02"):
        crm.orders.price(ANN, ids["order"], on=date(2025, 6, 1))
    with pytest.raises(PermissionDenied, match=r"may not order\.reprice"):
        crm.orders.reprice(ANN, ids["order"], date(2025, 6, 1), "old deal")
    with pytest.raises(ValidationError, match="needs a reason"):
        crm.orders.reprice(MIA, ids["order"], date(2025, 6, 1), " ")
    assert world.snapshot() == before

    priced = crm.orders.reprice(MIA, ids["order"], date(2025, 6, 1), "agreed at the 2025 fair")

    # 3 × 80 + 2 × 180 = 600.00 net, 13 % tax 78.00, 678.00 in all (list price: 791.00)
    assert (priced.net_total, priced.grand_total) == (cny("600.00"), cny("678.00"))
    (reason,) = priced.approval_reasons
    assert (reason.kind, reason.limit, reason.actual) == (
        "backdated_price",
        date(2026, 3, 2),
        date(2025, 6, 1),
    )
    assert reason.message == (
        "priced as of 2025-06-01, before the draft date 2026-03-02 by mia: agreed at the 2025 fair"
    )
    result = crm.orders.submit(ANN, ids["order"])
    assert result.status is OrderStatus.PENDING_APPROVAL
    assert world.sent() == [("mia", "approval waiting for you")]
    stored = stored_order(world, ids["order"])
    assert stored.approval_reasons == (reason,)  # the dates survive the adapter


def test_pricing_on_the_draft_date_or_later_is_anyones(old_prices: World) -> None:
    ids = draft_order(old_prices)
    priced = old_prices.crm.orders.price(ANN, ids["order"], on=date(2026, 3, 2))
    assert (priced.grand_total, priced.approval_reasons) == (cny("791.00"), ())
    assert old_prices.crm.orders.submit(ANN, ids["order"]).status is OrderStatus.CONFIRMED
