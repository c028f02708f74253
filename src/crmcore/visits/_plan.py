"""The visit plan (拜访计划): one salesperson's stops for one day, in route order, with the
total distance derived from the stops (never stored), re-planned or reused on another day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._validators import non_empty
from crmcore.errors import InvariantViolation, NotFound, ValidationError
from crmcore.ports import Actor
from crmcore.visits._events import VisitPlanAssigned, VisitPlanChanged
from crmcore.visits._geo import GeoPoint
from crmcore.visits._route import Route, Stop, plan_route, route_of

__all__ = ["PlanChange", "PlannedStop", "VisitPlan"]


@attrs.frozen
class PlannedStop:
    """One stop of a plan: the customer, where it is, and the visit made for it."""

    customer_id: str
    location: GeoPoint
    visit_id: str


@attrs.frozen
class PlanChange:
    """One change of a plan's stops: when, who, how, and the order it left."""

    at: datetime
    by: str
    how: str
    order: tuple[str, ...]


def _day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{attribute.name}: expected a date, got {value!r}")


@attrs.define
class VisitPlan(AggregateRoot):
    """The stops of ``owner_id`` on ``day``; build with ``create``."""

    aggregate_kind: ClassVar[str] = "visit_plan"
    aware_times: ClassVar[bool] = True

    id: str = attrs.field(validator=non_empty)
    owner_id: str = attrs.field(validator=non_empty)
    day: date = attrs.field(validator=_day)
    stops: list[PlannedStop] = attrs.field(factory=list)
    start: GeoPoint | None = None
    copied_from: str | None = None
    history: list[PlanChange] = attrs.field(factory=list)

    @classmethod
    def create(
        cls,
        id: str,
        *,
        owner_id: str,
        day: date,
        stops: Sequence[PlannedStop],
        by: Actor,
        at: datetime,
        start: GeoPoint | None = None,
        optimise: bool = False,
        copied_from: str | None = None,
    ) -> VisitPlan:
        """A day's plan; with ``optimise`` the stops are put in route order first."""
        check_actor(by)
        check_time(at, aware=True)
        listed = _checked_stops(stops)
        plan = cls(id, owner_id, day, listed, start, copied_from)
        if optimise:
            plan.stops = plan._optimised()
        how = "copied" if copied_from else ("optimised" if optimise else "created")
        plan.history.append(PlanChange(at, by.user_id, how, plan.order))
        route = plan.route
        plan._emit(
            VisitPlanAssigned,
            by,
            at,
            owner_id=owner_id,
            day=day,
            stops=len(plan.stops),
            distance_m=route.total_m,
        )
        return plan

    # -- read -----------------------------------------------------------------------------
    @property
    def order(self) -> tuple[str, ...]:
        """The customers in visiting order."""
        return tuple(s.customer_id for s in self.stops)

    @property
    def route(self) -> Route:
        """The plan's route as ordered: every leg's metres and the total."""
        return route_of([Stop(s.customer_id, s.location) for s in self.stops], self.start)

    @property
    def distance_m(self) -> Decimal:
        """The total distance of the route as ordered, in metres."""
        return self.route.total_m

    def stop(self, customer_id: str) -> PlannedStop:
        """The stop for ``customer_id``; NotFound when the plan has none."""
        for stop in self.stops:
            if stop.customer_id == customer_id:
                return stop
        raise NotFound(f"customer_id: plan {self.id} has no stop at {customer_id!r}")

    # -- changes --------------------------------------------------------------------------
    def optimise(self, actor: Actor, *, at: datetime) -> Route:
        """Re-order the stops by the route planner; the new route."""
        self._command(actor, at)
        self.stops = self._optimised()
        self._changed(actor, at, "optimised")
        return self.route

    def reorder(self, actor: Actor, order: Sequence[str], *, at: datetime) -> Route:
        """Put the stops in the given order (every stop exactly once)."""
        self._command(actor, at)
        if sorted(order) != sorted(self.order) or len(set(order)) != len(order):
            raise ValidationError(
                f"order: must list each stop of plan {self.id} once: {sorted(self.order)}"
            )
        by_id = {s.customer_id: s for s in self.stops}
        self.stops = [by_id[c] for c in order]
        self._changed(actor, at, "reordered")
        return self.route

    def add_stop(self, actor: Actor, stop: PlannedStop, *, at: datetime) -> None:
        """Add a stop at the end of the route."""
        self._command(actor, at)
        self.stops = _checked_stops([*self.stops, stop])
        self._changed(actor, at, "stop added")

    def remove_stop(self, actor: Actor, customer_id: str, *, at: datetime) -> PlannedStop:
        """Take a stop off the plan (its visit is cancelled by the caller)."""
        self._command(actor, at)
        stop = self.stop(customer_id)
        self.stops = [s for s in self.stops if s.customer_id != customer_id]
        self._changed(actor, at, "stop removed")
        return stop

    def copy_to(
        self, new_id: str, day: date, visit_ids: Sequence[str], *, by: Actor, at: datetime
    ) -> VisitPlan:
        """This plan's route on another ``day`` (复用路线): same stops, same order, new visits
        (``visit_ids`` in stop order)."""
        if len(visit_ids) != len(self.stops):
            raise ValidationError(
                f"visit_ids: plan {self.id} has {len(self.stops)} stops, got {len(visit_ids)} ids"
            )
        if day == self.day:
            raise ValidationError(f"day: plan {self.id} is already for {day.isoformat()}")
        stops = [
            PlannedStop(s.customer_id, s.location, v)
            for s, v in zip(self.stops, visit_ids, strict=True)
        ]
        return VisitPlan.create(
            new_id,
            owner_id=self.owner_id,
            day=day,
            stops=stops,
            by=by,
            at=at,
            start=self.start,
            copied_from=self.id,
        )

    # -- internals ------------------------------------------------------------------------
    def _command(self, actor: Actor, at: datetime) -> None:
        self._check_change(actor, at)

    def _last_change_at(self) -> datetime | None:
        return self.history[-1].at if self.history else None

    def _optimised(self) -> list[PlannedStop]:
        by_id = {s.customer_id: s for s in self.stops}
        route = plan_route([Stop(s.customer_id, s.location) for s in self.stops], self.start)
        return [by_id[c] for c in route.order]

    def _changed(self, actor: Actor, at: datetime, how: str) -> None:
        self.history.append(PlanChange(at, actor.user_id, how, self.order))
        self._emit(
            VisitPlanChanged,
            actor,
            at,
            owner_id=self.owner_id,
            how=how,
            stops=len(self.stops),
            distance_m=self.distance_m,
        )


def _checked_stops(stops: Sequence[PlannedStop]) -> list[PlannedStop]:
    listed = list(stops)
    for i, stop in enumerate(listed):
        if not isinstance(stop, PlannedStop):
            raise ValidationError(f"stops[{i}]: expected a PlannedStop, got {stop!r}")
    ids = [s.customer_id for s in listed]
    twice = sorted({c for c in ids if ids.count(c) > 1})
    if twice:
        raise InvariantViolation(f"stops: customers {twice} appear twice in one day's plan")
    return listed
