"""Stateful property: random sequences of commands keep the opportunity's invariants."""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from crmcore.errors import CrmError
from crmcore.forecast import Opportunity, OpportunityStatus, SalesProcess, StageChange
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from tests.forecast.forecast_helpers import PROCESS_DATA, at

PROCESS = from_dict(SalesProcess, PROCESS_DATA)
ACTORS = [Actor("alice", {"sales"}), Actor("boss", {"manager"}), Actor("carol", {"finance"})]
FIELDS = ["budget", "decision_maker", "legal_ok"]


class OpportunityLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.opp = Opportunity.open(
            "o", PROCESS, amount=Money(1000, "CNY"), owner_id="alice", actor=ACTORS[0], at=at(1)
        )
        self.now = at(1)
        self.history: list[StageChange] = list(self.opp.history)
        self.closed_status: OpportunityStatus | None = None

    def _attempt(self, command: object) -> None:
        before = (
            self.opp.stage,
            self.opp.status,
            dict(self.opp.fields),
            list(self.opp.history),
            self.opp.version,
            self.opp.amount,
            self.opp.probability_override,
        )
        try:
            command()  # type: ignore[operator]
        except CrmError:
            after = (
                self.opp.stage,
                self.opp.status,
                dict(self.opp.fields),
                list(self.opp.history),
                self.opp.version,
                self.opp.amount,
                self.opp.probability_override,
            )
            assert after == before, "a refused command changed the opportunity"

    @rule(
        stage=st.sampled_from(PROCESS.stage_names),
        actor=st.sampled_from(ACTORS),
        hours=st.integers(-2, 48),
        filled=st.lists(st.sampled_from(FIELDS), unique=True),
        approved=st.booleans(),
    )
    def advance(
        self, stage: str, actor: Actor, hours: int, filled: list[str], approved: bool
    ) -> None:
        when = self.now + timedelta(hours=hours)
        feedback = dict.fromkeys(filled, "yes")
        ref = "approval-1" if approved else None
        self._attempt(
            lambda: self.opp.advance(actor, stage, at=when, feedback=feedback, approval_ref=ref)
        )
        self.now = max(self.now, self.opp.history[-1].at)

    @rule(actor=st.sampled_from(ACTORS), outcome=st.sampled_from(["win", "lose", "invalidate"]))
    def close(self, actor: Actor, outcome: str) -> None:
        when = self.now + timedelta(days=1)
        if outcome == "win":
            self._attempt(
                lambda: self.opp.win(actor, at=when, feedback=dict.fromkeys(FIELDS, "y"))
            )
        elif outcome == "lose":
            self._attempt(lambda: self.opp.lose(actor, at=when, reason="competitor"))
        else:
            self._attempt(lambda: self.opp.invalidate(actor, at=when, reason="duplicate"))
        self.now = max(self.now, self.opp.history[-1].at)

    @rule(value=st.integers(-10, 110))
    def override(self, value: int) -> None:
        self._attempt(
            lambda: self.opp.revise(ACTORS[0], at=self.now, probability_override=Percent(value))
        )

    @invariant()
    def history_is_append_only(self) -> None:
        assert self.opp.history[: len(self.history)] == self.history
        self.history = copy.copy(self.opp.history)
        times = [h.at for h in self.opp.history]
        assert times == sorted(times)

    @invariant()
    def closed_stays_closed(self) -> None:
        if self.closed_status is not None:
            assert self.opp.status is self.closed_status
        elif self.opp.status is not OpportunityStatus.OPEN:
            self.closed_status = self.opp.status

    @invariant()
    def visits_match_the_status(self) -> None:
        visits = self.opp.visits
        assert visits[-1].stage == self.opp.stage
        assert (visits[-1].left_at is None) == (self.opp.status is OpportunityStatus.OPEN)
        assert all(v.left_at is not None for v in visits[:-1])
        assert self.opp.probability.is_between(0, 100)

    @invariant()
    def fields_are_filled_before_leaving(self) -> None:
        # Every forward move left a stage whose required fields are now filled.
        for change in self.opp.history[1:]:
            if change.from_stage is None or change.to_stage is None:
                continue
            if PROCESS.position(change.to_stage) > PROCESS.position(change.from_stage):
                for name in PROCESS.stage(change.from_stage).required_fields:
                    assert self.opp.fields.get(name)


TestOpportunityLifecycle = OpportunityLifecycle.TestCase
