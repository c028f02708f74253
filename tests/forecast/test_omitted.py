"""Issue 19: one definition of "omitted" in every forecast figure. Measured before: one open
omitted deal of 1,000,000 at 60 % counted 600,000 in weighted_forecast and the distribution's
mean but nothing in target_gap and the category roll-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcore.errors import ValidationError
from crmcore.forecast import (
    ForecastAggregate,
    ForecastCategory,
    Opportunity,
    OpportunityRecord,
    SalesProcess,
    outcome_distribution,
    weighted_forecast,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from tests.forecast.forecast_helpers import at

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "proposal", "probability": "60"},
            {"name": "parked", "probability": "30", "category": "omitted"},
        ],
    },
)


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def record(id: str, amount: str, stage: str = "proposal", **kwargs: object) -> OpportunityRecord:
    return OpportunityRecord(id, "bob", stage, cny(amount), date(2026, 3, 1), **kwargs)  # type: ignore[arg-type]


RECORDS = [
    record("shelved", "1000000", category=ForecastCategory.OMITTED),  # omitted by its owner
    record("parked", "500000", stage="parked"),  # omitted by its stage
    record("live", "200000"),
]


def test_every_figure_leaves_omitted_deals_out() -> None:
    # only "live" weighs: 200,000 × 60 % = 120,000
    table = weighted_forecast(RECORDS, PROCESS, by="category")
    assert (table.total.count, table.total.amount, table.total.weighted) == (
        3,
        cny("1700000"),
        cny("120000"),
    )
    assert (table.row("omitted").count, table.row("omitted").weighted) == (2, cny("0"))
    distribution = outcome_distribution(RECORDS, PROCESS)
    assert (distribution.mean, distribution.amounts) == (
        cny("120000"),
        (Decimal("0"), Decimal("200000")),
    )
    aggregate = ForecastAggregate.of(RECORDS, PROCESS)
    row = aggregate.categories(by="owner").row("bob")
    assert (row.pipeline, row.weighted) == (cny("200000"), cny("120000"))
    gap = aggregate.target_gap(cny("300000"))
    assert (gap.weighted_open, gap.gap) == (cny("120000"), cny("180000"))


def test_an_omitted_deal_weighs_nothing_on_the_opportunity_too() -> None:
    deal = Opportunity.open(
        "o", PROCESS, amount=cny("1000"), owner_id="bob", actor=Actor("bob", {"sales"}), at=at(1)
    )
    assert deal.weighted_amount == cny("600")
    deal.revise(Actor("bob", {"sales"}), at=at(2), category=ForecastCategory.OMITTED)
    assert (deal.probability.value, deal.weighted_amount) == (60, cny("0"))


def test_a_record_takes_a_category_by_name_and_refuses_an_unknown_one() -> None:
    assert record("a", "1", category="commit").category is ForecastCategory.COMMIT
    with pytest.raises(ValidationError, match="category: 'maybe' is not one of pipeline"):
        record("a", "1", category="maybe")
