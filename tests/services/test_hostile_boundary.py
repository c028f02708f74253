"""Issue 15: every use case checks its arguments' types up front and names the bad one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from crmcore.errors import ValidationError
from crmcore.services import (
    ApprovalService,
    LeadService,
    OpportunityService,
    OrderService,
    Queries,
    ReceivableService,
)
from tests.services.helpers import ANN, BOB, FAY, World, cny, memory_world

Call = Callable[[World], Any]

CASES: list[tuple[str, Call, str]] = [
    (
        "a string date",
        lambda w: w.crm.receivables.record_payment(
            ANN, "r-1", cny("10"), received_on="2026-03-02"
        ),
        r"record_payment: received_on: expected date, got str '2026-03-02'",
    ),
    (
        "an int amount",
        lambda w: w.crm.receivables.record_payment(ANN, "r-1", 100, received_on=date(2026, 3, 2)),
        r"record_payment: amount: expected Money, got int 100",
    ),
    (
        "an id given as a list",
        lambda w: w.crm.leads.claim(ANN, ["lead-1"]),
        r"claim: lead_id: expected str, got list \['lead-1'\]",
    ),
    (
        "a Decimal phone number",
        lambda w: w.crm.leads.create(BOB, "Wu", source="web", phone=Decimal("13800000000")),
        r"create: phone: expected str, got Decimal Decimal\('13800000000'\)",
    ),
    (
        "an actor given as a number",
        lambda w: w.crm.leads.create(42, "Wu", source="web"),
        r"create: actor: expected Actor or str, got int 42",
    ),
    (
        "a missing argument",
        lambda w: w.crm.leads.create(BOB, "Wu"),
        r"create: missing a required argument: 'source'",
    ),
    (
        "an unknown keyword",
        lambda w: w.crm.leads.create(BOB, "Wu", source="web", colour="red"),
        r"create: got an unexpected keyword argument 'colour'",
    ),
    (
        "custom fields that cannot be stored",
        lambda w: w.crm.leads.create(BOB, "Wu", source="web", custom={"tags": {1, 2}}),
        r"custom\.tags: cannot store set",
    ),
    (
        "a date out of the supported range",
        lambda w: w.crm.receivables.send_reminders(FAY, as_of=date.max),
        r"send_reminders: as_of: 9999-12-31 is outside the supported",
    ),
    (
        "a line given as a dict",
        lambda w: w.crm.orders.draft(ANN, customer="acme", currency="CNY", lines=[{"sku": "D"}]),
        r"draft: lines\[0\]: expected LineRequest, got dict",
    ),
    (
        "a bool where an index goes",
        lambda w: w.crm.orders.remove_line(ANN, "o-1", True),
        r"remove_line: index: expected int, got bool True",
    ),
    (
        "a query id as a number",
        lambda w: w.crm.queries.invoice_view(FAY, 7),
        r"invoice_view: receivable_id: expected str, got int 7",
    ),
]


@pytest.mark.parametrize(("name", "call", "match"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_argument_is_a_validation_error_naming_it(
    name: str, call: Call, match: str
) -> None:
    world = memory_world()
    before = world.snapshot()
    with pytest.raises(ValidationError, match=match):
        call(world)
    assert world.snapshot() == before


def test_every_public_use_case_is_behind_the_boundary() -> None:
    for service in (
        ApprovalService,
        LeadService,
        OpportunityService,
        OrderService,
        Queries,
        ReceivableService,
    ):
        for name, member in vars(service).items():
            if not name.startswith("_") and callable(member):
                assert hasattr(member, "__wrapped__"), f"{service.__name__}.{name}"


def test_right_arguments_still_work() -> None:
    world = memory_world()
    lead = world.crm.leads.create(BOB, "Wu", source="web", custom={"size": Decimal("5")})
    assert lead.custom == {"size": Decimal("5")}
