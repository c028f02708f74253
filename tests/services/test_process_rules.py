"""Issue 19: several sales processes chosen at creation by configuration — per department,
record type or product line — with an explicit ``process_id`` still winning; through the
services on memory, SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crmcore.errors import ConfigError, ValidationError
from crmcore.forecast import SalesProcess
from crmcore.serialization import from_dict
from crmcore.services import CrmConfig, ProcessRule
from tests.services.helpers import ACTORS, ANN, BACKENDS, PROCESS, World, cny, world_on
from tests.services.test_sales_processes import converted

MKT = ACTORS["mkt"]
SERVICE = from_dict(
    SalesProcess,
    {
        "id": "service",
        "stages": [
            {"name": "scoping", "probability": "20"},
            {"name": "quote", "probability": "60"},
        ],
    },
)
#: Marketing's inbound deals: one stage at 30 %.
INBOUND = from_dict(
    SalesProcess, {"id": "inbound", "stages": [{"name": "talk", "probability": "30"}]}
)
RULES = (
    ProcessRule("service", record_type="service"),
    ProcessRule("service", product_line="maintenance"),
    ProcessRule("inbound", department="marketing"),
)
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The shared world with b2b (the default), service and inbound, chosen by RULES."""
    changes = {"sales_processes": (SERVICE, INBOUND), "process_rules": RULES}
    with world_on(request.param, tmp_path, **changes) as made:
        yield made


def test_the_rules_choose_the_process_and_an_explicit_id_wins(world: World) -> None:
    crm = world.crm
    plain = crm.opportunities.create(ANN, cny("100000"), stage="proposal")  # east: no rule
    typed = crm.opportunities.create(ANN, cny("40000"), record_type="service")
    line = crm.opportunities.create(ANN, cny("10000"), product_line="maintenance")
    inbound = crm.opportunities.create(MKT, cny("20000"))  # marketing's department rule
    # the first matching rule wins: marketing's service deal is a service deal
    first = crm.opportunities.create(MKT, cny("5000"), record_type="service")
    named = crm.opportunities.create(
        ANN, cny("30000"), stage="proposal", process_id="b2b", record_type="service"
    )
    assert [d.process.id for d in (plain, typed, line, inbound, first, named)] == [
        "b2b",
        "service",
        "service",
        "inbound",
        "service",
        "b2b",
    ]
    # each funnel by its own stages: b2b (100,000 + 30,000) × 50 % = 65,000; service
    # (40,000 + 10,000) × 20 % = 10,000 for ann; inbound 20,000 × 30 % = 6,000 for mkt
    assert crm.queries.forecast(ANN).total.weighted == cny("65000")
    assert crm.queries.forecast(ANN, process_id="service").total.weighted == cny("10000")
    assert crm.queries.forecast(MKT, process_id="inbound").total.weighted == cny("6000")


def test_a_converted_lead_s_deal_follows_the_rules_too(world: World) -> None:
    stored = converted(world, product_line="maintenance")
    assert (stored.process.id, stored.stage) == ("service", "scoping")


def test_an_unknown_record_type_or_product_line_is_refused_and_nothing_changes(
    world: World,
) -> None:
    crm = world.crm
    before = world.snapshot()
    with pytest.raises(ValidationError, match=r"record_type: 'servce' is not configured"):
        crm.opportunities.create(ANN, cny("1000"), record_type="servce")
    with pytest.raises(ValidationError, match=r"product_line: 'tools' .*\(configured: maint"):
        crm.opportunities.create(ANN, cny("1000"), product_line="tools")
    with pytest.raises(ValidationError, match="record_type"):
        crm.opportunities.create(ANN, cny("1000"), record_type=3)  # type: ignore[arg-type]
    assert world.snapshot() == before


def test_bad_rules_are_refused_with_the_path() -> None:
    base = {"sales_process": PROCESS, "sales_processes": (SERVICE,)}
    cases = [
        (
            (ProcessRule("nope", department="east"),),
            r"process_rules\[0\].process_id: no sales "
            r"process 'nope' is configured \(configured: b2b, service\)",
        ),
        ((RULES[0], ProcessRule("service")), r"process_rules\[1\]: matches every deal"),
        (({"process_id": "service"},), r"process_rules\[0\]: expected a ProcessRule"),
    ]
    for rules, message in cases:
        with pytest.raises(ConfigError, match=message):
            CrmConfig(**base, process_rules=rules)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="non-empty name, got ' '"):
        ProcessRule("service", department=" ")
    # no rule names a record type: any record type is unknown
    config = CrmConfig(**base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"'service' is not configured \(configured: none"):
        config.select_sales_process(record_type="service")
    assert config.select_sales_process(department="east").id == "b2b"
