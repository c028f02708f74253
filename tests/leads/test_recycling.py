"""The protection period: follow-ups extend it, never past the hard maximum."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmcore.errors import PermissionDenied, ValidationError
from crmcore.leads import (
    Lead,
    LeadRecycled,
    LeadStatus,
    Pool,
    RecycleReason,
    RecycleRules,
    protection_until,
    recycle_due,
)
from tests.leads.leads_helpers import ADMIN, make_leads, make_pool, member

RULES = RecycleRules(protection_days=10, extension_days=3, hard_max_days=20)


def on(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def claimed_on_25_march() -> tuple[Pool, Lead]:
    pool = make_pool(["u1", "u2"], recycle=RULES)
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=on(3, 25))
    return pool, lead


def due(lead: Lead) -> date:
    found = protection_until(lead, RULES)
    assert found is not None
    return found[0]


def test_the_protection_period_example() -> None:
    _, lead = claimed_on_25_march()
    assert due(lead) == date(2026, 4, 4)
    lead.follow_up(member("u1"), at=on(3, 28), note="first call")
    assert due(lead) == date(2026, 4, 4)  # 31 March is earlier: nothing changes
    lead.follow_up(member("u1"), at=on(4, 2), note="sent the brochure")
    assert due(lead) == date(2026, 4, 5)
    lead.follow_up(member("u1"), at=on(4, 5), note="meeting booked")
    assert due(lead) == date(2026, 4, 8)
    for day in (8, 11):
        lead.follow_up(member("u1"), at=on(4, day))
    assert due(lead) == date(2026, 4, 14)  # 8 + 3 = 11, 11 + 3 = 14
    lead.follow_up(member("u1"), at=on(4, 13), note="still talking")
    assert protection_until(lead, RULES) == (date(2026, 4, 14), RecycleReason.HARD_MAXIMUM)


def test_recycled_on_14_april_whatever_happens() -> None:
    pool, lead = claimed_on_25_march()
    for day in (28, 31):
        lead.follow_up(member("u1"), at=on(3, day))
    for day in range(1, 14):
        lead.follow_up(member("u1"), at=on(4, day))
    assert pool.recycle_due([lead], date(2026, 4, 13)) == []
    (item,) = pool.recycle_due([lead], date(2026, 4, 14))
    assert (item.due_on, item.reason, item.owner_id) == (
        date(2026, 4, 14),
        RecycleReason.HARD_MAXIMUM,
        "u1",
    )
    lead.pull_events()
    recycled = pool.recycle(ADMIN, [lead], date(2026, 4, 14), at=on(4, 14, 0))
    assert [r.lead_id for r in recycled] == ["lead-1"]
    assert (lead.status, lead.owner_id) == (LeadStatus.NEW, None)
    assert lead.history[-1].ended_because == "recycled: hard_maximum"
    assert pool.open_leads("u1") == 0
    (event,) = lead.pull_events()
    assert isinstance(event, LeadRecycled)
    assert event.due_on == date(2026, 4, 14)


def test_recycle_due_lists_leads_in_due_order_and_skips_unheld_or_closed() -> None:
    pool = make_pool(["u1", "u2"], recycle=RULES)
    leads = make_leads(pool, 4)
    pool.claim(member("u1"), [leads[1]], at=on(3, 20))
    pool.claim(member("u2"), [leads[0]], at=on(3, 25))
    pool.claim(member("u2"), [leads[2]], at=on(3, 20))
    pool.invalidate(member("u2"), leads[2], at=on(3, 21), reason="spam")
    found = recycle_due(leads, date(2026, 4, 30), RULES)
    assert [(d.lead_id, d.due_on) for d in found] == [
        ("lead-2", date(2026, 3, 30)),
        ("lead-1", date(2026, 4, 4)),
    ]
    assert recycle_due(leads, date(2026, 4, 30), {"another-pool": RULES}) == []
    assert len(recycle_due(leads, date(2026, 4, 30), {"pool-1": RULES})) == 2


def test_not_converted_within_m_days() -> None:
    rules = RecycleRules(
        protection_days=10, extension_days=10, hard_max_days=60, convert_within_days=15
    )
    pool = make_pool(["u1"], recycle=rules)
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=on(3, 1))
    assert protection_until(lead, rules) == (date(2026, 3, 11), RecycleReason.PROTECTION_ENDED)
    lead.follow_up(member("u1"), at=on(3, 9))
    assert protection_until(lead, rules) == (date(2026, 3, 16), RecycleReason.NOT_CONVERTED)


def test_recycling_off_and_a_lead_without_owner_are_never_due() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    assert protection_until(lead, RULES) is None
    pool.claim(member("u1"), [lead], at=on(3, 1))
    assert protection_until(lead, RecycleRules()) is None
    assert pool.recycle_due([lead], date(2027, 1, 1)) == []


def test_recycle_is_for_admins() -> None:
    pool, lead = claimed_on_25_march()
    with pytest.raises(PermissionDenied, match="may not recycle leads"):
        pool.recycle(member("u1"), [lead], date(2026, 5, 1), at=on(5, 1))
    assert lead.owner_id == "u1"


def test_follow_up_only_by_the_owner_and_not_before_assignment() -> None:
    _, lead = claimed_on_25_march()
    with pytest.raises(PermissionDenied, match="only the owner u1"):
        lead.follow_up(member("u2"), at=on(3, 26))
    with pytest.raises(ValidationError, match="before lead lead-1's last change"):
        lead.follow_up(member("u1"), at=on(3, 24))
    assert lead.follow_ups == []
    assert lead.status is LeadStatus.ASSIGNED
    lead.follow_up(member("u1"), at=on(3, 26), note="called")
    assert lead.status is LeadStatus.FOLLOWING_UP


def test_recycle_rules_refuse_a_hard_maximum_shorter_than_the_protection() -> None:
    with pytest.raises(ValidationError, match="hard_max_days: must be >= protection_days"):
        RecycleRules(protection_days=10, hard_max_days=5)
    with pytest.raises(ValidationError, match="extension_days: must be >= 0"):
        RecycleRules(protection_days=10, extension_days=-1)
