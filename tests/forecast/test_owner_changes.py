"""Issue 19: an open deal changes hands (its owner left), with the reason and its history."""

from __future__ import annotations

import pytest

from crmcore.errors import InvalidTransition, ValidationError
from crmcore.forecast import (
    Opportunity,
    OpportunityHandedOver,
    OwnerChange,
    SalesProcess,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.serialization import from_dict, to_dict
from tests.forecast.forecast_helpers import at

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
ALICE, MIA = Actor("alice", {"sales"}), Actor("mia", {"manager"})


def open_deal() -> Opportunity:
    return Opportunity.open(
        "opp-1", PROCESS, amount=Money("1000", "CNY"), owner_id="alice", actor=ALICE, at=at(1)
    )


def test_a_deal_handed_over_keeps_who_had_it_and_why() -> None:
    deal = open_deal()
    deal.pull_events()
    deal.hand_over(MIA, "bob", at=at(3), reason="alice left")
    assert deal.owner_id == "bob"
    assert deal.owner_history == [OwnerChange(at(3), "mia", "alice", "bob", "alice left")]
    (event,) = deal.pull_events()
    assert isinstance(event, OpportunityHandedOver)
    assert (event.previous_owner_id, event.owner_id, event.reason) == (
        "alice",
        "bob",
        "alice left",
    )
    assert from_dict(Opportunity, to_dict(deal)) == deal
    # a stored deal from before the owner history loads with an empty one
    old = to_dict(open_deal())
    del old["owner_history"]
    assert from_dict(Opportunity, old).owner_history == []
    with pytest.raises(ValidationError, match="before"):
        deal.advance(ALICE, "close", at=at(2))  # the handover is the floor of time now


@pytest.mark.parametrize(
    ("to", "reason", "message"),
    [
        ("alice", "left", "alice already owns it"),
        (" ", "left", "to must be a user id"),
        ("bob", "", "a non-empty reason is required"),
    ],
)
def test_a_bad_handover_changes_nothing(to: str, reason: str, message: str) -> None:
    deal = open_deal()
    before = to_dict(deal)
    with pytest.raises(ValidationError, match=message):
        deal.hand_over(MIA, to, at=at(3), reason=reason)
    assert to_dict(deal) == before


def test_a_closed_deal_is_not_handed_over() -> None:
    deal = open_deal()
    deal.lose(ALICE, at=at(2), reason="price")
    with pytest.raises(InvalidTransition):
        deal.hand_over(MIA, "bob", at=at(3), reason="left")
    assert deal.owner_id == "alice"
