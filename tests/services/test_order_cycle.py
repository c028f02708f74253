"""Orders through the services: the full order-to-cash cycle with the notifications each step
sends (on both adapters), approvals, credit checks, cancellation, returns and reorders."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Percent
from crmcore.orders import OrderStatus
from crmcore.ports import Actor, DirectoryUser
from crmcore.pricing import LineRequest, PercentOff
from crmcore.receivables import CreditPolicy, Receivable
from crmcore.serialization import from_dict
from crmcore.services import CrmConfig
from crmcore.workflow import ApprovalInstance, ApprovalStatus, ProcessRegistry
from tests.services.helpers import (
    ANN,
    BACKENDS,
    BOB,
    DAN,
    FAY,
    MIA,
    SID,
    World,
    cny,
    memory_world,
    world_on,
)
from tests.services.order_helpers import (
    confirmed_order,
    draft_order,
    paid_order,
    pending_order,
    priced_order,
    received_order,
    shipped_order,
    stored_order,
)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with world_on(request.param, tmp_path) as made:
        yield made


def test_full_cycle_from_draft_to_completed_with_each_steps_notifications(world: World) -> None:
    crm, clock = world.crm, world.clock
    order_id = crm.orders.draft(
        ANN,
        customer="acme",
        currency="CNY",
        lines=[LineRequest("DRILL", 3), LineRequest("SAW", 2)],
    ).id
    crm.orders.set_discount(ANN, order_id, PercentOff(Percent(20)))
    priced = crm.orders.price(ANN, order_id)
    # 700.00 list, 20 % off = 560.00 net, 13 % tax 72.80: 632.80, beyond sales' authority.
    assert str(priced.grand_total) == "632.80 CNY"
    assert world.sent() == []
    submitted = crm.orders.submit(ANN, order_id)
    assert submitted.status is OrderStatus.PENDING_APPROVAL
    assert world.sent() == [("mia", "approval waiting for you")]
    # Ann may not approve her own order; nothing changes, nothing is sent.
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"ann \(sales\) may not order\.approve"):
        crm.orders.approve(ANN, order_id)
    assert world.snapshot() == before
    clock.advance(hours=2)
    crm.orders.approve(MIA, order_id, "ok for acme")
    assert world.sent() == [("ann", "request approved"), ("sid", "order awaiting shipment")]
    assert [t.order_id for t in crm.queries.orders_awaiting_shipment(SID)] == [order_id]
    assert crm.queries.orders_awaiting_shipment(ANN) == []
    shipment = crm.orders.ship(SID, order_id, {0: 3})
    assert shipment.id == f"{order_id}/S1"
    todo = crm.queries.orders_awaiting_shipment(SID)
    assert [(t.order_id, t.remaining) for t in todo] == [(order_id, ((1, "SAW", Decimal(2)),))]
    crm.orders.ship(SID, order_id)
    assert crm.queries.orders_awaiting_shipment(SID) == []
    clock.advance(days=3)
    crm.orders.confirm_receipt(SID, order_id)
    assert world.sent() == []
    view = crm.queries.order_money_view(ANN, order_id)
    assert view.payments is not None
    assert view.invoices is not None
    rec = view.payments.receivable_id
    # Acme pays half now, half in 30 days: 316.40 each, counted from the approval.
    assert (str(view.payments.outstanding), str(view.payments.next_amount_due)) == (
        "632.80 CNY",
        "316.40 CNY",
    )
    paid = crm.receivables.record_payment(ANN, rec, cny("632.80"), received_on=clock.now().date())
    assert world.sent() == [
        ("fay", "payment awaiting confirmation"),
        ("fin", "payment awaiting confirmation"),
    ]
    crm.receivables.confirm_payment(FAY, rec, paid.id)
    assert world.sent() == [("ann", "payment confirmed"), ("mia", "payment confirmed")]
    with pytest.raises(InvalidTransition, match=r"not yet invoiced 632\.80 CNY"):
        crm.orders.complete(ANN, order_id)
    invoice = crm.receivables.request_invoice(
        ANN, rec, cny("632.80"), title="Acme", tax_id="9131", address="Shanghai"
    )
    assert world.sent() == [("fay", "invoice awaiting issue"), ("fin", "invoice awaiting issue")]
    crm.receivables.issue_invoice(FAY, rec, invoice.id, "No. 1")
    assert world.sent() == [("ann", "invoice issued")]
    crm.orders.complete(ANN, order_id)
    assert world.sent() == []
    final = crm.queries.order_money_view(FAY, order_id)
    assert final.status == "completed"
    assert final.payments is not None
    assert final.invoices is not None
    assert str(final.payments.received) == "632.80 CNY"
    assert str(final.invoices.not_yet_invoiced) == "0.00 CNY"


def test_an_order_within_the_rules_is_confirmed_at_once_and_opens_its_receivable(
    world: World,
) -> None:
    ids = priced_order(world)
    result = world.crm.orders.submit(ANN, ids["order"])
    assert (result.status, result.approval_id) == (OrderStatus.CONFIRMED, None)
    assert world.sent() == [("sid", "order awaiting shipment")]
    with world.storage.unit_of_work() as uow:
        receivable = uow.repository(Receivable).get(f"AR-{ids['order']}")
    assert (receivable.owner_id, str(receivable.amount)) == ("ann", "791.00 CNY")
    assert [str(i.amount) for i in receivable.installments] == ["395.50 CNY", "395.50 CNY"]


def test_a_rejected_order_returns_to_draft_and_is_resubmitted(world: World) -> None:
    crm = world.crm
    ids = pending_order(world)
    world.sent()
    crm.orders.reject(MIA, ids["order"], "20 % is too much")
    assert world.sent() == [("ann", "request rejected")]  # one notification per decision
    order = stored_order(world, ids["order"])
    assert (order.status, order.rejection_reason) == (OrderStatus.DRAFT, "20 % is too much")
    crm.orders.set_discount(ANN, ids["order"], PercentOff(Percent(5)))
    crm.orders.price(ANN, ids["order"])
    assert crm.orders.submit(ANN, ids["order"]).status is OrderStatus.CONFIRMED


def test_withdraw_and_delegate_go_through_the_generic_approvals(world: World) -> None:
    crm = world.crm
    ids = pending_order(world)
    world.sent()
    crm.orders.delegate(MIA, ids["order"], "dan")
    assert world.sent() == [("dan", "approval delegated to you")]
    with pytest.raises(PermissionDenied, match="only the submitter"):
        crm.orders.withdraw(BOB, ids["order"])
    crm.orders.withdraw(ANN, ids["order"], "wrong customer")
    assert stored_order(world, ids["order"]).status is OrderStatus.DRAFT
    with pytest.raises(NotFound, match="no approval request is waiting"):
        crm.orders.approve(DAN, ids["order"])


def test_cancel_a_pending_order_drops_its_approval_request(world: World) -> None:
    ids = pending_order(world)
    approval = world.crm.orders.approval_id(ANN, ids["order"])
    world.crm.orders.cancel(MIA, ids["order"], "customer went elsewhere")
    assert stored_order(world, ids["order"]).status is OrderStatus.CANCELLED
    assert world.crm.queries.approvals_waiting_for(MIA) == []
    with world.storage.unit_of_work() as uow:
        assert uow.repository(ApprovalInstance).get(approval).status is ApprovalStatus.WITHDRAWN


def test_cancel_a_confirmed_order_returns_its_whole_receivable(world: World) -> None:
    ids = confirmed_order(world)
    world.crm.orders.cancel(ANN, ids["order"], "customer went elsewhere")
    view = world.crm.queries.payment_view(FAY, ids["rec"])
    assert (str(view.amount), str(view.outstanding)) == ("0.00 CNY", "0.00 CNY")
    assert world.crm.queries.orders_awaiting_shipment(SID) == []


def test_cancel_is_refused_once_money_is_recorded_and_nothing_changes(world: World) -> None:
    ids = confirmed_order(world)
    world.crm.receivables.record_payment(
        ANN, ids["rec"], cny("791.00"), received_on=world.clock.now().date()
    )
    world.sent()
    before = world.snapshot()
    with pytest.raises(InvariantViolation, match="record a refund first"):
        world.crm.orders.cancel(ANN, ids["order"], "changed mind")
    assert world.snapshot() == before


def test_cancel_after_shipment_is_refused(world: World) -> None:
    ids = shipped_order(world)
    with pytest.raises(InvalidTransition):
        world.crm.orders.cancel(ANN, ids["order"], "too late")


def test_a_return_note_lowers_the_receivable(world: World) -> None:
    ids = received_order(world)
    note = world.crm.orders.record_return(ANN, ids["order"], {1: 1}, "damaged saw")
    # one saw of two: 200.00 + 13 % = 226.00
    assert str(note.amount) == "226.00 CNY"
    view = world.crm.queries.order_money_view(ANN, ids["order"])
    assert view.payments is not None
    assert (str(view.returned), str(view.payments.amount)) == ("226.00 CNY", "565.00 CNY")


def test_reorder_makes_a_new_draft_for_the_actor(world: World) -> None:
    ids = received_order(world)
    again = world.crm.orders.reorder(ANN, ids["order"])
    assert (again.status, again.owner_id, again.source_order_id) == (
        OrderStatus.DRAFT,
        "ann",
        ids["order"],
    )
    assert [line.sku for line in again.lines] == ["DRILL", "SAW"]
    assert again.department == "east"
    # the owner's manager may read the order, so may reorder it: the new draft is theirs
    theirs = world.crm.orders.reorder(MIA, ids["order"])
    assert (theirs.owner_id, theirs.department) == ("mia", "east")
    # a colleague may not read another's order, so may not reorder it
    with pytest.raises(PermissionDenied, match="bob may not read order"):
        world.crm.orders.reorder(BOB, ids["order"])


def test_only_the_shipping_role_ships(world: World) -> None:
    ids = confirmed_order(world)
    world.directory.put(DirectoryUser("ann", roles={"shipping", "sales"}, manager_id="mia"))
    clerk_in_sales = Actor("ann", {"shipping", "sales"})
    world.crm.orders.ship(clerk_in_sales, ids["order"], {0: 1})
    with pytest.raises(PermissionDenied, match=r"order\.ship"):
        world.crm.orders.ship(Actor("ann", {"sales"}), ids["order"])


def test_edits_make_the_price_stale(world: World) -> None:
    crm = world.crm
    ids = priced_order(world)
    crm.orders.add_line(ANN, ids["order"], LineRequest("DRILL", 1))
    with pytest.raises(InvalidTransition, match="price it again"):
        crm.orders.submit(ANN, ids["order"])
    crm.orders.replace_line(ANN, ids["order"], 2, LineRequest("DRILL", 2))
    order = crm.orders.remove_line(ANN, ids["order"], 2)
    assert len(order.lines) == 2
    edited = crm.orders.edit(
        ANN, ids["order"], lambda o, c: o.set_codes(ANN, ["SPRING"], at=c.at) or o.codes
    )
    assert edited == frozenset({"SPRING"})


def test_credit_block_refuses_submission_and_changes_nothing(world: World) -> None:
    crm = world.crm
    crm.config = _with(crm.config, credit_policy=_credit("blocked"))
    ids = priced_order(world)
    before = world.snapshot()
    with pytest.raises(InvalidTransition, match="credit blocked for acme"):
        crm.orders.submit(ANN, ids["order"])
    assert world.snapshot() == before


def test_credit_over_limit_forces_approval_whatever_the_process_says(world: World) -> None:
    crm = world.crm
    crm.config = _with(crm.config, credit_policy=_credit("needs_approval"))
    ids = priced_order(world)
    result = crm.orders.submit(ANN, ids["order"])
    assert result.status is OrderStatus.PENDING_APPROVAL
    assert result.credit is not None
    assert result.credit.decision.value == "needs_approval"


def test_credit_within_limit_counts_pending_orders_in_the_exposure(world: World) -> None:
    crm = world.crm
    crm.config = _with(
        crm.config, credit_policy=from_dict(CreditPolicy, {"limits": {"acme": _cny("2000")}})
    )
    pending_order(world)  # 632.80 waiting for approval
    ids = priced_order(world)
    result = crm.orders.submit(ANN, ids["order"])
    assert result.credit is not None
    assert str(result.credit.exposure) == "632.80 CNY"
    assert result.status is OrderStatus.CONFIRMED


def test_credit_approval_without_an_order_process_is_a_configuration_error() -> None:
    world = memory_world(approvals=ProcessRegistry(), credit_policy=CreditPolicy())
    ids = priced_order(world)
    with pytest.raises(ConfigError, match="no approval process for orders"):
        world.crm.orders.submit(ANN, ids["order"])


def test_without_an_order_process_an_order_without_approval_reasons_is_confirmed() -> None:
    world = memory_world(approvals=ProcessRegistry())
    ids = priced_order(world)
    world.crm.orders.submit(ANN, ids["order"])
    assert stored_order(world, ids["order"]).status is OrderStatus.CONFIRMED


def test_without_an_order_process_approval_reasons_refuse_the_submission() -> None:
    world = memory_world(approvals=ProcessRegistry())
    with pytest.raises(ConfigError, match="no approval process for orders is configured"):
        pending_order(world)
    assert stored_order(world, "order-1").status is OrderStatus.DRAFT


def test_a_named_order_process_is_used() -> None:
    world = memory_world(order_process="order-approval")
    ids = pending_order(world)
    assert stored_order(world, ids["order"]).status is OrderStatus.PENDING_APPROVAL


def test_pricing_needs_a_configured_engine() -> None:
    world = memory_world(pricing=None)
    ids = draft_order(world)
    with pytest.raises(ConfigError, match="no PricingEngine"):
        world.crm.orders.price(ANN, ids["order"])


def test_money_view_of_a_draft_has_no_receivable_yet(world: World) -> None:
    ids = draft_order(world)
    view = world.crm.queries.order_money_view(ANN, ids["order"])
    assert (view.status, view.grand_total, view.payments, view.invoices) == (
        "draft",
        None,
        None,
        None,
    )


def test_complete_is_refused_until_paid_and_invoiced_then_allowed(world: World) -> None:
    ids = received_order(world)
    with pytest.raises(InvalidTransition, match=r"outstanding 791\.00 CNY"):
        world.crm.orders.complete(ANN, ids["order"])
    world2 = memory_world()
    ids2 = paid_order(world2)
    assert world2.crm.orders.complete(FAY, ids2["order"]).status is OrderStatus.COMPLETED


def test_bad_input_is_refused_and_changes_nothing(world: World) -> None:
    crm = world.crm
    ids = confirmed_order(world)
    world.sent()
    before = world.snapshot()
    with pytest.raises(ValidationError, match="cannot ship 9"):
        crm.orders.ship(SID, ids["order"], {0: 9})
    with pytest.raises(NotFound):
        crm.orders.ship(SID, "no-such-order")
    with pytest.raises(ValidationError, match="reason"):
        crm.orders.cancel(ANN, ids["order"], " ")
    assert world.snapshot() == before


def _cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _credit(over_limit: str) -> CreditPolicy:
    """Acme may owe 100.00; beyond that, ``over_limit`` decides."""
    return from_dict(CreditPolicy, {"limits": {"acme": _cny("100")}, "over_limit": over_limit})


def _with(config: CrmConfig, **changes: Any) -> CrmConfig:
    return attrs.evolve(config, **changes)


def test_a_selling_manager_cannot_approve_their_own_order(world: World) -> None:
    """Sam sells and manages: the access policy lets him approve orders, but his own goes to
    his manager Dan, and Sam holds no task on it."""
    world.directory.put(
        DirectoryUser("sam", roles={"sales", "manager"}, department="east", manager_id="dan")
    )
    sam = Actor("sam", {"sales", "manager"})
    crm = world.crm
    ids = draft_order(world, sam)
    crm.orders.set_discount(sam, ids["order"], PercentOff(Percent(30)))
    crm.orders.price(sam, ids["order"])
    assert crm.orders.submit(sam, ids["order"]).status is OrderStatus.PENDING_APPROVAL
    assert world.sent() == [("dan", "approval waiting for you")]
    before = world.snapshot()
    with pytest.raises(PermissionDenied):
        crm.orders.approve(sam, ids["order"])
    assert world.snapshot() == before
    crm.orders.approve(DAN, ids["order"])
    assert stored_order(world, ids["order"]).status is OrderStatus.CONFIRMED
