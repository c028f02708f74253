"""Issue 19: a departing member's leads handed over by the pool, with their history."""

from __future__ import annotations

import pytest

from crmcore.errors import PermissionDenied, ValidationError
from crmcore.leads import LeadHandedOver, LeadStatus, PoolMember
from crmcore.serialization import to_dict
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool, member


def test_redistribution_fills_room_then_the_default_assignee_then_leaves_the_rest() -> None:
    pool = make_pool(
        ["u1", PoolMember("u2", capacity=1), PoolMember("u3", capacity=0)],
        default_assignee="u3",
    )
    leads = make_leads(pool, 3)
    pool.assign_to(ADMIN, leads, "u1", at=at(0))
    pool.remove_member(ADMIN, "u1", at=at(1))
    result = pool.hand_over(ADMIN, leads, "u1", at=at(1), reason="resigned", redistribute=True)
    # u2 has room for one; then nobody has room and u3, the default assignee, takes the rest
    assert [(a.owner_id, a.how) for a in result.assignments] == [
        ("u2", "handover"),
        ("u3", "handover"),
        ("u3", "handover"),
    ]
    events = [e for lead in leads for e in lead.pull_events() if isinstance(e, LeadHandedOver)]
    assert [(e.previous_owner_id, e.owner_id, e.reason) for e in events] == [
        ("u1", "u2", "resigned"),
        ("u1", "u3", "resigned"),
        ("u1", "u3", "resigned"),
    ]
    assert (pool.open_leads("u1"), pool.open_leads("u2"), pool.open_leads("u3")) == (0, 1, 2)


def test_without_room_or_default_assignee_the_leads_wait_in_the_pool() -> None:
    pool = make_pool(["u1", PoolMember("u2", capacity=0)])
    leads = make_leads(pool, 2)
    pool.assign_to(ADMIN, leads, "u1", at=at(0))
    pool.update_member(ADMIN, "u1", at=at(1), active=False)
    result = pool.hand_over(ADMIN, leads, "u1", at=at(1), reason="on leave", redistribute=True)
    assert [(a.owner_id, a.reason) for a in result.assignments] == [
        (None, "back to the pool"),
        (None, "back to the pool"),
    ]
    assert [lead.status for lead in leads] == [LeadStatus.NEW, LeadStatus.NEW]
    assert leads[0].history[-1].ended_because == "handed over by admin-1: on leave"


@pytest.mark.parametrize(
    ("from_id", "reason", "to", "error", "message"),
    [
        ("u1", "", None, ValidationError, "a reason is required"),
        ("", "left", None, ValidationError, "from_id must be a user id"),
        ("u1", "left", "u1", ValidationError, "cannot hand leads over to themself"),
    ],
)
def test_bad_handovers_change_nothing(
    from_id: str, reason: str, to: str | None, error: type[Exception], message: str
) -> None:
    pool = make_pool(["u1", "u2"])
    leads = make_leads(pool, 1)
    pool.assign_to(ADMIN, leads, "u1", at=at(0))
    pool.remove_member(ADMIN, "u1", at=at(1))
    before = (to_dict(pool), to_dict(leads[0]))
    with pytest.raises(error, match=message):
        pool.hand_over(ADMIN, leads, from_id, at=at(1), reason=reason, to=to)
    with pytest.raises(PermissionDenied, match="may not hand over leads"):
        pool.hand_over(member("u2"), leads, "u1", at=at(1), reason="left", to="u2")
    assert (to_dict(pool), to_dict(leads[0])) == before
