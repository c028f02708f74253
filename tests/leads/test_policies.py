"""Scenario tests of the assignment policies: fair rotations, balanced loads, capacity."""

from __future__ import annotations

import pytest

from crmcore.leads import (
    DefaultAssignee,
    LeadLeftUnassigned,
    LeadStatus,
    LoadBalanced,
    PoolMember,
    RoundRobin,
    Weighted,
)
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool, owners


def test_round_robin_over_three_members_serves_1_2_3_1() -> None:
    pool = make_pool(["u1", "u2", "u3"], RoundRobin())
    assert owners(pool, make_leads(pool, 4)) == ["u1", "u2", "u3", "u1"]
    assert pool.state.rr_cursor == "u1"


def test_round_robin_stays_fair_when_member_2_is_removed_and_re_added() -> None:
    pool = make_pool(["u1", "u2", "u3"], RoundRobin())
    leads = make_leads(pool, 12)
    assert owners(pool, leads[:4]) == ["u1", "u2", "u3", "u1"]
    # u2 would be next; u2 leaves: the rotation goes on with u3, never u1 twice in a row.
    pool.remove_member(ADMIN, "u2", at=at(1))
    assert owners(pool, leads[4:8]) == ["u3", "u1", "u3", "u1"]
    # u2 comes back right after u1 was served: u2 is next, nobody skipped or served twice.
    pool.add_member(ADMIN, PoolMember("u2"), at=at(2))
    assert owners(pool, leads[8:12]) == ["u2", "u3", "u1", "u2"]


def test_round_robin_removing_the_member_served_last_does_not_restart_the_rotation() -> None:
    pool = make_pool(["u1", "u2", "u3"], RoundRobin())
    leads = make_leads(pool, 5)
    assert owners(pool, leads[:2]) == ["u1", "u2"]
    pool.remove_member(ADMIN, "u2", at=at(1))
    pool.add_member(ADMIN, PoolMember("u2"), at=at(1))
    # u2 was served last: re-adding u2 does not serve u2 again; u3 is next.
    assert owners(pool, leads[2:5]) == ["u3", "u1", "u2"]


def test_round_robin_skips_an_inactive_member_and_resumes_when_reactivated() -> None:
    pool = make_pool(["u1", "u2", "u3"], RoundRobin())
    leads = make_leads(pool, 6)
    assert owners(pool, leads[:1]) == ["u1"]
    pool.update_member(ADMIN, "u2", at=at(1), active=False)
    assert owners(pool, leads[1:3]) == ["u3", "u1"]
    pool.update_member(ADMIN, "u2", at=at(1), active=True)
    assert owners(pool, leads[3:6]) == ["u2", "u3", "u1"]


def test_load_balanced_30_leads_over_3_members_gives_10_each() -> None:
    pool = make_pool(["u1", "u2", "u3"], LoadBalanced())
    leads = make_leads(pool, 30)
    result = pool.distribute(ADMIN, leads, at=at())
    assert result.per_member() == {"u1": 10, "u2": 10, "u3": 10}
    assert [a.owner_id for a in result.assignments[:6]] == ["u1", "u2", "u3"] * 2


def test_load_balanced_after_closing_5_of_member_1s_leads_the_next_5_go_to_member_1() -> None:
    pool = make_pool(["u1", "u2", "u3"], LoadBalanced())
    leads = make_leads(pool, 30)
    pool.distribute(ADMIN, leads, at=at())
    for lead in [lead for lead in leads if lead.owner_id == "u1"][:5]:
        pool.invalidate(ADMIN, lead, at=at(1), reason="duplicate")
    assert pool.open_leads("u1") == 5
    more = make_leads(pool, 5, start=31)
    result = pool.distribute(ADMIN, more, at=at(2))
    assert result.per_member() == {"u1": 5}
    assert [pool.open_leads(m) for m in ("u1", "u2", "u3")] == [10, 10, 10]


def test_load_balanced_ties_go_to_the_least_recently_assigned_not_the_first_in_the_list() -> None:
    pool = make_pool(["u1", "u2", "u3"], LoadBalanced())
    leads = make_leads(pool, 4)
    assert owners(pool, leads[:3]) == ["u1", "u2", "u3"]
    # u3's lead is closed: u3 has the fewest.
    pool.invalidate(ADMIN, leads[2], at=at(1), reason="spam")
    assert owners(pool, leads[3:4]) == ["u3"]
    # Everyone holds 1 now: the tie goes to u1 (assigned longest ago), then u2, then u3
    # (u3 was given lead-4 last).
    extra = make_leads(pool, 3, start=10)
    assert owners(pool, extra) == ["u1", "u2", "u3"]


def test_weighted_1_to_2_over_6_leads_gives_2_and_4() -> None:
    pool = make_pool([PoolMember("u1", weight=1), PoolMember("u2", weight=2)], Weighted())
    result = pool.distribute(ADMIN, make_leads(pool, 6), at=at())
    assert result.per_member() == {"u1": 2, "u2": 4}
    assert [a.owner_id for a in result.assignments] == ["u2", "u1", "u2"] * 2
    assert pool.current_weights() == {"u1": 0, "u2": 0}


def test_weighted_1_to_3_is_spread_out_b_a_b_b() -> None:
    pool = make_pool([PoolMember("a", weight=1), PoolMember("b", weight=3)], Weighted())
    assert owners(pool, make_leads(pool, 8)) == ["b", "a", "b", "b"] * 2


def test_weighted_nginx_example_5_1_1() -> None:
    # The sequence documented for nginx's smooth weighted round robin.
    pool = make_pool(
        [PoolMember("a", weight=5), PoolMember("b", weight=1), PoolMember("c", weight=1)],
        Weighted(),
    )
    assert owners(pool, make_leads(pool, 7)) == ["a", "a", "b", "a", "c", "a", "a"]


def test_default_assignee_gets_every_lead() -> None:
    pool = make_pool(["u1", "u2"], DefaultAssignee(), default_assignee="u2")
    result = pool.distribute(ADMIN, make_leads(pool, 3), at=at())
    assert result.per_member() == {"u2": 3}


def test_default_assignee_missing_or_inactive_leaves_leads_unassigned() -> None:
    pool = make_pool(["u1"], DefaultAssignee())
    assert pool.distribute(ADMIN, make_leads(pool, 1), at=at()).unassigned == ["lead-1"]
    pool = make_pool(["u1"], DefaultAssignee(), default_assignee="u1")
    pool.update_member(ADMIN, "u1", at=at(), active=False)
    assert pool.distribute(ADMIN, make_leads(pool, 1), at=at()).unassigned == ["lead-1"]


@pytest.mark.parametrize("policy", [RoundRobin(), LoadBalanced(), Weighted()])
def test_capacity_exhausted_leaves_the_lead_unassigned_and_says_so(policy: object) -> None:
    pool = make_pool(
        [PoolMember("u1", capacity=2), PoolMember("u2", capacity=1)],
        policy,  # type: ignore[arg-type]
    )
    leads = make_leads(pool, 5)
    result = pool.distribute(ADMIN, leads, at=at())
    assert result.per_member() == {"u1": 2, "u2": 1}
    assert result.unassigned == ["lead-4", "lead-5"]
    assert result.assignments[3].reason == "every member is full or inactive"
    assert leads[3].status is LeadStatus.NEW
    assert leads[3].owner_id is None
    assert any(isinstance(e, LeadLeftUnassigned) for e in leads[3].pull_events())
    # A freed place is used again.
    held = next(lead for lead in leads if lead.owner_id == "u2")
    pool.return_lead(ADMIN, held, at=at(1), reason="unreachable")
    again = pool.distribute(ADMIN, [leads[3]], at=at(2))
    assert again.per_member() == {"u2": 1}


@pytest.mark.parametrize("policy", [RoundRobin(), LoadBalanced(), Weighted()])
def test_a_batch_of_n_equals_n_single_calls(policy: object) -> None:
    members = [PoolMember("u1", weight=3, capacity=7), PoolMember("u2"), PoolMember("u3", 2)]
    batch_pool = make_pool(members, policy)  # type: ignore[arg-type]
    single_pool = make_pool(members, policy)  # type: ignore[arg-type]
    batch = batch_pool.distribute(ADMIN, make_leads(batch_pool, 40), at=at())
    single = owners(single_pool, make_leads(single_pool, 40))
    assert [a.owner_id for a in batch.assignments] == single
    assert batch_pool.state == single_pool.state


def test_weighted_memory_survives_a_weight_change_and_capacity() -> None:
    pool = make_pool([PoolMember("a", weight=1), PoolMember("b", weight=1)], Weighted())
    leads = make_leads(pool, 9)
    assert owners(pool, leads[:2]) == ["a", "b"]
    pool.update_member(ADMIN, "b", at=at(), weight=2)
    assert owners(pool, leads[2:8]) == ["b", "a", "b", "b", "a", "b"]
    pool.update_member(ADMIN, "a", at=at(), capacity=0)
    assert owners(pool, leads[8:9]) == ["b"]
    pool.update_member(ADMIN, "a", at=at(), capacity=None)
    assert pool.members["a"].capacity is None
