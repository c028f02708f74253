"""Issue 19 through the services on both adapters: several sales processes (one per product
line), a configured lost-reason list, and reopening a lost deal with its history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.forecast import Opportunity, OpportunityStatus, SalesProcess, StageChange
from crmcore.leads import OpportunityDraft
from crmcore.serialization import from_dict, to_dict
from tests.services.helpers import (
    ANN,
    BACKENDS,
    BOB,
    DAN,
    MIA,
    PROCESS,
    World,
    cny,
    memory_world,
    world_on,
)

REASONS = ("price", "competitor", "no budget", "no decision")
#: Service contracts: a shorter process of their own, with its own probabilities.
SERVICE = from_dict(
    SalesProcess,
    {
        "id": "service",
        "name": "Service contracts",
        "stages": [
            {"name": "scoping", "probability": "20"},
            {"name": "quote", "probability": "60", "required_fields": ["sla"]},
        ],
        "lost_reasons": ["price", "stayed with incumbent"],
    },
)
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The shared world with two sales processes and a lost-reason list."""
    changes = {
        "sales_process": from_dict(SalesProcess, {**to_dict(PROCESS), "lost_reasons": REASONS}),
        "sales_processes": (SERVICE,),
    }
    with world_on(request.param, tmp_path, **changes) as made:
        yield made


def test_each_deal_follows_its_own_process_and_forecast(world: World) -> None:
    crm = world.crm
    machines = crm.opportunities.create(ANN, cny("100000"), stage="proposal")
    service = crm.opportunities.create(ANN, cny("40000"), process_id="service")
    assert (machines.process.id, machines.stage) == ("b2b", "proposal")
    assert (service.process.id, service.stage) == ("service", "scoping")
    # the service process's own gate: a deal in "quote" needs the SLA before it is won
    crm.opportunities.advance(ANN, service.id, "quote")
    with pytest.raises(InvalidTransition, match="quote: sla"):
        crm.opportunities.win(ANN, service.id)
    with pytest.raises(NotFound, match="'service' has no stage 'proposal'"):
        crm.opportunities.advance(ANN, service.id, "proposal")
    crm.opportunities.create(ANN, cny("10000"), process_id="service")
    # each funnel by its own stages: b2b 100,000 × 50 % = 50,000;
    # service 40,000 × 60 % + 10,000 × 20 % = 24,000 + 2,000 = 26,000
    b2b = crm.queries.forecast(ANN)
    assert (b2b.total.count, b2b.total.weighted) == (1, cny("50000"))
    by_stage = crm.queries.forecast(ANN, process_id="service")
    assert (by_stage.total.count, by_stage.total.amount, by_stage.total.weighted) == (
        2,
        cny("50000"),
        cny("26000"),
    )
    assert by_stage.row("quote").weighted == cny("24000")
    with pytest.raises(ValidationError, match="no sales process 'retail'"):
        crm.opportunities.create(ANN, cny("1"), process_id="retail")


def converted(world: World, **draft: str) -> Opportunity:
    """The deal "opp-svc" opened by converting a lead Ann claimed, with ``draft``'s fields."""
    crm = world.crm
    lead = crm.leads.create(DAN, "Li Lei", source="expo", region="Shanghai")
    crm.leads.claim(ANN, lead.id)
    opportunity = OpportunityDraft("opp-svc", "Maintenance", cny("30000"), OPENED.date(), **draft)
    crm.leads.convert(ANN, lead.id, customer_id="acme", contact_id="li", opportunity=opportunity)
    with world.storage.unit_of_work() as uow:
        return uow.repository(Opportunity).get("opp-svc")


def test_a_lead_converts_into_the_process_its_draft_names(world: World) -> None:
    stored = converted(world, process_id="service")
    assert (stored.process.id, stored.stage, stored.lead_id) == ("service", "scoping", "lead-1")


def test_a_deal_is_lost_for_a_listed_reason_and_reopened_with_its_history(world: World) -> None:
    crm, clock = world.crm, world.clock
    deal = crm.opportunities.create(ANN, cny("80000"), stage="proposal")
    before = world.snapshot()
    with pytest.raises(ValidationError, match="lost reason 'too expensive' is not one of"):
        crm.opportunities.lose(ANN, deal.id, "too expensive")
    with pytest.raises(InvalidTransition):
        crm.opportunities.reopen(ANN, deal.id, "they called back")  # it is not lost
    assert world.snapshot() == before
    clock.advance(days=3)
    crm.opportunities.lose(ANN, deal.id, "competitor")
    with pytest.raises(PermissionDenied):
        crm.opportunities.reopen(BOB, deal.id, "mine now")  # a colleague's deal
    with pytest.raises(ValidationError, match="a non-empty reason is required"):
        crm.opportunities.reopen(ANN, deal.id, "  ")
    clock.advance(days=10)
    back = crm.opportunities.reopen(ANN, deal.id, "the competitor could not deliver")
    assert (back.status, back.stage, back.reason, back.closed_at) == (
        OpportunityStatus.OPEN,
        "proposal",
        None,
        None,
    )
    lost_at, reopened_at = OPENED.replace(day=5), OPENED.replace(day=15)
    assert back.history[-2:] == [
        StageChange(lost_at, "ann", "proposal", None, OpportunityStatus.LOST, "competitor"),
        StageChange(
            reopened_at,
            "ann",
            None,
            "proposal",
            OpportunityStatus.OPEN,
            "the competitor could not deliver",
        ),
    ]
    # two stays in proposal: 3 days before the loss, and the one open since the reopening
    assert [(v.stage, v.entered_at, v.left_at) for v in back.visits] == [
        ("proposal", OPENED, lost_at),
        ("proposal", reopened_at, None),
    ]
    assert crm.queries.forecast(ANN).total.weighted == cny("40000")
    won = crm.opportunities.advance(ANN, deal.id, "contract")  # under 100,000: no approval
    assert won.advanced
    assert crm.opportunities.win(ANN, deal.id).status is OpportunityStatus.WON
    # a manager's lost reason comes from the same list
    other = crm.opportunities.create(ANN, cny("5000"))
    assert crm.opportunities.lose(MIA, other.id, "no budget").reason == "no budget"


def test_process_ids_are_unique_and_the_service_process_keeps_its_reasons() -> None:
    with pytest.raises(ConfigError, match=r"ids \['b2b'\] are configured twice"):
        memory_world(sales_processes=(PROCESS,))
    world = memory_world(sales_process=None, sales_processes=(SERVICE,))
    crm = world.crm
    deal = crm.opportunities.create(ANN, cny("1000"))  # the first one is the default
    assert deal.process.id == "service"
    with pytest.raises(ValidationError, match="'price', 'stayed with incumbent'"):
        crm.opportunities.lose(ANN, deal.id, "competitor")
