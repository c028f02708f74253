"""Issue 19's edges through the services: who may not receive a handover, a member already
inactive, a salesperson without a manager, lost reasons configured after a deal opened."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from crmcore.errors import ConfigError, InvariantViolation, ValidationError
from crmcore.forecast import ForecastAggregate, OpportunityRecord, SalesProcess
from crmcore.leads import PoolConfig, PoolMember
from crmcore.leads._state import daily_share_of
from crmcore.money import Money
from crmcore.serialization import from_dict, to_dict
from crmcore.services import Crm
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool
from tests.services.helpers import ANN, DAN, MIA, PROCESS, cny, config, memory_world


def test_a_handover_needs_a_real_member_an_active_receiver_and_someone_for_the_deals() -> None:
    world = memory_world()
    crm, directory = world.crm, world.directory
    crm.opportunities.create(ANN, cny("1000"))
    with pytest.raises(ValidationError, match="member_id must be a user id"):
        crm.leads.hand_over(MIA, " ", reason="left")
    directory.put(attrs.evolve(directory.user("bob"), active=False))
    with pytest.raises(ValidationError, match="to 'bob' is not an active user"):
        crm.leads.hand_over(MIA, "ann", reason="left", to="bob")
    directory.put(attrs.evolve(directory.user("mia"), active=False))
    with pytest.raises(ValidationError, match="no active manager; name opportunities_to"):
        crm.leads.hand_over(DAN, "ann", reason="left")


def test_an_inactive_member_stays_inactive_and_nothing_is_left_to_move() -> None:
    world = memory_world()
    crm = world.crm
    crm.leads.hand_over(MIA, "ann", reason="leave", leaving=False)  # made inactive
    report = crm.leads.hand_over(MIA, "ann", reason="leave, again", leaving=False)
    assert (report.leads, report.opportunities, report.per_receiver()) == ((), (), {})


def test_lost_reasons_configured_later_apply_to_deals_opened_before() -> None:
    world = memory_world()
    deal = world.crm.opportunities.create(ANN, cny("1000"))
    stricter = from_dict(SalesProcess, {**to_dict(PROCESS), "lost_reasons": ["price"]})
    later = Crm(
        world.storage,
        world.directory,
        world.notifier,
        world.clock,
        world.crm.ids,
        config(sales_process=stricter),
    )
    with pytest.raises(ValidationError, match="lost reason 'timing' is not one of 'price'"):
        later.opportunities.lose(ANN, deal.id, "timing")
    assert later.opportunities.lose(ANN, deal.id, "price").reason == "price"


def test_sales_processes_must_be_processes() -> None:
    with pytest.raises(ConfigError, match=r"sales_processes\[0\]: expected a SalesProcess"):
        config(sales_processes=({"id": "x"},))


def test_a_pool_without_auto_assign_refuses_to_assign_by_itself_and_a_zero_quota() -> None:
    pool = make_pool(["u1"])
    with pytest.raises(InvariantViolation, match="auto_assign is off"):
        pool.assign_automatically(ADMIN, make_leads(pool, 1), at=at(0))
    assert (daily_share_of(0), daily_share_of(14), daily_share_of(15), daily_share_of(300)) == (
        0,
        1,
        1,
        10,
    )
    quiet = make_pool([PoolMember("u1", assignment_max=0), "u2"])
    assert [
        a.owner_id for a in quiet.distribute(ADMIN, make_leads(quiet, 2), at=at(0)).assignments
    ] == [
        "u2",
        "u2",
    ]
    assert PoolConfig("p", auto_assign=True).auto_assign


def test_a_partition_that_met_its_base_later_converts_what_it_had_already() -> None:
    process = from_dict(SalesProcess, {"id": "p", "stages": [{"name": "a", "probability": "10"}]})
    part = ForecastAggregate(process, rates={"USD": "7"})
    part.add(OpportunityRecord("u", "x", "a", Money(100, "USD"), date(2026, 3, 1)))
    part.add(OpportunityRecord("c", "x", "a", Money(300, "CNY"), date(2026, 3, 1)))
    # 100 USD × 7 + 300 CNY = 1,000 CNY
    assert part.table(()).total.amount == Money(1000, "CNY")
