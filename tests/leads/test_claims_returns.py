"""Scenario and error tests of claims, admin batches, returns and the re-claim cooldown."""

from __future__ import annotations

import pytest

from crmcore.errors import (
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.leads import (
    ClaimLimits,
    LeadAssigned,
    LeadReturned,
    LeadStatus,
    PoolMember,
)
from crmcore.serialization import to_dict
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool, member


def snapshot(pool: object, leads: list[object]) -> object:
    return to_dict(pool), [to_dict(lead) for lead in leads]


def test_claim_limits_pool_20_global_10_lets_a_member_hold_10() -> None:
    pool = make_pool(["u1"], claim_limits=ClaimLimits(max_held=20))
    leads = make_leads(pool, 12)
    global_limits = ClaimLimits(max_held=10)
    result = pool.claim(member("u1"), leads[:10], at=at(), global_limits=global_limits)
    assert result.per_member() == {"u1": 10}
    before = snapshot(pool, leads)
    with pytest.raises(InvariantViolation, match="holding limit of 10"):
        pool.claim(member("u1"), leads[10:11], at=at(), global_limits=global_limits)
    assert snapshot(pool, leads) == before
    assert leads[10].owner_id is None


def test_global_limit_counts_leads_held_in_other_pools() -> None:
    pool = make_pool(["u1"])
    leads = make_leads(pool, 3)
    with pytest.raises(InvariantViolation, match="global holding limit of 10"):
        pool.claim(member("u1"), leads, at=at(), global_limits=ClaimLimits(10), held_elsewhere=8)
    pool.claim(member("u1"), leads[:2], at=at(), global_limits=ClaimLimits(10), held_elsewhere=8)
    with pytest.raises(ValidationError, match="held_elsewhere"):
        pool.claim(member("u1"), leads[2:], at=at(), held_elsewhere=-1)


def test_daily_claim_limit_resets_the_next_day() -> None:
    pool = make_pool(["u1"], claim_limits=ClaimLimits(max_per_day=3))
    leads = make_leads(pool, 7)
    pool.claim(member("u1"), leads[:2], at=at())
    with pytest.raises(InvariantViolation, match="daily claim limit of 3"):
        pool.claim(member("u1"), leads[2:4], at=at(hours=2))
    pool.claim(member("u1"), leads[2:3], at=at(hours=3))
    pool.claim(member("u1"), leads[3:6], at=at(days=1))
    assert pool.open_leads("u1") == 6


def test_claim_refused_beyond_capacity() -> None:
    pool = make_pool([PoolMember("u1", capacity=2)])
    leads = make_leads(pool, 3)
    with pytest.raises(InvariantViolation, match="capacity 2"):
        pool.claim(member("u1"), leads, at=at())
    assert all(lead.owner_id is None for lead in leads)


def test_claiming_a_lead_already_owned_is_refused() -> None:
    pool = make_pool(["u1", "u2"])
    leads = make_leads(pool, 1)
    pool.claim(member("u1"), leads, at=at())
    with pytest.raises(InvariantViolation, match="already owned by u1"):
        pool.claim(member("u2"), leads, at=at())
    assert leads[0].owner_id == "u1"
    assert pool.open_leads("u2") == 0


def test_reclaim_cooldown_for_the_previous_owner() -> None:
    pool = make_pool(["u1", "u2"], claim_limits=ClaimLimits(reclaim_cooldown_days=7))
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at())
    pool.return_lead(
        member("u1"), lead, at=at(1), reason="unreachable", note="no answer three times"
    )
    with pytest.raises(PermissionDenied, match="cooldown of 7 days"):
        pool.claim(member("u1"), [lead], at=at(7, hours=-1))
    assert lead.owner_id is None
    # Somebody else may take it at once; the previous owner only after the cooldown, even
    # though a colleague held it in between (7 days from the return on day 1: day 8).
    pool.claim(member("u2"), [lead], at=at(2))
    pool.return_lead(member("u2"), lead, at=at(3), reason="not interested")
    with pytest.raises(PermissionDenied, match="cooldown of 7 days"):
        pool.claim(member("u1"), [lead], at=at(3, hours=1))
    pool.claim(member("u1"), [lead], at=at(8))
    assert lead.owner_id == "u1"


def test_global_cooldown_is_longer_than_the_pools() -> None:
    pool = make_pool(["u1"], claim_limits=ClaimLimits(reclaim_cooldown_days=1))
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at())
    pool.return_lead(member("u1"), lead, at=at(), reason="unreachable")
    with pytest.raises(PermissionDenied, match="cooldown of 3 days"):
        pool.claim(
            member("u1"), [lead], at=at(2), global_limits=ClaimLimits(reclaim_cooldown_days=3)
        )


def test_only_active_members_claim_and_only_where_claims_are_allowed() -> None:
    pool = make_pool(["u1", "u2"])
    leads = make_leads(pool, 1)
    with pytest.raises(PermissionDenied, match="not an active member"):
        pool.claim(member("stranger"), leads, at=at())
    pool.update_member(ADMIN, "u2", at=at(), active=False)
    with pytest.raises(PermissionDenied, match="u2 is not an active member"):
        pool.claim(member("u2"), leads, at=at())
    closed = make_pool(["u1"], members_may_claim=False)
    with pytest.raises(PermissionDenied, match="only admins assign"):
        closed.claim(member("u1"), make_leads(closed, 1), at=at())


def test_claim_of_a_lead_of_another_pool_or_a_duplicate_in_the_batch() -> None:
    pool = make_pool(["u1"])
    other = make_pool(["u1"], pool_id="pool-2")
    theirs = make_leads(other, 1, prefix="other")
    with pytest.raises(InvariantViolation, match="in pool pool-2, not pool-1"):
        pool.claim(member("u1"), theirs, at=at())
    ours = make_leads(pool, 1)
    with pytest.raises(ValidationError, match="appears twice"):
        pool.claim(member("u1"), [ours[0], ours[0]], at=at())


def test_admin_assigns_a_batch_to_one_member() -> None:
    pool = make_pool([PoolMember("u1", capacity=5), "u2"])
    leads = make_leads(pool, 8)
    result = pool.assign_to(ADMIN, leads[:5], "u1", at=at())
    assert result.per_member() == {"u1": 5}
    assert all(lead.history[-1].how == "admin" for lead in leads[:5])
    before = snapshot(pool, leads)
    with pytest.raises(InvariantViolation, match="capacity 5"):
        pool.assign_to(ADMIN, leads[5:6], "u1", at=at())
    with pytest.raises(PermissionDenied, match="may not assign leads"):
        pool.assign_to(member("u2"), leads[5:6], "u2", at=at())
    with pytest.raises(NotFound, match="no member 'nobody'"):
        pool.assign_to(ADMIN, leads[5:6], "nobody", at=at())
    with pytest.raises(InvariantViolation, match="already owned by u1"):
        pool.assign_to(ADMIN, leads[:1], "u2", at=at())
    assert snapshot(pool, leads) == before
    pool.update_member(ADMIN, "u2", at=at(), active=False)
    with pytest.raises(InvariantViolation, match="u2 is inactive"):
        pool.assign_to(ADMIN, leads[5:6], "u2", at=at())


def test_pool_admin_by_name_without_the_admin_role() -> None:
    pool = make_pool(["u1"])
    pool.admins = frozenset({"lead-manager"})
    leads = make_leads(pool, 1)
    pool.distribute(member("lead-manager"), leads, at=at())
    assert leads[0].owner_id == "u1"


def test_return_to_pool_needs_a_configured_reason_and_keeps_history() -> None:
    pool = make_pool(["u1", "u2"])
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at())
    lead.pull_events()
    with pytest.raises(ValidationError, match="'bored' is not one of"):
        pool.return_lead(member("u1"), lead, at=at(1), reason="bored")
    with pytest.raises(PermissionDenied, match="only the owner u1 or a pool admin"):
        pool.return_lead(member("u2"), lead, at=at(1), reason="unreachable")
    assert lead.owner_id == "u1"
    pool.return_lead(
        member("u1"), lead, at=at(1), reason="wrong contact", note="number disconnected"
    )
    assert lead.status is LeadStatus.NEW
    assert lead.owner_id is None
    assert pool.open_leads("u1") == 0
    (stretch,) = lead.history
    assert (stretch.owner_id, stretch.end, stretch.ended_because) == (
        "u1",
        at(1),
        "returned: wrong contact",
    )
    (event,) = lead.pull_events()
    assert isinstance(event, LeadReturned)
    assert (event.reason, event.note, event.previous_owner_id) == (
        "wrong contact",
        "number disconnected",
        "u1",
    )
    with pytest.raises(InvalidTransition, match="cannot release in state NEW"):
        pool.return_lead(ADMIN, lead, at=at(2), reason="unreachable")


def test_membership_changes_are_admin_only_and_checked() -> None:
    pool = make_pool(["u1"])
    with pytest.raises(PermissionDenied, match="may not add members"):
        pool.add_member(member("u1"), PoolMember("u9"), at=at())
    with pytest.raises(InvariantViolation, match="u1 is already a member"):
        pool.add_member(ADMIN, PoolMember("u1"), at=at())
    with pytest.raises(NotFound, match="no member 'u9'"):
        pool.remove_member(ADMIN, "u9", at=at())
    with pytest.raises(ValidationError, match="weight: must be > 0"):
        pool.update_member(ADMIN, "u1", at=at(), weight=0)
    assert pool.members["u1"].weight == 1
    pool.update_member(ADMIN, "u1", at=at(), weight=3, capacity=4)
    assert pool.members["u1"] == PoolMember("u1", 3, 4, True)
    assert [type(e).__name__ for e in pool.pull_events()] == ["PoolMemberChanged"]


def test_a_removed_member_keeps_the_leads_they_hold_but_may_no_longer_act() -> None:
    pool = make_pool(["u1", "u2"])
    leads = make_leads(pool, 2)
    pool.distribute(ADMIN, leads, at=at())
    pool.remove_member(ADMIN, "u1", at=at(1))
    assert leads[0].owner_id == "u1"
    for act in (
        lambda: pool.return_lead(member("u1"), leads[0], at=at(2), reason="unreachable"),
        lambda: pool.follow_up(member("u1"), leads[0], at=at(2), note="called"),
        lambda: pool.invalidate(member("u1"), leads[0], at=at(2), reason="spam"),
    ):
        with pytest.raises(PermissionDenied, match="u1 is no longer a member of pool"):
            act()
    assert (leads[0].owner_id, leads[0].follow_ups, pool.open_leads("u1")) == ("u1", [], 1)
    pool.update_member(ADMIN, "u2", at=at(2), active=False)
    with pytest.raises(PermissionDenied, match="u2 is an inactive member of pool"):
        pool.follow_up(member("u2"), leads[1], at=at(2), note="called")
    pool.return_lead(ADMIN, leads[0], at=at(2), reason="unreachable")  # an admin still may
    assert pool.open_leads("u1") == 0


def test_events_name_the_actor_and_the_owner() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    lead.pull_events()
    pool.claim(member("u1"), [lead], at=at())
    (event,) = lead.pull_events()
    assert isinstance(event, LeadAssigned)
    assert (event.actor_id, event.owner_id, event.how, event.subject_id) == (
        "u1",
        "u1",
        "claim",
        "lead-1",
    )
