"""The visit: planned for a day (or started ad hoc), checked in and out within the rules,
its actions' forms, notes and co-visitors; a history that never loses what was recorded."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._validators import non_empty
from crmcore.errors import (
    InvalidTransition,
    InvariantViolation,
    PermissionDenied,
    ValidationError,
)
from crmcore.events import DomainEvent
from crmcore.ports import Actor
from crmcore.visits._actions import ActionCatalog
from crmcore.visits._events import (
    CoVisitCheckedIn,
    CoVisitFeedbackGiven,
    CoVisitRequested,
    VisitActionRecorded,
    VisitCancelled,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitNoted,
    VisitOutsideTolerance,
    VisitRescheduled,
    VisitScheduled,
)
from crmcore.visits._geo import GeoPoint, distance_m
from crmcore.visits._rules import OutsidePolicy, Requirement, VisitRules

__all__ = [
    "ActionRecord",
    "CoVisit",
    "DayChange",
    "Note",
    "Stamp",
    "StatusChange",
    "Visit",
    "VisitStatus",
]


class VisitStatus(enum.Enum):
    """Where a visit stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@attrs.frozen
class Stamp:
    """A check-in or check-out: when, where, how far from the customer, outside tolerance."""

    at: datetime
    location: GeoPoint | None = None
    distance_m: Decimal | None = None
    outside_tolerance: bool = False


@attrs.frozen
class ActionRecord:
    """One filled-in action form; a correction is a new revision, the old one stays."""

    action_id: str
    revision: int
    data: dict[str, Any]
    by: str
    at: datetime


@attrs.frozen
class Note:
    """A note on the visit: who wrote it, when, what."""

    by: str
    at: datetime
    text: str


@attrs.frozen
class CoVisit:
    """A colleague or manager asked to join (协访): their check-in, feedback and rating."""

    user_id: str
    requested_by: str
    requested_at: datetime
    check_in: Stamp | None = None
    feedback: str | None = None
    rating: int | None = None
    rated_at: datetime | None = None


@attrs.frozen
class StatusChange:
    """One status change: from, to, who, when, why."""

    from_status: VisitStatus | None
    to_status: VisitStatus
    by: str
    at: datetime
    reason: str = ""


@attrs.frozen
class DayChange:
    """A planned visit moved to another day: from, to, who, when, why, and the plan it
    left (None when it had none)."""

    from_day: date
    to_day: date
    by: str
    at: datetime
    reason: str
    from_plan: str | None = None


def _visit_day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{attribute.name}: expected a date, got {value!r}")


@attrs.define
class Visit(AggregateRoot):
    """One visit of a salesperson (``owner_id``) to a customer on a day.

    Build it with ``schedule``. Every command is ``(actor, ..., *, at)``; a refused
    command raises a ``crmcore.errors`` exception and changes nothing. ``actions``,
    ``notes``, ``co_visits`` and ``history`` only grow.
    """

    aggregate_kind: ClassVar[str] = "visit"
    aware_times: ClassVar[bool] = True

    id: str = attrs.field(validator=non_empty)
    owner_id: str = attrs.field(validator=non_empty)
    customer_id: str = attrs.field(validator=non_empty)
    site: GeoPoint
    day: date = attrs.field(validator=_visit_day)
    department: str | None = None
    plan_id: str | None = None
    ad_hoc: bool = False
    status: VisitStatus = VisitStatus.PLANNED
    check_in: Stamp | None = None
    check_out: Stamp | None = None
    overlong: bool = False
    actions: list[ActionRecord] = attrs.field(factory=list)
    notes: list[Note] = attrs.field(factory=list)
    co_visits: list[CoVisit] = attrs.field(factory=list)
    history: list[StatusChange] = attrs.field(factory=list)
    reschedules: list[DayChange] = attrs.field(factory=list)

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def schedule(
        cls,
        id: str,
        *,
        owner_id: str,
        customer_id: str,
        site: GeoPoint,
        day: date,
        by: Actor,
        at: datetime,
        department: str | None = None,
        plan_id: str | None = None,
        ad_hoc: bool = False,
    ) -> Visit:
        """A planned visit of ``owner_id`` to ``customer_id`` (at ``site``) on ``day``."""
        check_actor(by)
        check_time(at, aware=True)
        if not isinstance(site, GeoPoint):
            raise ValidationError(f"site: expected a GeoPoint, got {site!r}")
        visit = cls(
            id,
            owner_id,
            customer_id,
            site,
            day,
            department=department,
            plan_id=plan_id,
            ad_hoc=ad_hoc,
        )
        visit.history.append(StatusChange(None, VisitStatus.PLANNED, by.user_id, at))
        visit._raise(VisitScheduled, by, at, customer_id=customer_id, day=day, ad_hoc=ad_hoc)
        return visit

    # -- read -----------------------------------------------------------------------------
    @property
    def last_change(self) -> datetime | None:
        """When the visit last changed (commands may not be dated before it)."""
        times = [c.at for c in self.history] + [n.at for n in self.notes]
        times += [a.at for a in self.actions] + [r.at for r in self.reschedules]
        for co in self.co_visits:
            times.append(co.requested_at)
            if co.check_in is not None:
                times.append(co.check_in.at)
            if co.rated_at is not None:
                times.append(co.rated_at)
        return max(times, default=None)

    @property
    def duration_s(self) -> int | None:
        """Seconds from check-in to check-out; None unless both were recorded."""
        if self.check_in is None or self.check_out is None:
            return None
        return int((self.check_out.at - self.check_in.at).total_seconds())

    @property
    def outside_tolerance(self) -> bool:
        """True when the check-in or the check-out was flagged outside the tolerance."""
        return any(s is not None and s.outside_tolerance for s in (self.check_in, self.check_out))

    def current_actions(self) -> dict[str, ActionRecord]:
        """The latest revision of each recorded action, by action id."""
        latest: dict[str, ActionRecord] = {}
        for record in self.actions:
            latest[record.action_id] = record
        return latest

    def missing_actions(self, catalog: ActionCatalog) -> tuple[str, ...]:
        """The required actions of the visit's department not recorded yet."""
        done = self.current_actions()
        return tuple(a for a in catalog.required_for(self.department) if a not in done)

    # -- execution ------------------------------------------------------------------------
    def check_in_at(
        self, actor: Actor, location: GeoPoint | None, rules: VisitRules, *, at: datetime
    ) -> Stamp:
        """The owner checks in at ``location`` on the visit's day; outside the tolerance it
        is flagged (and reported) or refused, by the rules."""
        self._command(actor, at)
        self._owner_only(actor, "check in")
        self._status_in("check in", VisitStatus.PLANNED)
        if rules.check_in is Requirement.OFF:
            raise InvalidTransition(f"visit {self.id}: check-in is switched off by the rules")
        if at.date() != self.day:
            raise ValidationError(
                f"at: visit {self.id} is planned for {self.day.isoformat()}, not "
                f"{at.date().isoformat()}"
            )
        stamp = self._stamp("check-in", location, rules, at, rules.check_in)
        self.check_in = stamp
        self._move(VisitStatus.IN_PROGRESS, actor, at)
        self._raise(
            VisitCheckedIn,
            actor,
            at,
            customer_id=self.customer_id,
            distance_m=stamp.distance_m,
            outside_tolerance=stamp.outside_tolerance,
        )
        self._report_outside("check-in", stamp, rules, actor)
        return stamp

    def record_action(
        self,
        actor: Actor,
        action_id: str,
        data: Mapping[str, object],
        catalog: ActionCatalog,
        rules: VisitRules,
        *,
        at: datetime,
    ) -> ActionRecord:
        """The owner fills in an action's form (again: a new revision, the old one kept)."""
        self._command(actor, at)
        self._owner_only(actor, "record an action on")
        self._open_for_work(rules, "record an action")
        cleaned = catalog.clean(action_id, self.department, data)
        revision = 1 + sum(1 for r in self.actions if r.action_id == action_id)
        record = ActionRecord(action_id, revision, cleaned, actor.user_id, at)
        self.actions.append(record)
        self._raise(VisitActionRecorded, actor, at, action_id=action_id, revision=revision)
        return record

    def add_note(self, actor: Actor, text: str, *, at: datetime) -> Note:
        """The owner or a co-visitor adds a note (any time but on a cancelled visit)."""
        self._command(actor, at)
        if actor.user_id != self.owner_id and self._co_visit(actor.user_id) is None:
            raise PermissionDenied(
                f"visit {self.id}: only the owner {self.owner_id} or a co-visitor may add a "
                f"note, not {actor.user_id}"
            )
        if self.status is VisitStatus.CANCELLED:
            raise InvalidTransition(f"visit {self.id}: cancelled, no more notes")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"text: a note must be non-empty, got {text!r}")
        note = Note(actor.user_id, at, text)
        self.notes.append(note)
        self._raise(VisitNoted, actor, at)
        return note

    def check_out_at(
        self,
        actor: Actor,
        location: GeoPoint | None,
        rules: VisitRules,
        catalog: ActionCatalog,
        *,
        at: datetime,
    ) -> Stamp:
        """The owner finishes the visit: refused while a required action is missing, before
        the minimum duration, or (by policy) outside the tolerance; overlong is flagged."""
        self._command(actor, at)
        self._owner_only(actor, "check out of")
        self._open_for_work(rules, "check out")
        if rules.check_out is Requirement.OFF and location is not None:
            raise ValidationError(f"location: check-out locations are off, got {location}")
        if at.date() != self.day:
            raise ValidationError(
                f"at: visit {self.id} is for {self.day.isoformat()}, check-out on "
                f"{at.date().isoformat()}"
            )
        missing = self.missing_actions(catalog)
        if missing:
            raise InvariantViolation(
                f"visit {self.id}: cannot check out, required actions missing: {list(missing)}"
            )
        duration = None
        if self.check_in is not None:
            duration = int((at - self.check_in.at).total_seconds())
            if rules.min_minutes is not None and duration < rules.min_minutes * 60:
                raise InvariantViolation(
                    f"visit {self.id}: cannot check out after {duration // 60} min "
                    f"{duration % 60} s; the minimum is {rules.min_minutes} min"
                )
        stamp = self._stamp("check-out", location, rules, at, rules.check_out)
        overlong = (
            duration is not None
            and rules.max_minutes is not None
            and duration > rules.max_minutes * 60
        )
        self.check_out = stamp
        self.overlong = overlong
        self._move(VisitStatus.COMPLETED, actor, at)
        self._raise(
            VisitCheckedOut,
            actor,
            at,
            customer_id=self.customer_id,
            duration_s=duration,
            overlong=overlong,
        )
        self._report_outside("check-out", stamp, rules, actor)
        return stamp

    def cancel(self, actor: Actor, reason: str, *, at: datetime) -> None:
        """Call off a visit not started yet, with the reason (the owner's records stay)."""
        self._command(actor, at)
        self._status_in("cancel", VisitStatus.PLANNED)
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(f"reason: required to cancel a visit, got {reason!r}")
        self._move(VisitStatus.CANCELLED, actor, at, reason)
        self._raise(VisitCancelled, actor, at, reason=reason)

    def reschedule(
        self, actor: Actor, day: date, reason: str, *, at: datetime, plan_id: str | None = None
    ) -> DayChange:
        """Move a planned visit to ``day`` (not in the past, not its own day), with the
        reason; ``plan_id`` is the plan it joins on that day (None: it stands alone)."""
        self._command(actor, at)
        self._status_in("reschedule", VisitStatus.PLANNED)
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValidationError(f"day: expected a date, got {day!r}")
        if day == self.day:
            raise ValidationError(f"day: visit {self.id} is already on {day.isoformat()}")
        if day < at.date():
            raise ValidationError(
                f"day: {day.isoformat()} is in the past (today is {at.date().isoformat()})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(f"reason: required to reschedule a visit, got {reason!r}")
        if plan_id is not None and (not isinstance(plan_id, str) or not plan_id.strip()):
            raise ValidationError(f"plan_id: expected a plan id or None, got {plan_id!r}")
        change = DayChange(self.day, day, actor.user_id, at, reason, self.plan_id)
        self.reschedules.append(change)
        self.day, self.plan_id = day, plan_id
        self._raise(
            VisitRescheduled,
            actor,
            at,
            customer_id=self.customer_id,
            from_day=change.from_day,
            to_day=day,
            reason=reason,
        )
        return change

    # -- co-visits ------------------------------------------------------------------------
    def request_co_visit(self, actor: Actor, colleague_id: str, *, at: datetime) -> CoVisit:
        """Ask a manager or colleague to join the visit (each person once)."""
        self._command(actor, at)
        self._status_in("request a co-visit on", VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)
        if not isinstance(colleague_id, str) or not colleague_id.strip():
            raise ValidationError(f"colleague_id: must be a user id, got {colleague_id!r}")
        if colleague_id == self.owner_id:
            raise ValidationError(f"colleague_id: {colleague_id} owns the visit")
        if self._co_visit(colleague_id) is not None:
            raise InvariantViolation(f"visit {self.id}: {colleague_id} is already asked to join")
        co = CoVisit(colleague_id, actor.user_id, at)
        self.co_visits.append(co)
        self._raise(CoVisitRequested, actor, at, colleague_id=colleague_id)
        return co

    def co_visit_check_in(
        self, actor: Actor, location: GeoPoint | None, rules: VisitRules, *, at: datetime
    ) -> Stamp:
        """The co-visitor checks in at the customer (tolerance as for the owner)."""
        self._command(actor, at)
        index, co = self._joining(actor, "check in")
        if co.check_in is not None:
            raise InvalidTransition(f"visit {self.id}: {actor.user_id} already checked in")
        self._status_in("join", VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)
        if at.date() != self.day:
            raise ValidationError(
                f"at: visit {self.id} is for {self.day.isoformat()}, not {at.date().isoformat()}"
            )
        required = Requirement.OPTIONAL if rules.check_in is Requirement.OFF else rules.check_in
        stamp = self._stamp("co-visit check-in", location, rules, at, required)
        self.co_visits[index] = attrs.evolve(co, check_in=stamp)
        self._raise(
            CoVisitCheckedIn, actor, at, colleague_id=actor.user_id, distance_m=stamp.distance_m
        )
        self._report_outside("co-visit check-in", stamp, rules, actor)
        return stamp

    def co_visit_feedback(
        self, actor: Actor, rating: int, feedback: str, *, at: datetime
    ) -> CoVisit:
        """The co-visitor who checked in rates the visit 1..5 with feedback (once)."""
        self._command(actor, at)
        index, co = self._joining(actor, "give feedback on")
        if co.check_in is None:
            raise InvalidTransition(f"visit {self.id}: {actor.user_id} must check in first")
        if co.rating is not None:
            raise InvalidTransition(f"visit {self.id}: {actor.user_id} already gave feedback")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValidationError(f"rating: expected a whole number 1..5, got {rating!r}")
        if not isinstance(feedback, str) or not feedback.strip():
            raise ValidationError(f"feedback: must be non-empty, got {feedback!r}")
        updated = attrs.evolve(co, feedback=feedback, rating=rating, rated_at=at)
        self.co_visits[index] = updated
        self._raise(CoVisitFeedbackGiven, actor, at, colleague_id=actor.user_id, rating=rating)
        return updated

    # -- events ---------------------------------------------------------------------------
    # -- internals ------------------------------------------------------------------------
    def _command(self, actor: Actor, at: datetime) -> None:
        self._check_change(actor, at)

    def _last_change_at(self) -> datetime | None:
        return self.last_change

    def _owner_only(self, actor: Actor, what: str) -> None:
        if actor.user_id != self.owner_id:
            raise PermissionDenied(
                f"visit {self.id}: only its owner {self.owner_id} may {what} it, not "
                f"{actor.user_id}"
            )

    def _status_in(self, what: str, *allowed: VisitStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(
                f"visit {self.id}: cannot {what} a visit that is {self.status.value}"
            )

    def _open_for_work(self, rules: VisitRules, what: str) -> None:
        self._status_in(what, VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)
        if self.status is VisitStatus.PLANNED and rules.check_in is Requirement.REQUIRED:
            raise InvalidTransition(f"visit {self.id}: check in before you {what}")

    def _stamp(
        self,
        step: str,
        location: GeoPoint | None,
        rules: VisitRules,
        at: datetime,
        requirement: Requirement,
    ) -> Stamp:
        if location is None:
            if requirement is Requirement.REQUIRED:
                raise ValidationError(f"location: the rules require a location to {step}")
            return Stamp(at)
        if not isinstance(location, GeoPoint):
            raise ValidationError(f"location: expected a GeoPoint, got {location!r}")
        distance = distance_m(location, self.site)
        outside = distance > rules.tolerance_m
        if outside and rules.outside is OutsidePolicy.REFUSE:
            raise ValidationError(
                f"location: {step} {distance} m from the customer, beyond the tolerance of "
                f"{rules.tolerance_m} m"
            )
        return Stamp(at, location, distance, outside)

    def _report_outside(self, step: str, stamp: Stamp, rules: VisitRules, actor: Actor) -> None:
        if stamp.outside_tolerance and stamp.distance_m is not None:
            self._raise(
                VisitOutsideTolerance,
                actor,
                stamp.at,
                customer_id=self.customer_id,
                step=step,
                distance_m=stamp.distance_m,
                tolerance_m=rules.tolerance_m,
            )

    def _co_visit(self, user_id: str) -> CoVisit | None:
        return next((co for co in self.co_visits if co.user_id == user_id), None)

    def _joining(self, actor: Actor, what: str) -> tuple[int, CoVisit]:
        for index, co in enumerate(self.co_visits):
            if co.user_id == actor.user_id:
                return index, co
        raise PermissionDenied(
            f"visit {self.id}: {actor.user_id} was not asked to join, so may not {what} it"
        )

    def _move(self, to: VisitStatus, actor: Actor, at: datetime, reason: str = "") -> None:
        self.history.append(StatusChange(self.status, to, actor.user_id, at, reason))
        self.status = to

    def _raise(
        self, event: Callable[..., DomainEvent], by: Actor, at: datetime, **data: Any
    ) -> None:
        self._emit(event, by, at, owner_id=self.owner_id, **data)
