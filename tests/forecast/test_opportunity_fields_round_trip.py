"""An opportunity's free-form feedback keeps its types through JSON, and refuses what can't."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity, SalesProcess
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import from_dict, to_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "proposal", "probability": "60"},
        ],
    },
)
SALES = Actor("sun", {"sales"})
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_feedback_values_load_back_with_their_types() -> None:
    opp = Opportunity.open(
        "o-1",
        PROCESS,
        amount=Money(180000, "CNY"),
        owner_id="sun",
        actor=SALES,
        at=AT,
        fields={"budget": Money(180000, "CNY"), "since": date(2026, 1, 2)},
    )
    opp.advance(
        SALES, "proposal", at=AT, feedback={"seats": Decimal("12.5"), "share": Percent(30)}
    )
    loaded = from_dict(Opportunity, json.loads(json.dumps(to_dict(opp))))
    assert to_dict(loaded) == to_dict(opp)  # Opportunity compares by identity
    assert loaded.fields["budget"] == Money(180000, "CNY")
    assert type(loaded.fields["seats"]) is Decimal
    assert loaded.fields["since"] == date(2026, 1, 2)


def test_feedback_that_could_not_load_back_is_refused_and_changes_nothing() -> None:
    opp = Opportunity.open(
        "o-2", PROCESS, amount=Money(1, "CNY"), owner_id="sun", actor=SALES, at=AT
    )
    with pytest.raises(ValidationError, match=r"feedback.tags: cannot store set"):
        opp.advance(SALES, "proposal", at=AT, feedback={"tags": {"a", "b"}})
    assert opp.stage == "qualify"
    assert opp.fields == {}
    with pytest.raises(ValidationError, match=r"fields.when: cannot store"):
        Opportunity.open(
            "o-3",
            PROCESS,
            amount=Money(1, "CNY"),
            owner_id="sun",
            actor=SALES,
            at=AT,
            fields={"when": object()},
        )
