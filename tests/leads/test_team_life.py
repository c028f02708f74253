"""What a sales team's day needs around the pool (issue 19): batch distribution that skips
what is not waiting, the default assignee as the overflow, the global daily claim limit across
pools, routing on optional custom fields."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import InvariantViolation, ValidationError
from crmcore.leads import (
    ClaimLimits,
    Lead,
    PoolMember,
    RecycleReason,
    RecycleRules,
    Router,
    RoutingRule,
    lead_todo,
)
from tests.leads.leads_helpers import ADMIN, MARKETING, T0, at, make_leads, make_pool, member


def test_batch_distribution_skips_leads_that_are_not_waiting_and_says_why() -> None:
    pool = make_pool(["u1", "u2"])
    other = make_pool(["u9"], pool_id="pool-2")
    leads = make_leads(pool, 5)
    (elsewhere,) = make_leads(other, 1, prefix="x")
    pool.claim(member("u2"), [leads[1]], at=at())
    pool.assign_to(ADMIN, [leads[2]], "u1", at=at())
    pool.convert(ADMIN, leads[2], _request(), at=at())
    result = pool.distribute(ADMIN, [*leads, elsewhere], at=at(1))
    assert [(a.lead_id, a.owner_id) for a in result.assignments] == [
        ("lead-1", "u1"),
        ("lead-4", "u2"),
        ("lead-5", "u1"),
    ]
    assert [(a.lead_id, a.reason) for a in result.skipped] == [
        ("lead-2", "already held by u2"),
        ("lead-3", "converted, not waiting"),
        ("x-1", "in pool pool-2, not pool-1"),
    ]
    assert result.unassigned == []
    assert leads[1].owner_id == "u2"  # left as it was
    assert (pool.open_leads("u1"), pool.open_leads("u2")) == (2, 2)


def _request():  # type: ignore[no-untyped-def]
    from crmcore.leads import ConversionRequest

    return ConversionRequest("acme", "c-1")


def test_the_default_assignee_takes_what_nobody_has_room_for() -> None:
    pool = make_pool(
        [
            PoolMember("u1", capacity=1),
            PoolMember("u2", capacity=1),
            PoolMember("lead", capacity=0),
        ],
        default_assignee="lead",
    )
    result = pool.distribute(ADMIN, make_leads(pool, 4), at=at())
    assert [(a.owner_id, a.how) for a in result.assignments] == [
        ("u1", "round_robin"),
        ("u2", "round_robin"),
        ("lead", "default_assignee"),
        ("lead", "default_assignee"),
    ]
    assert result.unassigned == []
    assert pool.open_leads("lead") == 2
    # an inactive default assignee takes nothing: the lead waits, and the result says so
    pool.update_member(ADMIN, "lead", at=at(), active=False)
    (late,) = make_leads(pool, 1, start=9)
    assert pool.distribute(ADMIN, [late], at=at(1)).unassigned == ["lead-9"]


def test_the_global_daily_claim_limit_counts_every_pool() -> None:
    east = make_pool(["u1"], pool_id="east")
    west = make_pool(["u1"], pool_id="west")
    (a,) = make_leads(east, 1, prefix="e")
    (b,) = make_leads(west, 1, prefix="w")
    limits = ClaimLimits(max_per_day=1)
    east.claim(member("u1"), [a], at=at(), global_limits=limits)
    claimed_in_east = east.state.book("u1").claims_that_day(at().date())
    with pytest.raises(InvariantViolation, match="claimed 1 leads in all pools on 2026-03-25"):
        west.claim(
            member("u1"),
            [b],
            at=at(),
            global_limits=limits,
            claimed_elsewhere_today=claimed_in_east,
        )
    assert b.owner_id is None
    # the next day the count starts again
    west.claim(member("u1"), [b], at=at(1), global_limits=limits, claimed_elsewhere_today=0)
    assert b.owner_id == "u1"
    with pytest.raises(Exception, match="claimed_elsewhere_today: must be a whole number"):
        west.claim(member("u1"), [], at=at(1), claimed_elsewhere_today=-1)


def test_a_rule_on_an_optional_custom_field_never_breaks_leads_without_it() -> None:
    router = Router(
        "general",
        [
            RoutingRule(
                "big companies",
                "key-accounts",
                {"field": "custom.employees", "op": ">=", "value": 500},
            )
        ],
    )
    big = Lead.capture(
        "L1", "Big", source="web", actor=MARKETING, at=T0, custom={"employees": 900}
    )
    small = Lead.capture(
        "L2", "Small", source="web", actor=MARKETING, at=T0, custom={"employees": 9}
    )
    unknown = Lead.capture("L3", "Unknown", source="web", actor=MARKETING, at=T0)
    assert [router.route(lead).pool_id for lead in (big, small, unknown)] == [
        "key-accounts",
        "general",
        "general",
    ]


def test_a_follow_up_has_a_channel_an_outcome_and_a_next_contact() -> None:
    pool = make_pool(["u1"], recycle=RecycleRules(protection_days=10, extension_days=5))
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at())
    pool.follow_up(
        member("u1"),
        lead,
        at=at(1),
        note="asked for a quote",
        channel="wechat",
        outcome="interested",
        next_contact_on=date(2026, 3, 30),
    )
    (follow_up,) = lead.follow_ups
    assert (follow_up.channel, follow_up.outcome, follow_up.next_contact_on) == (
        "wechat",
        "interested",
        date(2026, 3, 30),
    )
    assert lead.next_contact_on == date(2026, 3, 30)
    event = lead.pull_events()[-1]
    assert (event.channel, event.next_contact_on) == ("wechat", date(2026, 3, 30))
    with pytest.raises(ValidationError, match="channel 'fax' is not one of 'call', 'visit'"):
        pool.follow_up(member("u1"), lead, at=at(2), channel="fax")
    with pytest.raises(ValidationError, match="next_contact_on 2026-03-01 is before"):
        pool.follow_up(member("u1"), lead, at=at(2), next_contact_on=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="next_contact_on must be a date"):
        pool.follow_up(member("u1"), lead, at=at(2), next_contact_on="2026-04-01")  # type: ignore[arg-type]
    assert len(lead.follow_ups) == 1


def test_the_to_do_lists_follow_ups_due_and_leads_about_to_be_recycled() -> None:
    rules = RecycleRules(protection_days=10, extension_days=5)
    pool = make_pool(["u1", "u2"], recycle=rules)
    a, b, c = make_leads(pool, 3)
    pool.claim(member("u1"), [a, b], at=at())  # 25 March: protected until 4 April
    pool.claim(member("u2"), [c], at=at(6))  # 31 March: until 10 April
    pool.follow_up(member("u1"), a, at=at(1), channel="call", next_contact_on=date(2026, 3, 28))
    # a: the follow-up on 26 March extends to 31 March, earlier than 4 April: no change
    todo = lead_todo([a, b, c], date(2026, 4, 2), rules, warn_days=3)
    assert [(t.kind.value, t.lead_id, t.owner_id, t.due_on, t.days_left) for t in todo] == [
        ("follow_up_due", "lead-1", "u1", date(2026, 3, 28), -5),
        ("recycle_soon", "lead-1", "u1", date(2026, 4, 4), 2),
        ("recycle_soon", "lead-2", "u1", date(2026, 4, 4), 2),
    ]
    assert todo[1].reason is RecycleReason.PROTECTION_ENDED
    # a week later c is close too, and a and b are already due back (negative days left)
    later = lead_todo([a, b, c], date(2026, 4, 8), {"pool-1": rules}, warn_days=2)
    assert [(t.lead_id, t.days_left) for t in later if t.kind.value == "recycle_soon"] == [
        ("lead-1", -4),
        ("lead-2", -4),
        ("lead-3", 2),
    ]
    assert lead_todo([a, b, c], date(2026, 4, 8), {}, warn_days=2)[0].kind.value == "follow_up_due"
    with pytest.raises(ValidationError, match="warn_days"):
        lead_todo([], date(2026, 4, 8), rules, warn_days=-1)
