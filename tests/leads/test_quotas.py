"""Issue 19: per-member 30-day quotas, their daily share, per-member conditions and the
default assignee as the fallback (Odoo's team members: assignment_max, assignment_domain)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import ConfigError
from crmcore.leads import (
    Lead,
    MemberQuota,
    Pool,
    PoolConfig,
    PoolMember,
    PoolState,
    RoundRobin,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.workflow import Predicate
from tests.leads.leads_helpers import ADMIN, CAPTURED, MARKETING, at, make_leads, make_pool


def owners_of(pool: Pool, n: int, day: float, prefix: str) -> list[str | None]:
    leads = make_leads(pool, n, prefix=prefix)
    return [a.owner_id for a in pool.distribute(ADMIN, leads, at=at(day)).assignments]


def test_a_30_day_quota_stops_the_policy_until_the_window_moves_on() -> None:
    pool = make_pool([PoolMember("u1", assignment_max=2), PoolMember("u2", assignment_max=3)])
    # 25 March: u1, u2, u1, u2; u1 has had 2 of 2, so u2 takes the 5th; the 6th waits
    assert owners_of(pool, 6, 0, "a") == ["u1", "u2", "u1", "u2", "u2", None]
    assert pool.quota("u1", date(2026, 3, 25)) == MemberQuota("u1", 2, 2, 1)
    assert pool.quota("u2", date(2026, 3, 25)).remaining == 0
    # 23 April is the 30th day from 25 March: still full
    assert owners_of(pool, 1, 29, "b") == [None]
    # 24 April: 25 March has left the window; the rotation goes on after u2
    assert owners_of(pool, 2, 30, "c") == ["u1", "u2"]
    assert pool.quota("u1", date(2026, 4, 24)) == MemberQuota("u1", 2, 1, 1)


def test_the_default_assignee_takes_what_nobody_has_quota_for() -> None:
    pool = make_pool(
        [PoolMember("u1", assignment_max=1), PoolMember("u2", assignment_max=1)],
        default_assignee="u2",
    )
    leads = make_leads(pool, 3)
    result = pool.distribute(ADMIN, leads, at=at(0))
    assert [(a.owner_id, a.how) for a in result.assignments] == [
        ("u1", "round_robin"),
        ("u2", "round_robin"),
        ("u2", "default_assignee"),
    ]
    # every assignment counts towards the quota, the fallback's too
    assert pool.quota("u2", date(2026, 3, 25)).assigned == 2


def test_the_daily_share_spreads_a_quota_over_the_month() -> None:
    pool = Pool.from_config(
        PoolConfig(
            "p",
            members=(PoolMember("u1", assignment_max=60), PoolMember("u2", assignment_max=45)),
            quota_daily_share=True,
        )
    )
    # daily shares: 60 / 30 = 2; 45 / 30 = 1.5, rounded half up to 2
    assert [pool.quota(m, date(2026, 3, 25)).daily_share for m in ("u1", "u2")] == [2, 2]
    assert owners_of(pool, 5, 0, "a") == ["u1", "u2", "u1", "u2", None]
    assert owners_of(pool, 2, 1, "b") == ["u1", "u2"]


def test_member_conditions_choose_which_leads_each_member_takes() -> None:
    shanghai = {"field": "region", "op": "==", "value": "Shanghai"}
    pool = make_pool(["u1", "u2", PoolMember("u3", condition=shanghai)])
    leads = [
        Lead.capture(f"L{i}", "x", source="web", region=region, actor=MARKETING, at=CAPTURED)
        for i, region in enumerate(["Shanghai", "Yunnan", "Shanghai", None, "Shanghai"])
    ]
    pool.admit(MARKETING, leads, at=CAPTURED)
    result = pool.distribute(ADMIN, leads, at=at(0))
    # u3 only ever gets Shanghai leads; the rotation skips them for the others
    assert [a.owner_id for a in result.assignments] == ["u1", "u2", "u3", "u1", "u2"]


def test_a_condition_that_cannot_be_evaluated_refuses_the_whole_batch() -> None:
    pool = make_pool(
        ["u1", PoolMember("u2", condition={"field": "regoin", "op": "==", "value": 1})]
    )
    leads = make_leads(pool, 2)
    before = (to_dict(pool), [to_dict(lead) for lead in leads])
    with pytest.raises(ConfigError, match="regoin"):
        pool.distribute(ADMIN, leads, at=at(0))
    assert (to_dict(pool), [to_dict(lead) for lead in leads]) == before


def test_a_member_condition_must_be_data_and_a_quota_a_count() -> None:
    with pytest.raises(ConfigError, match="not as Python code"):
        PoolMember("u1", condition=Predicate(lambda lead: True))
    with pytest.raises(ConfigError, match=r"members\[0\].assignment_max"):
        from_dict(PoolConfig, {"id": "p", "members": [{"user_id": "u", "assignment_max": -1}]})


def test_quotas_and_conditions_save_and_old_pools_load() -> None:
    pool = make_pool(
        [
            PoolMember(
                "u1", assignment_max=5, condition={"field": "region", "op": "==", "value": "x"}
            )
        ],
        RoundRobin(),
    )
    pool.assign_to(ADMIN, make_leads(pool, 2), "u1", at=at(0))
    data = to_dict(pool)
    assert data["state"]["books"]["u1"]["assigned_days"] == {"2026-03-25": 2}
    assert from_dict(Pool, data) == pool
    # a pool stored before issue 19 (no quotas, conditions, day counts or auto_assign) loads
    for key in ("auto_assign", "quota_daily_share"):
        del data[key]
    for member in data["state"]["members"].values():
        del member["assignment_max"], member["condition"]
    for book in data["state"]["books"].values():
        del book["assigned_days"]
    old = from_dict(Pool, data)
    assert (old.auto_assign, old.members["u1"].assignment_max) == (False, None)
    assert old.quota("u1", date(2026, 3, 25)).assigned == 0


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("assign"), st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 40)
            ),
            st.tuples(st.just("ask"), st.booleans(), st.integers(0, 40)),
            st.tuples(
                st.just("quota"), st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 6)
            ),
        ),
        max_size=60,
    )
)
def test_the_members_over_quota_kept_within_a_day_are_those_a_scan_finds(
    steps: list[tuple[str, object, int]],
) -> None:
    """Issue 23: a pick no longer scans every member with a quota; what it keeps (worked out
    once per day, then updated by each assignment that day) is always what a scan finds."""
    members = {
        "u1": PoolMember("u1", assignment_max=3),
        "u2": PoolMember("u2", assignment_max=5),
        "u3": PoolMember("u3"),
        "u4": PoolMember("u4", assignment_max=1),
    }
    state = PoolState(members=dict(members))
    for what, who, day in steps:
        moment = at(day)
        if what == "assign":
            state.record_assignment(str(who), moment)
        elif what == "quota":
            state.change(str(who), PoolMember(str(who), assignment_max=day or None))
        else:
            share = bool(who)
            scan = {m for m in state.members if state.over_quota(m, moment.date(), share)}
            assert state.over_quota_members(moment.date(), share) == scan
