"""Issue 13, tried as an attacker would: each scenario of its first list, refused now.

Forged and inactive actors, colleagues reaching into each other's records, role names that
disagree, skipped stage gates, orders confirmed without approval, and a notifier failing
after the commit.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from crmcore.errors import ConfigError, InvalidTransition, PermissionDenied
from crmcore.forecast import Opportunity, SalesProcess
from crmcore.money import Percent
from crmcore.orders import OrderStatus
from crmcore.ports import Actor, DirectoryUser, Notification
from crmcore.pricing import PercentOff
from crmcore.receivables import Receivable
from crmcore.serialization import from_dict
from crmcore.services import AccessPolicy
from crmcore.workflow import ApprovalInstance, ProcessRegistry
from tests.services.helpers import (
    ANN,
    BIG_DEAL,
    BOB,
    FAY,
    MIA,
    SID,
    World,
    cny,
    memory_world,
)
from tests.services.order_helpers import (
    confirmed_order,
    draft_order,
    paid_order,
    priced_order,
    received_order,
    stored_order,
)


def _receivable(world: World, receivable_id: str) -> Receivable:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Receivable).get(receivable_id)


# -- 1. the Actor's roles come from the Directory, not from the caller ----------------------


def test_a_user_the_directory_never_heard_of_is_refused_whatever_roles_they_claim() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    payment = world.crm.receivables.record_payment(
        ANN, ids["rec"], cny("100.00"), received_on=date(2026, 3, 2)
    )
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match="ghost: unknown user"):
        world.crm.receivables.confirm_payment(Actor("ghost", {"finance"}), ids["rec"], payment.id)
    assert world.snapshot() == before


def test_an_inactive_user_is_refused() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    world.directory.put(DirectoryUser("fay", roles={"finance"}, active=False))
    payment = world.crm.receivables.record_payment(
        ANN, ids["rec"], cny("100.00"), received_on=date(2026, 3, 2)
    )
    with pytest.raises(PermissionDenied, match="fay: inactive in the directory"):
        world.crm.receivables.confirm_payment(FAY, ids["rec"], payment.id)


def test_roles_the_directory_does_not_give_are_never_used() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    paid = world.crm.receivables.record_payment(
        ANN, ids["rec"], cny("100.00"), received_on=date(2026, 3, 2)
    )
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"bob \(sales\) may not payment.confirm"):
        world.crm.receivables.confirm_payment(
            Actor("bob", {"sales", "finance"}), ids["rec"], paid.id
        )
    draft = draft_order(world)
    with pytest.raises(PermissionDenied, match=r"bob \(no roles\) may not order.draft"):
        world.crm.orders.set_discount(
            Actor("bob", {"admin"}), draft["order"], PercentOff(Percent(50))
        )
    assert world.snapshot()["rows"]["receivable"] == before["rows"]["receivable"]


def test_a_plain_user_id_acts_with_the_directorys_roles() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    paid = world.crm.receivables.record_payment(
        "ann", ids["rec"], cny("100.00"), received_on=date(2026, 3, 2)
    )
    assert world.crm.receivables.confirm_payment("fay", ids["rec"], paid.id).decided_by == "fay"


# -- 2. one record-access rule for every use case and query ---------------------------------


def test_a_colleague_cannot_touch_anothers_received_order_or_its_receivable() -> None:
    world = memory_world()
    ids = received_order(world)
    before = world.snapshot()
    attempts: list[Any] = [
        lambda: world.crm.orders.record_return(BOB, ids["order"], {0: 3}, "damaged"),
        lambda: world.crm.orders.complete(BOB, ids["order"]),
        lambda: world.crm.orders.reorder(BOB, ids["order"]),
        lambda: world.crm.receivables.request_refund(BOB, ids["rec"], cny("1.00"), "why not"),
        lambda: world.crm.receivables.request_invoice(
            BOB, ids["rec"], cny("100.00"), title="Acme", tax_id="9131", address="Shanghai"
        ),
        lambda: world.crm.queries.order_money_view(BOB, ids["order"]),
        lambda: world.crm.queries.payment_view(BOB, ids["rec"]),
        lambda: world.crm.queries.invoice_view(BOB, ids["rec"]),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="it belongs to ann"):
            attempt()
    assert world.snapshot() == before


def test_creating_a_record_for_someone_else_is_a_write_on_their_behalf() -> None:
    world = memory_world()
    with pytest.raises(PermissionDenied, match=r"bob may not write order .*belongs to ann"):
        world.crm.orders.draft(BOB, customer="acme", currency="CNY", owner_id="ann")
    with pytest.raises(PermissionDenied, match="bob may not write receivable"):
        world.crm.receivables.open(
            BOB, customer="acme", owner_id="ann", amount=cny("10.00"), issue_date=date(2026, 3, 2)
        )
    with pytest.raises(PermissionDenied, match="bob may not write opportunity"):
        world.crm.opportunities.create(BOB, cny("10.00"), owner_id="ann", fields={"budget": "1"})
    assert world.storage.undelivered() == []
    # the owner's manager may
    order = world.crm.orders.draft(MIA, customer="acme", currency="CNY", owner_id="ann")
    assert (order.owner_id, order.department) == ("ann", "east")


def test_the_return_note_names_who_recorded_it_not_the_owner() -> None:
    world = memory_world()
    ids = received_order(world)
    note = world.crm.orders.record_return(SID, ids["order"], {0: 1}, "damaged")
    assert note.recorded_by == "sid"
    (returned,) = _receivable(world, ids["rec"]).returns
    assert returned.recorded_by == "sid"
    assert str(returned.amount) == "113.00 CNY"


def test_the_owners_manager_and_finance_read_the_order_money_view() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    for reader in (ANN, MIA, FAY):
        view = world.crm.queries.order_money_view(reader, ids["order"])
        assert view.payments is not None
        assert str(view.payments.outstanding) == "791.00 CNY"


# -- 3. one role vocabulary -------------------------------------------------------------------


def test_a_warehouse_role_configured_once_ships_end_to_end() -> None:
    access = AccessPolicy.with_overrides(
        {"order.ship": ["warehouse"], "order.confirm_receipt": ["warehouse"]}
    )
    world = memory_world(access=access)
    world.directory.put(DirectoryUser("wes", roles={"warehouse"}))
    ids = confirmed_order(world)
    with pytest.raises(PermissionDenied):
        world.crm.orders.ship(SID, ids["order"])
    shipment = world.crm.orders.ship("wes", ids["order"])
    assert shipment.shipped_by == "wes"
    assert world.crm.orders.confirm_receipt("wes", ids["order"]).status is OrderStatus.RECEIVED
    assert [t.order_id for t in world.crm.queries.orders_awaiting_shipment("wes")] == []


def test_a_manager_submits_their_reports_order() -> None:
    world = memory_world()
    ids = priced_order(world)
    result = world.crm.orders.submit(MIA, ids["order"])
    assert result.status is OrderStatus.CONFIRMED
    assert stored_order(world, ids["order"]).submitted_by == "mia"


# -- 4. gates hold on every path ---------------------------------------------------------------

SIGNED = from_dict(
    SalesProcess,
    {
        "id": "b2b",
        "stages": [
            {"name": "qualify", "probability": "10", "required_fields": ["budget"]},
            {"name": "proposal", "probability": "50"},
            {
                "name": "contract",
                "probability": "90",
                "approval_process_id": "big-deal",
                "required_fields": ["signatory"],
            },
            {"name": "signed", "probability": "95"},
        ],
    },
)


def _deal(world: World) -> Opportunity:
    return world.crm.opportunities.create(
        ANN, cny("900000"), stage="qualify", fields={"budget": "900k"}
    )


def test_a_deal_cannot_be_created_in_a_gated_stage() -> None:
    world = memory_world(sales_process=SIGNED)
    with pytest.raises(InvalidTransition, match="stage 'contract' needs approval"):
        world.crm.opportunities.create(
            ANN, cny("900000"), stage="signed", fields={"budget": "1", "signatory": "x"}
        )
    assert world.storage.undelivered() == []


def test_advancing_past_a_gate_is_refused() -> None:
    world = memory_world(sales_process=SIGNED)
    deal = _deal(world)
    with pytest.raises(InvalidTransition, match="stage 'contract' needs approval"):
        world.crm.opportunities.advance(ANN, deal.id, "signed", {"signatory": "Mr Li"})


def test_winning_from_before_the_gate_is_refused() -> None:
    world = memory_world(sales_process=SIGNED)
    deal = _deal(world)
    world.crm.opportunities.advance(ANN, deal.id, "proposal")
    with pytest.raises(InvalidTransition, match="required fields are not filled"):
        world.crm.opportunities.win(ANN, deal.id)
    with pytest.raises(InvalidTransition, match="stage 'contract' needs approval"):
        world.crm.opportunities.win(ANN, deal.id, {"signatory": "Mr Li"})


def test_reopening_past_the_gate_needs_the_approval_again() -> None:
    world = memory_world(sales_process=SIGNED)
    deal = _deal(world)
    result = world.crm.opportunities.advance(ANN, deal.id, "contract", {"signatory": "Mr Li"})
    world.crm.approvals.approve(MIA, str(result.approval_id))
    world.crm.opportunities.advance(ANN, deal.id, "signed")
    world.crm.opportunities.advance(ANN, deal.id, "proposal")  # back before the gate
    with pytest.raises(InvalidTransition, match="stage 'contract' needs approval"):
        world.crm.opportunities.advance(ANN, deal.id, "signed")
    with pytest.raises(InvalidTransition, match="stage 'contract' needs approval"):
        world.crm.opportunities.win(ANN, deal.id)


def test_a_gated_deal_wins_once_approved_and_filled() -> None:
    world = memory_world(sales_process=SIGNED)
    deal = _deal(world)
    result = world.crm.opportunities.advance(ANN, deal.id, "contract", {"signatory": "Mr Li"})
    world.crm.approvals.approve(MIA, str(result.approval_id))
    assert world.crm.opportunities.win(ANN, deal.id).status.name == "WON"


def test_an_order_with_approval_reasons_is_never_confirmed_without_approval() -> None:
    registry = ProcessRegistry()
    registry.publish(BIG_DEAL)
    world = memory_world(approvals=registry)
    ids = draft_order(world)
    world.crm.orders.set_discount(ANN, ids["order"], PercentOff(Percent(40)))
    world.crm.orders.price(ANN, ids["order"])
    before = world.snapshot()
    with pytest.raises(ConfigError, match=r"approval reasons .*configure an approval process"):
        world.crm.orders.submit(ANN, ids["order"])
    assert world.snapshot() == before
    assert stored_order(world, ids["order"]).status is OrderStatus.DRAFT


# -- 5. committed means committed --------------------------------------------------------------


class FlakyNotifier:
    """A notifier whose channel is down until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        if not self.up:
            raise ConnectionError("mail server unreachable")
        self.sent.append(notification)


def test_a_notifier_failure_after_the_commit_does_not_undo_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = memory_world()
    ids = confirmed_order(world)
    flaky = FlakyNotifier()
    world.crm.notifier = flaky
    with caplog.at_level(logging.WARNING, logger="crmcore.services"):
        payment = world.crm.receivables.record_payment(
            ANN, ids["rec"], cny("100.00"), received_on=date(2026, 3, 2), reference="B-1"
        )
    assert payment.id == f"{ids['rec']}/P1"
    assert "mail server unreachable" in caplog.text
    waiting = world.crm.queries.undelivered("dan")
    assert [stored.event.event_name for stored in waiting] == ["ReceivablePaymentRecorded"]
    # the retry of the committed call returns the first result, it does not record twice
    again = world.crm.receivables.record_payment(
        ANN, ids["rec"], cny("100.00"), received_on=date(2026, 3, 2), reference="B-1"
    )
    assert again.id == payment.id
    assert len(_receivable(world, ids["rec"]).payments) == 1
    flaky.up = True
    assert world.crm.deliver() == 2
    assert [n.recipient_id for n in flaky.sent] == ["fay", "fin"]
    assert world.crm.queries.undelivered("dan") == []


def test_refund_and_invoice_requests_take_an_idempotency_key() -> None:
    world = memory_world()
    ids = paid_order(world)
    crm = world.crm
    first = crm.receivables.request_refund(
        ANN, ids["rec"], cny("10.00"), "goodwill", idempotency_key="R-1"
    )
    again = crm.receivables.request_refund(
        ANN, ids["rec"], cny("10.00"), "goodwill", idempotency_key="R-1"
    )
    assert again == first
    assert len(_receivable(world, ids["rec"]).refunds) == 1
    with pytest.raises(Exception, match="idempotency key 'R-1' was used for another request"):
        crm.receivables.request_refund(
            ANN, ids["rec"], cny("20.00"), "goodwill", idempotency_key="R-1"
        )


def test_an_invoice_request_retried_with_its_key_is_requested_once() -> None:
    world = memory_world()
    ids = received_order(world)
    crm = world.crm
    asks = [
        crm.receivables.request_invoice(
            ANN,
            ids["rec"],
            cny("100.00"),
            title="Acme",
            tax_id="9131",
            address="Shanghai",
            idempotency_key="INV-7",
        )
        for _ in range(2)
    ]
    assert asks[0] == asks[1]
    assert [str(i.amount) for i in _receivable(world, ids["rec"]).invoices] == ["100.00 CNY"]


def test_a_manager_cancelling_a_pending_order_is_named_not_the_submitter() -> None:
    world = memory_world()
    ids = draft_order(world)
    world.crm.orders.set_discount(ANN, ids["order"], PercentOff(Percent(20)))
    world.crm.orders.price(ANN, ids["order"])
    approval_id = str(world.crm.orders.submit(ANN, ids["order"]).approval_id)
    world.crm.orders.cancel(MIA, ids["order"], "customer went elsewhere")
    with world.storage.unit_of_work() as uow:
        instance = uow.repository(ApprovalInstance).get(approval_id)
    last = instance.history[-1]
    assert (last.actor_id, last.action) == ("mia", "request withdrawn")
    assert stored_order(world, ids["order"]).status is OrderStatus.CANCELLED


def test_a_managers_cancellation_of_a_confirmed_order_is_recorded_as_theirs() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    world.crm.orders.cancel(MIA, ids["order"], "customer went elsewhere")
    (returned,) = _receivable(world, ids["rec"]).returns
    assert (returned.recorded_by, str(returned.amount)) == ("mia", "791.00 CNY")


def test_the_access_policy_docstring_example_works_end_to_end() -> None:
    """``AccessPolicy.with_overrides({"order.ship": ["warehouse"]})`` alone: the warehouse
    ships (the order agrees), the shipping clerk no longer may, and still confirms receipt."""
    world = memory_world(access=AccessPolicy.with_overrides({"order.ship": ["warehouse"]}))
    world.directory.put(DirectoryUser("wes", roles={"warehouse"}))
    ids = confirmed_order(world)
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"sid \(shipping\) may not order.ship"):
        world.crm.orders.ship(SID, ids["order"])
    assert world.snapshot() == before
    assert [t.order_id for t in world.crm.queries.orders_awaiting_shipment("wes")] == [
        ids["order"]
    ]
    assert world.crm.orders.ship("wes", ids["order"]).shipped_by == "wes"
    assert world.crm.orders.confirm_receipt(SID, ids["order"]).status is OrderStatus.RECEIVED
