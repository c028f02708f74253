"""Issue 19 through the services on both adapters: a lead created into a pool that says
auto_assign is routed AND assigned in the same unit of work, within the members' 30-day
quotas and conditions, with the default assignee as the fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcore.errors import InvariantViolation
from crmcore.leads import Lead, LeadStatus, PoolConfig, PoolMember
from tests.services.helpers import ANN, BACKENDS, DAN, MIA, World, memory_world, world_on

EAST = PoolConfig(
    "east",
    members=(
        PoolMember("ann", assignment_max=2),
        PoolMember("bob", assignment_max=1),
        PoolMember("mkt", condition={"field": "industry", "op": "==", "value": "retail"}),
    ),
    admins=frozenset({"mia", "dan"}),
    auto_assign=True,
)
GENERAL = PoolConfig("general", members=(PoolMember("bob"),), admins=frozenset({"dan"}))


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The shared world, with an east pool that auto-assigns within quotas."""
    with world_on(request.param, tmp_path, pools=(EAST, GENERAL)) as made:
        yield made


def test_new_leads_are_routed_and_assigned_within_quotas(world: World) -> None:
    crm = world.crm
    created = [
        crm.leads.create(DAN, f"Prospect {i}", source="expo", region="Shanghai", industry=industry)
        for i, industry in enumerate(["retail", "energy", "retail", "energy", "retail"])
    ]
    # round robin ann, bob, mkt (retail leads only); bob's quota is 1, ann's 2. When nobody
    # has quota left the lead waits: the pool has no default assignee.
    assert [(lead.pool_id, lead.owner_id) for lead in created] == [
        ("east", "ann"),
        ("east", "bob"),
        ("east", "mkt"),
        ("east", "ann"),
        ("east", "mkt"),
    ]
    assert world.sent() == [
        ("ann", "lead assigned to you"),
        ("bob", "lead assigned to you"),
        ("mkt", "lead assigned to you"),
        ("ann", "lead assigned to you"),
        ("mkt", "lead assigned to you"),
    ]
    waiting = crm.leads.create(DAN, "Prospect 5", source="expo", region="Shanghai")
    assert (waiting.owner_id, waiting.status) == (None, LeadStatus.NEW)
    # the general pool does not auto-assign
    walk_in = crm.leads.create(DAN, "Walk-in", source="web", region="Yunnan")
    assert (walk_in.pool_id, walk_in.owner_id) == ("general", None)
    with world.storage.unit_of_work() as uow:
        stored = uow.repository(Lead).get(created[0].id)
    assert (stored.owner_id, stored.history[0].how) == ("ann", "round_robin")


def test_the_default_assignee_takes_the_overflow_when_every_quota_is_used_up() -> None:
    east = PoolConfig(
        "east",
        members=(PoolMember("ann", assignment_max=1), PoolMember("bob", assignment_max=1)),
        admins=frozenset({"mia"}),
        default_assignee="bob",
        auto_assign=True,
    )
    crm = memory_world(pools=(east,), router=None).crm
    owners = [
        (lead.owner_id, lead.history[-1].how)
        for lead in (crm.leads.create(MIA, f"P{i}", source="expo") for i in range(3))
    ]
    assert owners == [("ann", "round_robin"), ("bob", "round_robin"), ("bob", "default_assignee")]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_pool_whose_quotas_limit_claims_refuses_the_claim_past_the_quota(
    backend: str, tmp_path: Path
) -> None:
    east = PoolConfig(
        "east",
        members=(PoolMember("ann", assignment_max=1), PoolMember("bob")),
        admins=frozenset({"mia"}),
        quota_limits="claims",
    )
    with world_on(backend, tmp_path, pools=(east,), router=None) as world:
        crm = world.crm
        first, second = (crm.leads.create(MIA, f"P{i}", source="expo") for i in range(2))
        crm.leads.claim(ANN, first.id)
        before = world.snapshot()
        with pytest.raises(InvariantViolation, match="would pass their quota of 1"):
            crm.leads.claim(ANN, second.id)
        assert world.snapshot() == before
        # the admin may still give it to her: "claims" leaves admins' assignments free
        assert crm.leads.assign(MIA, second.id, "ann").per_member() == {"ann": 1}
