"""Issue 19, seed 001: "如果某销售离职了，其负责的这些线索，怎么完整的保存下来，并顺利交接" — the
handover of a departing salesperson's leads and deals, through the services on both adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from crmcore.errors import (
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.forecast import Opportunity, OpportunityStatus, OwnerChange
from crmcore.leads import Assignment, Lead, LeadStatus, Ownership, Pool, PoolConfig, PoolMember
from crmcore.orders import OrderHandedOver
from crmcore.receivables import Receivable
from crmcore.serialization import to_dict
from crmcore.workflow import ApprovalInstance
from tests.services.helpers import ANN, BOB, DAN, MIA, World, cny, memory_world, sqlite_world
from tests.services.order_helpers import confirmed_order, draft_order, paid_order, stored_order

CLAIMED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEFT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def lead(world: World, lead_id: str) -> Lead:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Lead).get(lead_id)


def deal(world: World, deal_id: str) -> Opportunity:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Opportunity).get(deal_id)


def pool(world: World, pool_id: str) -> Pool:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Pool).get(pool_id)


def anns_book(world: World) -> tuple[list[str], str, str]:
    """Ann holds three east leads (one followed up), one open deal and one won deal."""
    crm = world.crm
    ids = [
        crm.leads.create(DAN, f"Prospect {n}", source="expo", region="Shanghai").id for n in "abc"
    ]
    for lead_id in ids:
        crm.leads.claim(ANN, lead_id)
    crm.leads.follow_up(ANN, ids[0], "called", channel="call")
    open_deal = crm.opportunities.create(ANN, cny("80000"), stage="proposal")
    won = crm.opportunities.create(ANN, cny("20000"), stage="proposal")
    crm.opportunities.advance(ANN, won.id, "contract")  # below 100,000: no approval needed
    crm.opportunities.win(ANN, won.id)
    world.clock.set(LEFT)
    world.sent()
    return ids, open_deal.id, won.id


def test_ann_leaves_and_bob_takes_everything_with_the_history_kept(world: World) -> None:
    crm = world.crm
    ids, open_deal, won = anns_book(world)
    report = crm.leads.hand_over(MIA, "ann", reason="left the company", to="bob")
    assert report.leads == tuple(Assignment(i, "bob", "handover") for i in ids)
    assert report.opportunities == ((open_deal, "bob"),)
    assert report.per_receiver() == {"bob": 4}
    # the lead keeps who held it, from when to when, and why it changed hands
    first = lead(world, ids[0])
    assert (first.owner_id, first.status) == ("bob", LeadStatus.ASSIGNED)
    assert first.history == [
        Ownership("ann", CLAIMED, "claim", LEFT, "handed over by mia: left the company"),
        Ownership("bob", LEFT, "handover"),
    ]
    assert [f.by for f in first.follow_ups] == ["ann"]  # ann's follow-ups stay on the lead
    moved = deal(world, open_deal)
    assert moved.owner_id == "bob"
    assert moved.owner_history == [OwnerChange(LEFT, "mia", "ann", "bob", "left the company")]
    assert deal(world, won).owner_id == "ann"  # a closed deal stays ann's (her booking)
    assert "ann" not in pool(world, "east").members
    assert (pool(world, "east").open_leads("ann"), pool(world, "east").open_leads("bob")) == (0, 3)
    assert world.sent() == [
        ("bob", "lead handed over to you"),
        ("bob", "lead handed over to you"),
        ("bob", "lead handed over to you"),
        ("bob", "opportunity handed over to you"),
    ]
    # nothing of ann's is orphaned: no open lead or deal names her any more
    with world.storage.unit_of_work() as uow:
        assert [
            x.id
            for s in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
            for x in uow.repository(Lead).find(owner_id="ann", status=s)
        ] == []
        assert (
            uow.repository(Opportunity).find(owner_id="ann", status=OpportunityStatus.OPEN) == []
        )
    # bob works them as his own; ann may no longer act
    crm.leads.follow_up(BOB, ids[0], "introduced myself", channel="call")
    with pytest.raises(PermissionDenied):
        crm.leads.follow_up(ANN, ids[1], "still here?")


def three_seller_pools() -> tuple[PoolConfig, PoolConfig]:
    east = PoolConfig(
        "east",
        members=(PoolMember("ann"), PoolMember("bob"), PoolMember("mkt")),
        admins=frozenset({"mia", "dan"}),
    )
    general = PoolConfig("general", members=(PoolMember("bob"),), admins=frozenset({"dan"}))
    return east, general


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_redistributed_by_the_pools_rotation_and_deals_to_her_manager(
    adapter: str, tmp_path: Path
) -> None:
    pools = three_seller_pools()
    world = (
        memory_world(pools=pools) if adapter == "memory" else sqlite_world(tmp_path, pools=pools)
    )
    crm = world.crm
    ids, open_deal, _ = anns_book(world)
    report = crm.leads.hand_over(MIA, "ann", reason="left the company")
    # round robin over bob and mkt from the start of the rotation: bob, mkt, bob
    assert [(a.lead_id, a.owner_id) for a in report.leads] == [
        (ids[0], "bob"),
        (ids[1], "mkt"),
        (ids[2], "bob"),
    ]
    assert report.opportunities == ((open_deal, "mia"),)  # ann's manager
    assert report.per_receiver() == {"bob": 2, "mia": 1, "mkt": 1}
    assert world.sent() == [
        ("bob", "lead handed over to you"),
        ("mkt", "lead handed over to you"),
        ("bob", "lead handed over to you"),
    ]  # mia handed the deal to herself: nobody is told of their own act


def test_back_to_the_pool_while_away_then_claimed_by_a_colleague(world: World) -> None:
    crm = world.crm
    ids, open_deal, _ = anns_book(world)
    report = crm.leads.hand_over(
        MIA,
        "ann",
        reason="parental leave",
        redistribute=False,
        opportunities_to="bob",
        leaving=False,
    )
    assert report.back_to_pool == ids
    assert report.opportunities == ((open_deal, "bob"),)
    waiting = lead(world, ids[1])
    assert (waiting.owner_id, waiting.status, waiting.pool_id) == (None, LeadStatus.NEW, "east")
    assert waiting.history[-1].ended_because == "handed over by mia: parental leave"
    east = pool(world, "east")
    assert (east.members["ann"].active, east.open_leads("ann")) == (False, 0)
    assert world.sent() == [("bob", "opportunity handed over to you")]
    crm.leads.claim(BOB, ids[1])
    assert lead(world, ids[1]).owner_id == "bob"


def test_a_refused_handover_changes_nothing(world: World) -> None:
    crm = world.crm
    anns_book(world)
    general_lead = crm.leads.create(DAN, "Walk-in", source="web", region="Yunnan")
    crm.leads.claim(BOB, general_lead.id)
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"may not lead\.hand_over"):
        crm.leads.hand_over(BOB, "ann", reason="left", to="bob")
    with pytest.raises(ValidationError, match="a reason is required"):
        crm.leads.hand_over(MIA, "ann", reason=" ", to="bob")
    with pytest.raises(NotFound):
        crm.leads.hand_over(MIA, "ann", reason="left", to="nobody")
    with pytest.raises(ValidationError, match="cannot hand over to themself"):
        crm.leads.hand_over(MIA, "ann", reason="left", to="ann")
    # mia is not an admin of the general pool, where bob holds a lead
    with pytest.raises(PermissionDenied, match="pool general: mia may not remove members"):
        crm.leads.hand_over(MIA, "bob", reason="left", to="ann")
    # the receiver must be a member of the pool the leads are in
    with pytest.raises(NotFound, match="pool east: no member 'mia'"):
        crm.leads.hand_over(DAN, "ann", reason="left", to="mia")
    assert world.snapshot() == before


def test_the_pool_refuses_an_active_member_or_a_lead_someone_else_holds() -> None:
    world = memory_world()
    ids, _, _ = anns_book(world)
    east = pool(world, "east")
    with world.storage.unit_of_work() as uow:
        leads = [uow.repository(Lead).get(i) for i in ids]
    with pytest.raises(InvariantViolation, match="still an active member"):
        east.hand_over(MIA, leads, "ann", at=LEFT, reason="left", to="bob")
    east.remove_member(MIA, "ann", at=LEFT)
    with pytest.raises(InvariantViolation, match="not an open lead held by mkt"):
        east.hand_over(MIA, leads, "mkt", at=LEFT, reason="left", to="bob")
    with pytest.raises(ValidationError, match="not both"):
        east.hand_over(MIA, leads, "ann", at=LEFT, reason="left", to="bob", redistribute=True)
    east.update_member(MIA, "bob", at=LEFT, capacity=2)
    with pytest.raises(InvariantViolation, match="capacity 2; cannot take 3 more"):
        east.hand_over(MIA, leads, "ann", at=LEFT, reason="left", to="bob")
    east.update_member(MIA, "bob", at=LEFT, active=False)
    with pytest.raises(InvariantViolation, match="member bob is inactive"):
        east.hand_over(MIA, leads, "ann", at=LEFT, reason="left", to="bob")
    assert [x.owner_id for x in leads] == ["ann", "ann", "ann"]


def test_her_open_orders_and_receivables_to_collect_go_with_her_deals(world: World) -> None:
    crm = world.crm
    draft = draft_order(world)["order"]
    confirmed = confirmed_order(world)  # receivable AR-<id>: 791.00 to collect
    paid = paid_order(world)  # received and paid in full: the order is still open
    crm.orders.cancel(ANN, draft_order(world)["order"], "customer changed their mind")
    world.clock.set(LEFT)
    world.sent()
    report = crm.leads.hand_over(MIA, "ann", reason="left the company", to="bob")
    assert report.orders == tuple(
        sorted((o, "bob") for o in (draft, confirmed["order"], paid["order"]))
    )
    assert report.receivables == ((confirmed["rec"], "bob"),)  # nothing left on the paid one
    assert report.per_receiver() == {"bob": 4}
    order = stored_order(world, confirmed["order"])
    assert order.owner_id == "bob"
    handed = order.history[-1]
    assert isinstance(handed, OrderHandedOver)
    assert (handed.previous_owner_id, handed.owner_id, handed.reason) == (
        "ann",
        "bob",
        "left the company",
    )
    with world.storage.unit_of_work() as uow:
        receivable = uow.repository(Receivable).get(confirmed["rec"])
        settled = uow.repository(Receivable).get(paid["rec"])
    assert (receivable.owner_id, settled.owner_id) == ("bob", "ann")
    assert sorted(world.sent()) == [
        ("bob", "order handed over to you"),
        ("bob", "order handed over to you"),
        ("bob", "order handed over to you"),
        ("bob", "receivable handed over to you"),
    ]
    # bob collects it now: the payment he records is his
    view = crm.queries.payment_view(BOB, confirmed["rec"])
    assert view.outstanding == cny("791.00")


def test_an_order_or_receivable_refuses_a_bad_handover_and_changes_nothing() -> None:
    world = memory_world()
    ids = confirmed_order(world)
    cancelled = draft_order(world)["order"]
    world.crm.orders.cancel(ANN, cancelled, "no longer needed")
    order = stored_order(world, ids["order"])
    with world.storage.unit_of_work() as uow:
        receivable = uow.repository(Receivable).get(ids["rec"])
    for record in (order, receivable):
        with pytest.raises(ValidationError, match="ann already owns it"):
            record.hand_over(MIA, "ann", at=LEFT, reason="left")
        with pytest.raises(ValidationError, match="reason: must be a non-empty string"):
            record.hand_over(MIA, "bob", at=LEFT, reason=" ")
        with pytest.raises(ValidationError, match="to: must be a non-empty string"):
            record.hand_over(MIA, "", at=LEFT, reason="left")
        assert record.owner_id == "ann"
    with pytest.raises(InvalidTransition, match="it is cancelled"):
        stored_order(world, cancelled).hand_over(MIA, "bob", at=LEFT, reason="left")


def test_a_departing_manager_s_approval_tasks_go_to_the_colleague(world: World) -> None:
    crm = world.crm
    deal = crm.opportunities.create(ANN, cny("300000"), stage="proposal")
    started = crm.opportunities.advance(ANN, deal.id, "contract")  # waits for mia
    approval = str(started.approval_id)
    world.clock.set(LEFT)
    world.sent()
    report = crm.leads.hand_over(DAN, "mia", reason="left the company", to="dan")
    assert report.approvals == ((approval, "dan"),)
    assert world.sent() == []  # dan handed the task to himself: nobody else to tell
    assert [t.subject_id for t in crm.queries.approvals_waiting_for(DAN)] == [deal.id]
    assert crm.queries.approvals_waiting_for(MIA) == []
    crm.approvals.approve(DAN, approval, "go")
    assert deal_stage(world, deal.id) == "contract"


def deal_stage(world: World, deal_id: str) -> str:
    return deal(world, deal_id).stage


def test_reassigning_approval_tasks_is_checked() -> None:
    world = memory_world()
    crm = world.crm
    opp = crm.opportunities.create(ANN, cny("300000"), stage="proposal")
    approval_id = str(crm.opportunities.advance(ANN, opp.id, "contract").approval_id)
    with world.storage.unit_of_work() as uow:
        instance = uow.repository(ApprovalInstance).get(approval_id)
    directory = world.directory
    before = to_dict(instance)
    cases = [
        ("mia", "dan", "", ValidationError, "a reason is required"),
        ("mia", " ", "left", ValidationError, "expected a user id"),
        ("bob", "dan", "left", InvariantViolation, "'bob' holds no open task"),
        ("mia", "mia", "left", ValidationError, "'mia' already sits in step 'manager'"),
        ("mia", "ann", "left", ValidationError, "submitted the request"),
    ]
    for from_id, to_id, reason, error, message in cases:
        with pytest.raises(error, match=message):
            instance.reassign(DAN, from_id, to_id, at=LEFT, directory=directory, reason=reason)
    directory.put(attrs.evolve(directory.user("bob"), active=False))
    with pytest.raises(ValidationError, match="'bob' is inactive"):
        instance.reassign(DAN, "mia", "bob", at=LEFT, directory=directory, reason="left")
    assert to_dict(instance) == before
    instance.reassign(DAN, "mia", "dan", at=LEFT, directory=directory, reason="left")
    assert [t.approver_id for t in instance.open_tasks()] == ["dan"]
    assert instance.history[-1].action == "reassigned"
