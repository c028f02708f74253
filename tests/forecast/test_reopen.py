"""Issue 19: a configured lost-reason list, and reopening a lost deal in its last stage."""

from __future__ import annotations

import pytest

from crmcore.errors import InvalidTransition, PermissionDenied, ValidationError
from crmcore.forecast import Opportunity, OpportunityReopened, OpportunityStatus, SalesProcess
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.serialization import from_dict, to_dict
from tests.forecast.forecast_helpers import at

DATA = {
    "id": "p",
    "stages": [{"name": "qualify", "probability": "10"}, {"name": "close", "probability": "80"}],
    "lost_reasons": ["price", "competitor"],
}
PROCESS = from_dict(SalesProcess, DATA)
ALICE, CLERK = Actor("alice", {"sales"}), Actor("carl", {"clerk"})


def lost_deal() -> Opportunity:
    deal = Opportunity.open(
        "opp-1", PROCESS, amount=Money("1000", "CNY"), owner_id="alice", actor=ALICE, at=at(1)
    )
    deal.advance(ALICE, "close", at=at(2))
    deal.lose(ALICE, at=at(3), reason="price")
    deal.pull_events()
    return deal


def test_reopening_puts_the_deal_back_in_the_stage_it_was_lost_from() -> None:
    deal = lost_deal()
    deal.reopen(ALICE, at=at(5), reason="budget found")
    assert (deal.status, deal.stage, deal.reason, deal.probability) == (
        OpportunityStatus.OPEN,
        "close",
        None,
        PROCESS.stage("close").probability,
    )
    (event,) = deal.pull_events()
    assert isinstance(event, OpportunityReopened)
    assert (event.reason, event.stage, event.lost_reason) == ("budget found", "close", "price")
    assert from_dict(Opportunity, to_dict(deal)) == deal
    deal.lose(ALICE, at=at(6), reason="competitor")  # and it may be lost again
    assert [c.reason for c in deal.history if c.reason] == ["price", "budget found", "competitor"]


def test_bad_reopens_and_losses_change_nothing() -> None:
    deal = lost_deal()
    before = to_dict(deal)
    with pytest.raises(ValidationError, match="a non-empty reason is required"):
        deal.reopen(ALICE, at=at(5), reason="")
    with pytest.raises(PermissionDenied):
        deal.reopen(CLERK, at=at(5), reason="back")
    with pytest.raises(ValidationError, match="before"):
        deal.reopen(ALICE, at=at(2), reason="back")
    assert to_dict(deal) == before
    deal.reopen(ALICE, at=at(5), reason="back")
    with pytest.raises(InvalidTransition):
        deal.reopen(ALICE, at=at(6), reason="again")  # open: nothing to reopen
    with pytest.raises(ValidationError, match="lost reason 'weather' is not one of 'price'"):
        deal.lose(ALICE, at=at(6), reason="weather")
    assert deal.status is OpportunityStatus.OPEN


def test_the_lost_reason_list_is_checked_and_old_processes_load_without_one() -> None:
    with pytest.raises(ValidationError, match=r"lost_reasons\[1\]: duplicate reason 'price'"):
        from_dict(SalesProcess, {**DATA, "lost_reasons": ["price", "price"]})
    stored = to_dict(lost_deal())
    del stored["process"]["lost_reasons"], stored["owner_history"]
    old = from_dict(Opportunity, stored)
    assert old.process.lost_reasons == ()  # any non-empty text, as before
