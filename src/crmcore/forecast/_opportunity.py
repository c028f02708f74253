"""The opportunity aggregate: a deal moving through the sales process to won, lost or invalid.

Every change is a checked transition by an Actor (the lifecycle is a
[`StateMachine`][crmcore.workflow.StateMachine]), validated completely before anything changes, and
appended to an immutable stage history from which the funnel analytics are computed.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Final

import attrs

from crmcore._aggregate import UNCHANGED, AggregateRoot, Unchanged, check_actor, check_time
from crmcore._decimal import context_class
from crmcore.errors import InvalidTransition, PermissionDenied, ValidationError
from crmcore.events import DomainEvent
from crmcore.forecast._process import ForecastCategory, SalesProcess, Stage
from crmcore.forecast._records import (
    OpportunityHistory,
    OpportunityRecord,
    OpportunityStatus,
    StageVisit,
)
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import check_values
from crmcore.workflow import StateMachine, Transition

__all__ = [
    "UNCHANGED",
    "Opportunity",
    "OpportunityHandedOver",
    "OpportunityInvalidated",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityReopened",
    "OpportunityRevised",
    "OpportunitySource",
    "OpportunityStageChanged",
    "OpportunityWon",
    "OwnerChange",
    "StageChange",
    "opportunity_lifecycle",
]

_OPEN: Final = OpportunityStatus.OPEN


class OpportunitySource(enum.Enum):
    """How the opportunity came to be: converted from a lead or created directly."""

    LEAD = "lead"
    DIRECT = "direct"


# -- events ---------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class OpportunityOpened(DomainEvent):
    """An opportunity was created (from a lead when ``lead_id`` is set)."""

    stage: str
    amount: Money
    owner_id: str
    lead_id: str | None = None


@attrs.frozen(kw_only=True)
class OpportunityStageChanged(DomainEvent):
    """The opportunity moved between stages (``backward`` when it went back)."""

    from_stage: str
    to_stage: str
    backward: bool = False
    approval_ref: str | None = None


@attrs.frozen(kw_only=True)
class OpportunityWon(DomainEvent):
    """The deal was signed."""

    amount: Money
    stage: str


@attrs.frozen(kw_only=True)
class OpportunityLost(DomainEvent):
    """The deal was lost, with the reason."""

    reason: str
    stage: str


@attrs.frozen(kw_only=True)
class OpportunityReopened(DomainEvent):
    """A lost deal came back to life in the stage it was lost from, with the reason."""

    reason: str
    stage: str
    lost_reason: str | None


@attrs.frozen(kw_only=True)
class OpportunityInvalidated(DomainEvent):
    """The opportunity was declared invalid (duplicate, spam, not a real deal)."""

    reason: str
    stage: str


@attrs.frozen(kw_only=True)
class OpportunityRevised(DomainEvent):
    """Amount, close date, category or probability override changed; ``changes`` names them."""

    changes: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OpportunityHandedOver(DomainEvent):
    """The deal changed hands (its owner left, or a manager moved it), with the reason."""

    previous_owner_id: str
    owner_id: str
    reason: str


@attrs.frozen
class OwnerChange:
    """One change of hands in the append-only owner history: who had it, who has it, why."""

    at: datetime
    actor_id: str
    from_owner_id: str
    to_owner_id: str
    reason: str


@attrs.frozen
class StageChange:
    """One entry of the append-only history: from → to (None outside any stage), when, who."""

    at: datetime
    actor_id: str
    from_stage: str | None
    to_stage: str | None
    status: OpportunityStatus = _OPEN
    reason: str | None = None
    approval_ref: str | None = None


@functools.lru_cache(maxsize=64)
def opportunity_lifecycle(process: SalesProcess) -> StateMachine[OpportunityStatus]:
    """The lifecycle OPEN → WON / LOST / INVALID, with the process's roles."""
    sales, invalidate = process.sales_roles, process.invalidate_roles
    transitions: tuple[Transition[OpportunityStatus], ...] = (
        Transition("advance", _OPEN, _OPEN, sales),
        Transition("revise", _OPEN, _OPEN, sales),
        Transition("win", _OPEN, OpportunityStatus.WON, sales),
        Transition("lose", _OPEN, OpportunityStatus.LOST, sales),
        Transition("invalidate", _OPEN, OpportunityStatus.INVALID, invalidate),
        Transition("hand_over", _OPEN, _OPEN, sales),
        Transition("reopen", OpportunityStatus.LOST, _OPEN, sales),
    )
    return StateMachine("opportunity", OpportunityStatus, transitions)


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _check_amount(amount: object) -> Money:
    if not isinstance(amount, Money):
        raise ValidationError(f"amount: expected Money, got {amount!r}")
    if amount.amount < 0:
        raise ValidationError(f"amount: must be >= 0, got {amount}")
    return amount


def _check_probability(value: object) -> Percent | None:
    if value is None:
        return None
    probability = value if isinstance(value, Percent) else Percent(value)
    if not probability.is_between(0, 100):
        raise ValidationError(
            f"probability_override: must be between 0 % and 100 %, got {probability}"
        )
    return probability


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(f"reason: a non-empty reason is required, got {reason!r}")
    return reason


@context_class
@attrs.define
class Opportunity(AggregateRoot):
    """A deal in a sales process. Create one with [`open`][crmcore.forecast.Opportunity.open];
    change it only by its methods."""

    aggregate_kind: ClassVar[str] = "opportunity"

    id: str
    process: SalesProcess
    amount: Money
    owner_id: str
    stage: str
    created_at: datetime
    department: str | None = None
    expected_close: date | None = None
    category_override: ForecastCategory | None = None
    probability_override: Percent | None = None
    status: OpportunityStatus = _OPEN
    source: OpportunitySource = OpportunitySource.DIRECT
    lead_id: str | None = None
    #: The stage feedback filled so far: field name → value.
    fields: dict[str, Any] = attrs.field(factory=dict)
    closed_at: datetime | None = None
    reason: str | None = None
    history: list[StageChange] = attrs.field(factory=list)
    #: Every change of owner after opening (a handover), oldest first.
    owner_history: list[OwnerChange] = attrs.field(factory=list)

    # -- creation -----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        id: str,
        process: SalesProcess,
        *,
        amount: Money,
        owner_id: str,
        actor: Actor,
        at: datetime,
        stage: str | None = None,
        department: str | None = None,
        expected_close: date | None = None,
        category: ForecastCategory | None = None,
        probability_override: Percent | None = None,
        lead_id: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Opportunity:
        """Open a deal in ``stage`` (default: the first stage of the department's path).

        ``lead_id`` records a conversion from that lead (source LEAD), else source DIRECT.
        """
        if not isinstance(id, str) or not id.strip():
            raise ValidationError(f"id: must be a non-empty string, got {id!r}")
        if not isinstance(owner_id, str) or not owner_id.strip():
            raise ValidationError(f"owner_id: must be a non-empty string, got {owner_id!r}")
        check_actor(actor)
        check_time(at)
        check_values(dict(fields or {}), "fields")
        path = process.path_for(department)
        if not path:
            raise ValidationError(
                f"department {department!r}: no stage of process {process.id!r} applies to it"
            )
        start = path[0] if stage is None else _stage(process, stage)
        if not start.applies_to(department):
            raise ValidationError(
                f"stage {start.name!r} does not apply to department {department!r}"
            )
        if not actor.has_role(*process.sales_roles):
            held = ", ".join(sorted(actor.roles)) or "none"
            raise PermissionDenied(
                f"opportunity: {actor.user_id} (roles: {held}) may not open an opportunity; "
                f"requires one of: {', '.join(sorted(process.sales_roles))}"
            )
        there = process.position(start.name)
        _check_gates(id, process, department, there, frozenset(), None, "open in")
        opportunity = cls(
            id=id,
            process=process,
            amount=_check_amount(amount),
            owner_id=owner_id,
            stage=start.name,
            created_at=at,
            department=department,
            expected_close=expected_close,
            category_override=None if category is None else ForecastCategory(category),
            probability_override=_check_probability(probability_override),
            source=OpportunitySource.LEAD if lead_id else OpportunitySource.DIRECT,
            lead_id=lead_id,
            fields={k: v for k, v in (fields or {}).items() if _filled(v)},
            history=[StageChange(at, actor.user_id, None, start.name)],
        )
        opportunity._emit(
            OpportunityOpened,
            actor,
            at,
            stage=start.name,
            amount=amount,
            owner_id=owner_id,
            lead_id=lead_id,
        )
        return opportunity

    # -- derived ------------------------------------------------------------------------------
    @property
    def current_stage(self) -> Stage:
        """The Stage the opportunity is in (for won / lost: the stage it closed from)."""
        return self.process.stage(self.stage)

    @property
    def probability(self) -> Percent:
        """The override if set, else the stage's; 100 % once won, 0 % once lost or invalid."""
        if self.status is OpportunityStatus.WON:
            return Percent(100)
        if self.status is not _OPEN:
            return Percent(0)
        return self.probability_override or self.current_stage.probability

    @property
    def forecast_category(self) -> ForecastCategory:
        """CLOSED once won, OMITTED once lost or invalid, else the override or the stage's."""
        if self.status is OpportunityStatus.WON:
            return ForecastCategory.CLOSED
        if self.status is not _OPEN:
            return ForecastCategory.OMITTED
        return self.category_override or self.current_stage.category

    @property
    def weighted_amount(self) -> Money:
        """Amount × probability, exact; nothing for a deal in the omitted category (the one
        definition every forecast figure uses)."""
        if self.forecast_category is ForecastCategory.OMITTED:
            return self.amount * 0
        return self.amount * self.probability

    @property
    def visits(self) -> tuple[StageVisit, ...]:
        """The stays in each stage, derived from the history."""
        visits: list[StageVisit] = []
        for change in self.history:
            if visits and visits[-1].left_at is None:
                visits[-1] = attrs.evolve(visits[-1], left_at=change.at, left_by=change.actor_id)
            if change.to_stage is not None:
                visits.append(StageVisit(change.to_stage, change.at, change.actor_id))
        return tuple(visits)

    def missing_fields(self, feedback: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """The current stage's required fields still empty (with ``feedback`` applied)."""
        filled = {**self.fields, **(feedback or {})}
        return tuple(f for f in self.current_stage.required_fields if not _filled(filled.get(f)))

    def approved_gates(self) -> frozenset[str]:
        """The approval-gated stages whose approval still stands: entered with an approval
        and not left backward since (moving back before a gate reopens it)."""
        process = self.process
        approved: set[str] = set()
        for change in self.history:
            if change.to_stage is None or not process.has_stage(change.to_stage):
                continue
            position = process.position(change.to_stage)
            approved = {g for g in approved if process.position(g) <= position}
            if change.approval_ref and process.stage(change.to_stage).approval_process_id:
                approved.add(change.to_stage)
        return frozenset(approved)

    def to_record(self) -> OpportunityRecord:
        """The flat record the forecast aggregates read."""
        return OpportunityRecord(
            id=self.id,
            owner=self.owner_id,
            stage=self.stage,
            amount=self.amount,
            expected_close=self.expected_close,
            department=self.department,
            probability_override=self.probability_override,
            category=self.category_override,
            status=self.status,
        )

    def to_history(self) -> OpportunityHistory:
        """The opportunity with its stage visits, for the funnel analytics."""
        return OpportunityHistory(
            id=self.id,
            owner=self.owner_id,
            amount=self.amount,
            created_at=self.created_at,
            visits=self.visits,
            status=self.status,
            closed_at=self.closed_at,
            department=self.department,
        )

    # -- commands -----------------------------------------------------------------------------
    def advance(
        self,
        actor: Actor,
        to: str,
        *,
        at: datetime,
        feedback: Mapping[str, Any] | None = None,
        approval_ref: str | None = None,
    ) -> None:
        """Move to stage ``to`` (forward or back), filling ``feedback`` on the way.

        Forward, every stage left or skipped on the department's path must have its required
        fields filled (in the opportunity or in ``feedback``), and a target stage with an
        approval process needs ``approval_ref`` — the id of the approved workflow instance,
        which the caller has checked. Moving back is allowed and recorded.
        """
        lifecycle = opportunity_lifecycle(self.process)
        lifecycle.check("advance", self.status, actor, self)
        self._check_change(actor, at)
        target = _stage(self.process, to)
        feedback = dict(feedback or {})
        check_values(feedback, "feedback")
        if target.name == self.stage:
            raise InvalidTransition(f"opportunity {self.id}: already in stage {to!r}")
        if not target.applies_to(self.department):
            raise InvalidTransition(
                f"opportunity {self.id}: stage {to!r} does not apply to department "
                f"{self.department!r}"
            )
        here, there = self.process.position(self.stage), self.process.position(target.name)
        backward = there < here
        if not backward:
            filled = {**self.fields, **feedback}
            gaps = [
                f"{stage.name}: {', '.join(missing)}"
                for stage in self.process.stages[here:there]
                if stage.applies_to(self.department)
                and (missing := [f for f in stage.required_fields if not _filled(filled.get(f))])
            ]
            if gaps:
                raise InvalidTransition(
                    f"opportunity {self.id}: cannot advance from {self.stage!r} to {to!r}; "
                    f"required fields are not filled ({'; '.join(gaps)})"
                )
            _check_gates(
                self.id,
                self.process,
                self.department,
                there,
                self.approved_gates(),
                (target.name, approval_ref),
                "advance to",
            )
        previous = self.stage
        self._fill(feedback)
        self.stage = target.name
        self._record(
            actor,
            StageChange(at, actor.user_id, previous, target.name, approval_ref=approval_ref),
            OpportunityStageChanged,
            from_stage=previous,
            to_stage=target.name,
            backward=backward,
            approval_ref=approval_ref,
        )

    def win(
        self, actor: Actor, *, at: datetime, feedback: Mapping[str, Any] | None = None
    ) -> None:
        """Close as won; the current stage's required fields must be filled. Close date := at."""
        opportunity_lifecycle(self.process).check("win", self.status, actor, self)
        self._check_change(actor, at)
        check_values(dict(feedback or {}), "feedback")
        filled = {**self.fields, **dict(feedback or {})}
        # the current stage's feedback, and every gated stage's on the path (a deal never
        # wins around a gate's required feedback)
        gaps = [
            f"{stage.name}: {', '.join(missing)}"
            for stage in self.process.stages
            if (stage.name == self.stage or stage.approval_process_id)
            and stage.applies_to(self.department)
            and (missing := [f for f in stage.required_fields if not _filled(filled.get(f))])
        ]
        if gaps:
            raise InvalidTransition(
                f"opportunity {self.id}: cannot win from {self.stage!r}; required fields are "
                f"not filled ({'; '.join(gaps)})"
            )
        last = len(self.process.stages) - 1
        _check_gates(
            self.id, self.process, self.department, last, self.approved_gates(), None, "win"
        )
        self._fill(dict(feedback or {}))
        self._close(OpportunityStatus.WON, actor, at, None)
        self._emit(
            OpportunityWon,
            actor,
            at,
            amount=self.amount,
            stage=self.stage,
        )

    def lose(self, actor: Actor, *, at: datetime, reason: str) -> None:
        """Close as lost, with the reason (price, competitor, no budget...): one of the
        process's ``lost_reasons`` when it lists them."""
        reasons = self.process.lost_reasons
        if reasons and reason not in reasons:
            raise ValidationError(
                f"opportunity {self.id}: lost reason {reason!r} is not one of "
                f"{', '.join(repr(r) for r in reasons)}"
            )
        self._close_with_reason("lose", OpportunityStatus.LOST, OpportunityLost, actor, at, reason)

    def reopen(self, actor: Actor, *, at: datetime, reason: str) -> None:
        """Bring a lost deal back, open in the stage it was lost from, with the reason; the
        stage gates hold (an approval given before it was lost still stands) and the history
        keeps the loss and the reopening."""
        opportunity_lifecycle(self.process).check("reopen", self.status, actor, self)
        self._check_change(actor, at)
        reason = _check_reason(reason)
        there = self.process.position(self.stage)
        _check_gates(
            self.id, self.process, self.department, there, self.approved_gates(), None, "reopen in"
        )
        lost_reason = self.reason
        self.status = _OPEN
        self.closed_at = None
        self.reason = None
        self._record(
            actor,
            StageChange(at, actor.user_id, None, self.stage, _OPEN, reason),
            OpportunityReopened,
            reason=reason,
            stage=self.stage,
            lost_reason=lost_reason,
        )

    def invalidate(self, actor: Actor, *, at: datetime, reason: str) -> None:
        """Declare the opportunity invalid (duplicate, spam); it leaves every forecast."""
        self._close_with_reason(
            "invalidate", OpportunityStatus.INVALID, OpportunityInvalidated, actor, at, reason
        )

    def _close_with_reason(
        self,
        transition: str,
        status: OpportunityStatus,
        event: Callable[..., DomainEvent],
        actor: Actor,
        at: datetime,
        reason: str,
    ) -> None:
        opportunity_lifecycle(self.process).check(transition, self.status, actor, self)
        self._check_change(actor, at)
        self._close(status, actor, at, _check_reason(reason))
        self._emit(
            event,
            actor,
            at,
            reason=reason,
            stage=self.stage,
        )

    def revise(
        self,
        actor: Actor,
        *,
        at: datetime,
        amount: Money | Unchanged = UNCHANGED,
        expected_close: date | Unchanged | None = UNCHANGED,
        category: ForecastCategory | Unchanged | None = UNCHANGED,
        probability_override: Percent | Unchanged | None = UNCHANGED,
    ) -> None:
        """Change the forecast figures of an open deal; None clears an override."""
        opportunity_lifecycle(self.process).check("revise", self.status, actor, self)
        self._check_change(actor, at)
        changes: dict[str, Any] = {}
        if amount is not UNCHANGED:
            checked = _check_amount(amount)
            if checked.currency != self.amount.currency:
                raise ValidationError(
                    f"amount: {checked} is not in the opportunity's currency "
                    f"{self.amount.currency}"
                )
            changes["amount"] = checked
        if expected_close is not UNCHANGED:
            if expected_close is not None and not isinstance(expected_close, date):
                raise ValidationError(f"expected_close: expected a date, got {expected_close!r}")
            changes["expected_close"] = expected_close
        if category is not UNCHANGED:
            changes["category_override"] = None if category is None else ForecastCategory(category)
        if probability_override is not UNCHANGED:
            changes["probability_override"] = _check_probability(probability_override)
        if not changes:
            raise ValidationError(f"opportunity {self.id}: revise called without any change")
        for name, value in changes.items():
            setattr(self, name, value)
        self._emit(
            OpportunityRevised,
            actor,
            at,
            changes=tuple(changes),
        )

    def hand_over(self, actor: Actor, to: str, *, at: datetime, reason: str) -> None:
        """Give the open deal to the colleague ``to``, with the reason (the owner left);
        the owner history keeps who had it, who handed it over, when and why."""
        opportunity_lifecycle(self.process).check("hand_over", self.status, actor, self)
        self._check_change(actor, at)
        if not isinstance(to, str) or not to.strip():
            raise ValidationError(f"opportunity {self.id}: to must be a user id, got {to!r}")
        if to == self.owner_id:
            raise ValidationError(f"opportunity {self.id}: {to} already owns it")
        reason = _check_reason(reason)
        previous = self.owner_id
        self.owner_history.append(OwnerChange(at, actor.user_id, previous, to, reason))
        self.owner_id = to
        self._emit(
            OpportunityHandedOver,
            actor,
            at,
            previous_owner_id=previous,
            owner_id=to,
            reason=reason,
        )

    def _last_change_at(self) -> datetime | None:
        moments = [c.at for c in self.history[-1:]] + [c.at for c in self.owner_history[-1:]]
        return max(moments) if moments else None

    # -- internals ----------------------------------------------------------------------------
    def _fill(self, feedback: Mapping[str, Any]) -> None:
        self.fields.update({k: v for k, v in feedback.items() if _filled(v)})

    def _close(
        self, status: OpportunityStatus, actor: Actor, at: datetime, reason: str | None
    ) -> None:
        self.status = status
        self.closed_at = at
        self.reason = reason
        if status is OpportunityStatus.WON:
            self.expected_close = at.date()
        self.history.append(StageChange(at, actor.user_id, self.stage, None, status, reason))

    def _record(
        self, actor: Actor, change: StageChange, event: Callable[..., DomainEvent], **fields: Any
    ) -> None:
        self._emit(event, actor, change.at, **fields)
        self.history.append(change)


def _check_gates(
    opportunity_id: str,
    process: SalesProcess,
    department: str | None,
    upto: int,
    approved: frozenset[str],
    target: tuple[str, str | None] | None,
    doing: str,
) -> None:
    """The one gate check of opening, advancing (skips included), winning and reopening:
    every approval-gated stage at or before position ``upto`` on the department's path needs
    its approval (``approved``, or ``target``'s approval_ref for the stage entered now) and,
    before it is passed, its required feedback."""
    for stage in process.stages[: upto + 1]:
        if not stage.approval_process_id or not stage.applies_to(department):
            continue
        entering = target is not None and stage.name == target[0]
        if entering and target is not None and target[1]:
            continue
        if not entering and stage.name in approved:
            continue
        where = process.stage_names[upto] if doing != "win" else "won"
        hint = "pass approval_ref" if entering else f"advance to {stage.name!r} first"
        raise InvalidTransition(
            f"opportunity {opportunity_id}: cannot {doing} {where!r}: stage {stage.name!r} "
            f"needs approval through process {stage.approval_process_id!r}; {hint}"
        )


def _stage(process: SalesProcess, name: str) -> Stage:
    if not process.has_stage(name):
        raise ValidationError(
            f"unknown stage {name!r}: sales process {process.id!r} has stages "
            f"{', '.join(process.stage_names)}"
        )
    return process.stage(name)
