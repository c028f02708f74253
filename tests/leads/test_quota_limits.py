"""Issue 19: whether the 30-day quota limits members' claims and admins' assignments too
(``PoolConfig.quota_limits``), and the default assignee checked against the members."""

from __future__ import annotations

import pytest

from crmcore.errors import ConfigError, InvariantViolation, ValidationError
from crmcore.leads import Pool, PoolConfig, PoolMember
from crmcore.serialization import from_dict, to_dict
from tests.leads.leads_helpers import ADMIN, at, make_leads, member

U1 = member("u1")


def pool_limiting(limits: str, *, daily_share: bool = False, cap: int = 2) -> Pool:
    return Pool.from_config(
        PoolConfig(
            "p",
            members=(PoolMember("u1", assignment_max=cap), PoolMember("u2")),
            quota_limits=limits,
            quota_daily_share=daily_share,
        )
    )


def test_by_default_the_quota_limits_automatic_assignment_only_as_in_odoo() -> None:
    pool = pool_limiting("automatic")
    leads = make_leads(pool, 4)
    pool.claim(U1, leads[:2], at=at())
    pool.claim(U1, leads[2:3], at=at())  # 3 of a quota of 2: counted, not refused
    pool.assign_to(ADMIN, leads[3:], "u1", at=at())
    assert pool.quota("u1", at().date()).assigned == 4
    # the policy gives u1 nothing more in the window: u2 takes the next ones
    more = make_leads(pool, 2, prefix="m")
    assert [a.owner_id for a in pool.distribute(ADMIN, more, at=at()).assignments] == [
        "u2",
        "u2",
    ]


def test_claims_within_the_quota_then_refused_until_the_window_moves_on() -> None:
    pool = pool_limiting("claims")
    leads = make_leads(pool, 4)
    pool.claim(U1, leads[:2], at=at())
    with pytest.raises(
        InvariantViolation,
        match=r"u1 got 2 leads in the 30 days up to 2026-04-23; claiming 1 more would pass "
        r"their quota of 2 \(the pool's quotas limit 'claims' assignments\)",
    ):
        pool.claim(U1, leads[2:3], at=at(29))
    assert leads[2].owner_id is None
    # an admin may still give u1 a lead ("claims" leaves admins free)
    pool.assign_to(ADMIN, leads[2:3], "u1", at=at(29))
    # 25 March left the window on 24 April (day 30): the lead from day 29 still counts
    pool.claim(U1, leads[3:], at=at(30))
    assert pool.quota("u1", at(30).date()).assigned == 2


def test_all_limits_an_admin_s_assignment_too_and_the_daily_share() -> None:
    pool = pool_limiting("all")
    leads = make_leads(pool, 3)
    pool.assign_to(ADMIN, leads[:2], "u1", at=at())
    with pytest.raises(InvariantViolation, match="assigning 1 more would pass their quota of 2"):
        pool.assign_to(ADMIN, leads[2:], "u1", at=at())
    # a quota of 60 has a daily share of 60 / 30 = 2
    shared = pool_limiting("claims", daily_share=True, cap=60)
    batch = make_leads(shared, 3)
    shared.claim(U1, batch[:2], at=at())
    with pytest.raises(
        InvariantViolation,
        match="got 2 leads in that day; claiming 1 more would pass their daily share of 2",
    ):
        shared.claim(U1, batch[2:], at=at())
    shared.claim(U1, batch[2:], at=at(1))
    assert [lead.owner_id for lead in batch] == ["u1", "u1", "u1"]
    # u2 has no quota: nothing limits their claims
    free = make_leads(shared, 3, prefix="f")
    assert shared.claim(member("u2"), free, at=at()).per_member() == {"u2": 3}


def test_the_pool_configuration_is_checked() -> None:
    with pytest.raises(ValidationError, match="quota_limits: 'some' is not one of 'automatic'"):
        PoolConfig("p", quota_limits="some")
    with pytest.raises(
        ConfigError,
        match=r"pool p: default_assignee 'lead' is not a member \(members: u1, u2\)",
    ):
        PoolConfig("p", members=(PoolMember("u1"), PoolMember("u2")), default_assignee="lead")
    with pytest.raises(ConfigError, match=r"\(members: none\)"):
        PoolConfig("p", default_assignee="lead")
    loaded = from_dict(PoolConfig, {"id": "p", "quota_limits": "all"})
    assert to_dict(loaded)["quota_limits"] == "all"
