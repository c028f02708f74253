"""Issue 19: the forecast with the team's calibrated probabilities instead of the configured."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcore.errors import ValidationError
from crmcore.forecast import (
    OpportunityRecord,
    SalesProcess,
    outcome_distribution,
    weighted_forecast,
)
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "close", "probability": "80"},
        ],
    },
)
RECORDS = [
    OpportunityRecord("a", "x", "qualify", Money(1000, "CNY"), date(2026, 3, 1)),
    OpportunityRecord("b", "x", "close", Money(500, "CNY"), date(2026, 3, 1)),
    OpportunityRecord(
        "c", "x", "qualify", Money(200, "CNY"), date(2026, 3, 1), probability_override=Percent(50)
    ),
]


class Calibrated:
    """Stands for a funnel's Calibration: anything with ``probabilities``."""

    @property
    def probabilities(self) -> dict[str, Percent]:
        return {"qualify": Percent(25)}


def test_calibrated_probabilities_replace_the_configured_ones_but_not_overrides() -> None:
    # configured: 1000 × 10 % + 500 × 80 % + 200 × 50 % = 100 + 400 + 100 = 600
    assert weighted_forecast(RECORDS, PROCESS).total.weighted == Money(600, "CNY")
    # qualify at 25 %: 250 + 400 + 100 = 750 (c keeps its own 50 %)
    calibrated = weighted_forecast(RECORDS, PROCESS, probabilities=Calibrated())
    assert calibrated.total.weighted == Money(750, "CNY")
    by_mapping = weighted_forecast(RECORDS, PROCESS, probabilities={"qualify": "25"})
    assert by_mapping.total.weighted == Money(750, "CNY")
    mean = outcome_distribution(RECORDS, PROCESS, probabilities=Calibrated()).mean
    assert mean.amount == Decimal(750)
    assert PROCESS.stage("qualify").probability == Percent(10)  # the process is unchanged


def test_bad_probabilities_are_refused() -> None:
    with pytest.raises(ValidationError, match="has no stage 'won'"):
        weighted_forecast(RECORDS, PROCESS, probabilities={"won": Percent(1)})
    with pytest.raises(ValidationError, match="must be between"):
        PROCESS.with_probabilities({"close": Percent(120)})

    class Broken:
        @property
        def probabilities(self) -> list[tuple[str, Percent]]:
            return [("qualify", Percent(1))]

    with pytest.raises(ValidationError, match="expected stage → Percent"):
        PROCESS.with_probabilities(Broken())  # type: ignore[arg-type]
