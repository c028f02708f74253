"""Issue 19 through the services on both adapters: activities with channels and the lead
to-do, notifications on recycling and on withdrawn approvals, the global daily claim limit
across pools, members who left."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crmcore.errors import InvalidTransition, InvariantViolation, PermissionDenied, ValidationError
from crmcore.forecast import OpportunityStatus
from crmcore.leads import ClaimLimits, LeadTodoKind
from crmcore.money import Percent
from tests.services.helpers import ANN, BOB, DAN, MIA, World, cny, memory_world


def test_follow_ups_feed_the_owners_to_do_and_a_recycle_tells_the_owner(world: World) -> None:
    crm, clock = world.crm, world.clock
    # east: 10 days of protection, +3 per follow-up, at most 20 (2 March 09:00 is day 0)
    first = crm.leads.create(BOB, "Li Lei", source="expo", region="Shanghai")
    second = crm.leads.create(BOB, "Han Meimei", source="expo", region="Shanghai")
    crm.leads.claim(ANN, first.id)
    crm.leads.claim(ANN, second.id)
    clock.advance(days=1)
    crm.leads.follow_up(
        ANN, first.id, "sent the brochure", channel="email", next_contact_on=date(2026, 3, 6)
    )
    todo = crm.leads.todo(ANN, as_of=date(2026, 3, 9))
    assert [(t.kind, t.lead_id, t.due_on, t.days_left) for t in todo] == [
        (LeadTodoKind.FOLLOW_UP_DUE, first.id, date(2026, 3, 6), -3),
        (LeadTodoKind.RECYCLE_SOON, first.id, date(2026, 3, 12), 3),
        (LeadTodoKind.RECYCLE_SOON, second.id, date(2026, 3, 12), 3),
    ]
    assert crm.leads.todo(BOB, as_of=date(2026, 3, 9)) == []
    world.sent()
    clock.advance(days=11)  # 14 March
    due = crm.leads.recycle(MIA, "east")
    assert sorted(d.lead_id for d in due) == sorted([first.id, second.id])
    assert world.sent() == [
        ("ann", "lead recycled back to its pool"),
        ("ann", "lead recycled back to its pool"),
    ]
    assert crm.leads.todo(ANN) == []


def test_withdrawing_an_approval_tells_the_approvers_who_were_waiting(world: World) -> None:
    crm = world.crm
    opp = crm.opportunities.create(ANN, cny("300000"), stage="proposal")
    started = crm.opportunities.advance(ANN, opp.id, "contract")
    assert world.sent() == [("mia", "approval waiting for you")]
    crm.approvals.withdraw(ANN, str(started.approval_id))
    assert world.sent() == [("mia", "approval request withdrawn")]


def test_the_global_daily_claim_limit_counts_claims_in_every_pool(tmp_path: Path) -> None:
    world = memory_world(claim_limits=ClaimLimits(max_per_day=1))
    crm = world.crm
    east_lead = crm.leads.create(DAN, "Li Lei", source="expo", region="Shanghai")
    general_lead = crm.leads.create(DAN, "Walk-in", source="web", region="Yunnan")
    assert (east_lead.pool_id, general_lead.pool_id) == ("east", "general")
    crm.leads.claim(BOB, east_lead.id)
    before = world.snapshot()
    with pytest.raises(InvariantViolation, match="global daily claim limit of 1"):
        crm.leads.claim(BOB, general_lead.id)
    assert world.snapshot() == before
    world.clock.advance(days=1)
    crm.leads.claim(BOB, general_lead.id)


def test_a_deal_is_revised_and_invalidated_through_the_services(world: World) -> None:
    crm = world.crm
    opp = crm.opportunities.create(ANN, cny("120000"), stage="qualify")
    revised = crm.opportunities.revise(
        ANN, opp.id, amount=cny("150000"), expected_close=date(2026, 6, 30)
    )
    assert (revised.amount, revised.expected_close) == (cny("150000"), date(2026, 6, 30))
    again = crm.opportunities.revise(ANN, opp.id, probability_override=Percent(35))
    assert (again.amount, again.probability) == (cny("150000"), Percent(35))
    before = world.snapshot()
    with pytest.raises(PermissionDenied):
        crm.opportunities.revise(BOB, opp.id, amount=cny("1"))  # a colleague's deal
    with pytest.raises(ValidationError, match="without any change"):
        crm.opportunities.revise(ANN, opp.id)
    assert world.snapshot() == before
    with pytest.raises(PermissionDenied):
        crm.opportunities.invalidate(ANN, opp.id, "duplicate")  # a manager decides
    gone = crm.opportunities.invalidate(MIA, opp.id, "duplicate of another deal")
    assert gone.status is OpportunityStatus.INVALID
    with pytest.raises(InvalidTransition):
        crm.opportunities.revise(ANN, opp.id, amount=cny("1"))
