"""The opportunity aggregate: stage feedback gating, approvals, backward moves, outcomes."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from crmcore.errors import InvalidTransition, PermissionDenied, ValidationError
from crmcore.forecast import (
    ForecastCategory,
    Opportunity,
    OpportunityInvalidated,
    OpportunityLost,
    OpportunityOpened,
    OpportunityRevised,
    OpportunitySource,
    OpportunityStageChanged,
    OpportunityStatus,
    OpportunityWon,
    SalesProcess,
    StageVisit,
    opportunity_lifecycle,
)
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from tests.forecast.forecast_helpers import at


def deal(process: SalesProcess, actor: Actor, **kwargs: object) -> Opportunity:
    options: dict[str, object] = {
        "amount": Money("500000", "CNY"),
        "owner_id": "alice",
        "actor": actor,
        "at": at(1),
        "expected_close": date(2026, 3, 31),
    }
    options.update(kwargs)
    return Opportunity.open("opp-1", process, **options)  # type: ignore[arg-type]


def snapshot(opportunity: Opportunity) -> dict[str, object]:
    """Everything a refused command must leave unchanged."""
    state: dict[str, object] = {}
    for field in (
        "stage",
        "status",
        "fields",
        "history",
        "version",
        "amount",
        "expected_close",
        "probability_override",
        "category_override",
        "closed_at",
        "reason",
    ):
        state[field] = copy.deepcopy(getattr(opportunity, field))
    state["events"] = len(opportunity.peek_events())
    return state


def test_opening_a_deal_starts_in_the_first_stage(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice)
    assert opp.stage == "qualify"
    assert opp.status is OpportunityStatus.OPEN
    assert opp.probability == Percent(10)
    assert opp.weighted_amount == Money("50000", "CNY")
    assert opp.forecast_category is ForecastCategory.PIPELINE
    assert opp.source is OpportunitySource.DIRECT
    events = opp.pull_events()
    assert [type(e) for e in events] == [OpportunityOpened]
    assert opp.pull_events() == []
    assert opp.visits == (StageVisit("qualify", at(1), "alice"),)


def test_converting_a_lead_records_the_source(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice, lead_id="lead-9", stage="needs", fields={"budget": "1M", "x": ""})
    assert opp.source is OpportunitySource.LEAD
    assert opp.lead_id == "lead-9"
    assert opp.stage == "needs"
    assert opp.fields == {"budget": "1M"}


def test_leaving_a_stage_needs_its_feedback(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice)
    before = snapshot(opp)
    with pytest.raises(InvalidTransition, match="qualify: budget"):
        opp.advance(alice, "needs", at=at(2))
    with pytest.raises(InvalidTransition, match="qualify: budget"):
        opp.advance(alice, "needs", at=at(2), feedback={"budget": "  "})
    assert snapshot(opp) == before
    opp.advance(alice, "needs", at=at(2), feedback={"budget": "2M CNY"})
    assert opp.stage == "needs"
    assert opp.fields == {"budget": "2M CNY"}
    assert opp.version == 0  # the storage adapter bumps the version, not the domain
    assert len(opp.history) == 2


def test_skipping_a_stage_needs_the_skipped_stages_feedback_too(
    process: SalesProcess, alice: Actor
) -> None:
    opp = deal(process, alice)
    with pytest.raises(InvalidTransition, match="needs: decision_maker"):
        opp.advance(alice, "proposal", at=at(2), feedback={"budget": "2M"})
    assert opp.stage == "qualify"
    assert opp.fields == {}
    opp.advance(alice, "proposal", at=at(2), feedback={"budget": "2M", "decision_maker": "CFO"})
    assert opp.stage == "proposal"
    assert opp.missing_fields() == ()


def test_moving_back_is_allowed_and_recorded(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice, fields={"budget": "1", "decision_maker": "CEO"})
    opp.advance(alice, "proposal", at=at(3))
    opp.pull_events()
    opp.advance(alice, "qualify", at=at(5))
    (event,) = opp.pull_events()
    assert isinstance(event, OpportunityStageChanged)
    assert event.backward
    assert (event.from_stage, event.to_stage) == ("proposal", "qualify")
    assert opp.visits == (
        StageVisit("qualify", at(1), "alice", at(3), "alice"),
        StageVisit("proposal", at(3), "alice", at(5), "alice"),
        StageVisit("qualify", at(5), "alice"),
    )
    assert [h.to_stage for h in opp.history] == ["qualify", "proposal", "qualify"]


def test_entering_an_approved_stage_needs_the_approval(
    process: SalesProcess, alice: Actor
) -> None:
    opp = deal(process, alice, stage="negotiation")
    with pytest.raises(InvalidTransition, match="big-deal-approval"):
        opp.advance(alice, "contract", at=at(2))
    assert opp.stage == "negotiation"
    opp.advance(alice, "contract", at=at(2), approval_ref="approval-77")
    assert opp.history[-1].approval_ref == "approval-77"
    assert opp.forecast_category is ForecastCategory.COMMIT


def test_department_stages(process: SalesProcess, alice: Actor) -> None:
    enterprise = deal(process, alice, stage="negotiation", department="enterprise")
    with pytest.raises(InvalidTransition, match="legal_review: legal_ok"):
        enterprise.advance(alice, "contract", at=at(2), approval_ref="a1")
    enterprise.advance(alice, "legal_review", at=at(2))
    enterprise.advance(
        alice, "contract", at=at(3), feedback={"legal_ok": "yes"}, approval_ref="a1"
    )
    assert enterprise.stage == "contract"

    smb = deal(process, alice, stage="negotiation", department="smb")
    with pytest.raises(InvalidTransition, match="does not apply to department 'smb'"):
        smb.advance(alice, "legal_review", at=at(2))
    smb.advance(alice, "contract", at=at(2), approval_ref="a1")
    assert smb.stage == "contract"
    with pytest.raises(ValidationError, match="does not apply"):
        deal(process, alice, stage="legal_review", department="smb")


def test_winning_closes_the_deal(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice, stage="negotiation")
    opp.advance(alice, "contract", at=at(19, 2), approval_ref="AP-1")
    opp.win(alice, at=at(20, 2))
    assert opp.status is OpportunityStatus.WON
    assert opp.expected_close == date(2026, 2, 20)
    assert opp.closed_at == at(20, 2)
    assert opp.probability == Percent(100)
    assert opp.forecast_category is ForecastCategory.CLOSED
    assert isinstance(opp.pull_events()[-1], OpportunityWon)
    assert opp.visits[-1].left_at == at(20, 2)
    assert opp.to_record().status is OpportunityStatus.WON
    before = snapshot(opp)
    with pytest.raises(InvalidTransition, match="cannot advance in state WON"):
        opp.advance(alice, "needs", at=at(21, 2))
    with pytest.raises(InvalidTransition, match="cannot lose in state WON"):
        opp.lose(alice, at=at(21, 2), reason="changed mind")
    assert snapshot(opp) == before


def test_winning_needs_the_current_stage_feedback(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice)
    with pytest.raises(InvalidTransition, match=r"cannot win from 'qualify'.*budget"):
        opp.win(alice, at=at(2))
    assert opp.status is OpportunityStatus.OPEN
    # the feedback is there, but the deal never passed its approval gate: no win around it
    with pytest.raises(InvalidTransition, match=r"stage 'contract' needs approval"):
        opp.win(alice, at=at(2), feedback={"budget": "1M"})
    assert (opp.status, opp.fields) == (OpportunityStatus.OPEN, {})


def test_every_path_to_won_holds_the_gate(process: SalesProcess, alice: Actor) -> None:
    """Opening in the gated stage, skipping past it, winning before it, reopening it."""
    with pytest.raises(InvalidTransition, match=r"cannot open in 'contract'.*needs approval"):
        deal(process, alice, stage="contract")
    opp = deal(process, alice, stage="negotiation")
    with pytest.raises(InvalidTransition, match="pass approval_ref"):
        opp.advance(alice, "contract", at=at(2))
    opp.advance(alice, "contract", at=at(3), approval_ref="AP-1")
    assert opp.approved_gates() == frozenset({"contract"})
    opp.advance(alice, "proposal", at=at(4))  # reopened before the gate: approval no longer stands
    assert opp.approved_gates() == frozenset()
    with pytest.raises(InvalidTransition, match=r"cannot win 'won': stage 'contract' needs"):
        opp.win(alice, at=at(5))
    opp.advance(alice, "contract", at=at(6), approval_ref="AP-2")
    opp.win(alice, at=at(7))
    assert [c.approval_ref for c in opp.history if c.to_stage == "contract"] == ["AP-1", "AP-2"]


def test_losing_needs_a_reason(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice)
    before = snapshot(opp)
    with pytest.raises(ValidationError, match="reason"):
        opp.lose(alice, at=at(2), reason=" ")
    assert snapshot(opp) == before
    opp.lose(alice, at=at(2), reason="price")
    assert opp.status is OpportunityStatus.LOST
    assert opp.reason == "price"
    assert opp.probability == Percent(0)
    assert opp.forecast_category is ForecastCategory.OMITTED
    assert isinstance(opp.pull_events()[-1], OpportunityLost)
    assert opp.history[-1].status is OpportunityStatus.LOST


def test_only_managers_declare_a_deal_invalid(
    process: SalesProcess, alice: Actor, boss: Actor
) -> None:
    opp = deal(process, alice)
    with pytest.raises(PermissionDenied, match=r"alice .* may not invalidate"):
        opp.invalidate(alice, at=at(2), reason="duplicate")
    assert opp.status is OpportunityStatus.OPEN
    opp.invalidate(boss, at=at(2), reason="duplicate of opp-0")
    assert opp.status is OpportunityStatus.INVALID
    assert isinstance(opp.pull_events()[-1], OpportunityInvalidated)


def test_people_without_a_sales_role_change_nothing(process: SalesProcess, alice: Actor) -> None:
    clerk = Actor("carol", {"finance"})
    with pytest.raises(PermissionDenied, match="may not open"):
        deal(process, clerk)
    opp = deal(process, alice, fields={"budget": "1"})
    before = snapshot(opp)
    with pytest.raises(PermissionDenied, match="carol"):
        opp.advance(clerk, "needs", at=at(2))
    with pytest.raises(PermissionDenied):
        opp.win(clerk, at=at(2))
    assert snapshot(opp) == before
    names = [
        t.name for t in opportunity_lifecycle(process).available_transitions(opp.status, alice)
    ]
    assert names == ["advance", "revise", "win", "lose", "hand_over"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda o, a: o.advance(a, "closing", at=at(2)),
            ValidationError,
            "unknown stage 'closing'",
        ),
        (lambda o, a: o.advance(a, "qualify", at=at(2)), InvalidTransition, "already in stage"),
        (
            lambda o, a: o.advance(a, "needs", at=at(1, hour=8)),
            ValidationError,
            "before opportunity opp-1.s last change",
        ),
        (
            lambda o, a: o.advance(a, "needs", at="2026-01-02"),
            ValidationError,
            "expected a datetime",
        ),
        (lambda o, a: o.revise(a, at=at(2)), ValidationError, "without any change"),
        (
            lambda o, a: o.revise(a, at=at(2), probability_override=Percent(120)),
            ValidationError,
            "between 0 % and 100 %",
        ),
        (
            lambda o, a: o.revise(a, at=at(2), amount=Money("1", "USD")),
            ValidationError,
            "not in the opportunity's currency",
        ),
        (
            lambda o, a: o.revise(a, at=at(2), amount=Money("-1", "CNY")),
            ValidationError,
            "must be >= 0",
        ),
        (
            lambda o, a: o.revise(a, at=at(2), expected_close="2026-05-01"),
            ValidationError,
            "expected a date",
        ),
        (
            lambda o, a: o.revise(a, at=at(2), amount=Money(5, "CNY"), probability_override="101"),
            ValidationError,
            "between",
        ),
    ],
)
def test_bad_commands_change_nothing(
    process: SalesProcess, alice: Actor, call: object, error: type[Exception], message: str
) -> None:
    opp = deal(process, alice, fields={"budget": "1"})
    before = snapshot(opp)
    with pytest.raises(error, match=message):
        call(opp, alice)  # type: ignore[operator]
    assert snapshot(opp) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": Money("-5", "CNY")}, "amount: must be >= 0"),
        ({"amount": "5"}, "amount: expected Money"),
        ({"owner_id": ""}, "owner_id"),
        ({"probability_override": Percent(-1)}, "probability_override"),
        ({"stage": "closing"}, "unknown stage"),
        ({"department": "nobody"}, None),
        ({"at": "yesterday"}, "at: expected a datetime"),
    ],
)
def test_opening_refuses_bad_input(
    process: SalesProcess, alice: Actor, kwargs: dict[str, object], message: str | None
) -> None:
    if message is None:
        only_enterprise = from_dict(
            SalesProcess,
            {"id": "e", "stages": [{"name": "a", "probability": "5", "departments": ["ent"]}]},
        )
        with pytest.raises(ValidationError, match="no stage of process 'e' applies"):
            deal(only_enterprise, alice, **kwargs)
        return
    with pytest.raises(ValidationError, match=message):
        deal(process, alice, **kwargs)


def test_blank_id_is_refused(process: SalesProcess, alice: Actor) -> None:
    with pytest.raises(ValidationError, match="id: must be a non-empty string"):
        Opportunity.open(" ", process, amount=Money(1, "CNY"), owner_id="a", actor=alice, at=at(1))


def test_revising_the_forecast_figures(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice)
    opp.pull_events()
    opp.revise(
        alice,
        at=at(2),
        amount=Money("600000", "CNY"),
        expected_close=date(2026, 4, 30),
        category=ForecastCategory.COMMIT,
        probability_override=Percent(35),
    )
    assert opp.amount == Money("600000", "CNY")
    assert opp.probability == Percent(35)
    assert opp.weighted_amount == Money("210000", "CNY")
    assert opp.forecast_category is ForecastCategory.COMMIT
    (event,) = opp.pull_events()
    assert isinstance(event, OpportunityRevised)
    assert event.changes == (
        "amount",
        "expected_close",
        "category_override",
        "probability_override",
    )
    opp.revise(alice, at=at(3), category=None, probability_override=None, expected_close=None)
    assert opp.probability == Percent(10)
    assert opp.forecast_category is ForecastCategory.PIPELINE
    assert opp.expected_close is None
    record = opp.to_record()
    assert (record.stage, record.amount, record.probability_override) == (
        "qualify",
        Money("600000", "CNY"),
        None,
    )


def test_history_record_for_the_funnel(process: SalesProcess, alice: Actor) -> None:
    opp = deal(process, alice, fields={"budget": "1"})
    opp.advance(alice, "needs", at=at(4))
    opp.lose(alice, at=at(9), reason="no budget after all")
    history = opp.to_history()
    assert history.status is OpportunityStatus.LOST
    assert history.closed_at == at(9)
    assert [v.stage for v in history.visits] == ["qualify", "needs"]
    assert history.visits[-1].left_at == at(9)
