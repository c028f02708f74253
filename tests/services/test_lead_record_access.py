"""Issue 13 for leads: follow-up, return and convert go through the one record-access rule
(own; team = the owner's managers; all = the granted roles), widened — as documented for
pools — by the pool's own admins; through the services on memory, SQLite (and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcore.errors import InvalidTransition, PermissionDenied
from crmcore.leads import ClaimLimits, Lead, LeadStatus, PoolConfig, PoolMember
from crmcore.services import AccessPolicy
from tests.services.helpers import ACTORS, ANN, BACKENDS, BOB, DAN, MIA, World, world_on

MKT = ACTORS["mkt"]
#: East's admin is mkt, a salesperson of marketing outside Ann's chain (ann → mia → dan).
EAST = PoolConfig(
    "east",
    members=(PoolMember("ann"), PoolMember("bob")),
    admins=frozenset({"mkt"}),
    claim_limits=ClaimLimits(),
)
#: Managers may follow up their team's leads too (a joint visit).
ACCESS = AccessPolicy.with_overrides({"lead.follow_up": ["sales", "manager"]})


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with world_on(request.param, tmp_path, pools=(EAST,), router=None, access=ACCESS) as made:
        yield made


def anns_lead(world: World) -> str:
    lead = world.crm.leads.create(DAN, "Li Lei", source="expo")
    world.crm.leads.claim(ANN, lead.id)
    world.sent()
    return lead.id


def stored(world: World, lead_id: str) -> Lead:
    with world.storage.unit_of_work() as uow:
        return uow.repository(Lead).get(lead_id)


def test_her_manager_follows_up_and_returns_her_lead_a_colleague_may_not(world: World) -> None:
    crm = world.crm
    lead_id = anns_lead(world)
    before = world.snapshot()
    for call in (
        lambda: crm.leads.follow_up(BOB, lead_id, "hi"),
        lambda: crm.leads.return_lead(BOB, lead_id, "unreachable"),
        lambda: crm.leads.convert(BOB, lead_id, customer_id="acme", contact_id="li"),
    ):
        with pytest.raises(
            PermissionDenied,
            match=r"bob may not write lead lead-1: it belongs to ann \(only the owner, the "
            r"owner's managers or roles admin may\); the admins of pool east may too",
        ):
            call()
    assert world.snapshot() == before
    assert world.sent() == []
    # mia is Ann's manager (team scope), not an admin of east: her follow-up names her and
    # does not extend Ann's protection (only the owner's follow-ups do)
    crm.leads.follow_up(MIA, lead_id, "joint visit", channel="visit")
    lead = stored(world, lead_id)
    assert [(f.by, f.channel) for f in lead.follow_ups] == [("mia", "visit")]
    assert lead.follow_ups_since_assigned() == []
    crm.leads.return_lead(MIA, lead_id, "not interested", "after the joint visit")
    lead = stored(world, lead_id)
    assert (lead.owner_id, lead.status) == (None, LeadStatus.NEW)


def test_the_pool_s_admin_outside_the_chain_keeps_the_documented_rights(world: World) -> None:
    crm = world.crm
    lead_id = anns_lead(world)
    result = crm.leads.convert(MKT, lead_id, customer_id="acme", contact_id="li")
    assert (result.converted_by, stored(world, lead_id).status) == ("mkt", LeadStatus.CONVERTED)


def test_without_team_write_only_the_owner_admins_and_the_pool_admins_write(
    tmp_path: Path,
) -> None:
    with world_on(
        "memory", tmp_path, pools=(EAST,), router=None, access=ACCESS, team_write=False
    ) as world:
        lead_id = anns_lead(world)
        with pytest.raises(PermissionDenied, match=r"\(only the owner or roles admin may\)"):
            world.crm.leads.return_lead(MIA, lead_id, "unreachable")
        world.crm.leads.return_lead(MKT, lead_id, "unreachable")  # the pool's admin
        assert stored(world, lead_id).owner_id is None


def test_a_lead_in_no_pool_is_written_by_the_rule_alone(world: World) -> None:
    lead = world.crm.leads.create(DAN, "Unrouted", source="web", route=False)
    with pytest.raises(
        PermissionDenied,
        match=r"ann may not write lead lead-1: it belongs to nobody \(only "
        r"the owner, the owner's managers or roles admin may\)$",
    ):
        world.crm.leads.follow_up(ANN, lead.id, "hello")
    # an admin reaches it, and the lead's own rule answers: nobody holds it to follow it up
    with pytest.raises(InvalidTransition, match="follow_up"):
        world.crm.leads.follow_up(DAN, lead.id, "hello")
