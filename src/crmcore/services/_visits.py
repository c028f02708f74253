"""Visit use cases: customer sites, day plans and routes, check-in and check-out, actions,
co-visits, ad-hoc visits nearby; and the views: frequency, due list, analysis, outcome.

Each command is one unit of work ``(case.actor, ...)`` at the Clock's time; roles come from the
access policy (``visit.*``), record access from ownership: a salesperson plans and works
their own visits, their managers (up the chain) and admins may act on them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from crmcore._decimal import to_decimal
from crmcore._numbers import show
from crmcore.errors import InvariantViolation, NotFound, ValidationError
from crmcore.orders import Order, OrderStatus
from crmcore.ports import Actor
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._change import change_one
from crmcore.services._record_access import RecordRef
from crmcore.visits import (
    ActionCatalog,
    CustomerSelector,
    CustomerSite,
    DayChange,
    DueCustomer,
    FrequencyRules,
    FrequencyTable,
    GeoPoint,
    Grain,
    Nearby,
    OrderFact,
    PlannedStop,
    Route,
    Stamp,
    Visit,
    VisitAnalysis,
    VisitFact,
    VisitOutcome,
    VisitPlan,
    VisitRules,
    nearby,
)

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["VisitService", "VisitSettings"]

T = TypeVar("T")


def _radius(value: object) -> Decimal:
    radius = to_decimal(value, "nearby_radius_m")
    if radius <= 0:
        raise ValidationError(f"nearby_radius_m: must be > 0 metres, got {radius}")
    return radius


def _days(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{attribute.name}: expected whole days >= 0, got {show(value)}")


@attrs.frozen(kw_only=True)
class VisitSettings:
    """A team's visit configuration: rules, actions, frequency by tier, the default radius
    of "customers near me" and the window of the outcome analysis.

    Load it with ``from_dict(VisitSettings, {...})``.
    """

    rules: VisitRules = attrs.field(factory=VisitRules)
    actions: ActionCatalog = attrs.field(factory=ActionCatalog)
    frequency: FrequencyRules = attrs.field(factory=FrequencyRules)
    nearby_radius_m: Decimal = attrs.field(default=Decimal(1000), converter=_radius)
    outcome_days: int = attrs.field(default=14, validator=_days)


def _site(case: UseCase, customer_id: str) -> CustomerSite:
    return case.repo(CustomerSite).get(customer_id)


def _visit(case: UseCase, visit_id: str) -> Visit:
    return case.repo(Visit).get(visit_id)


def _known_user(crm: Crm, user_id: str, field: str) -> str | None:
    """The user's department; ValidationError naming ``field`` when the Directory has no
    such active user."""
    try:
        user = crm.directory.user(user_id)
    except (NotFound, KeyError):
        raise ValidationError(f"{field}: no user {user_id!r} in the directory") from None
    if not user.active:
        raise ValidationError(f"{field}: user {user_id!r} is not active")
    return user.department


def _department(crm: Crm, user_id: str) -> str | None:
    try:
        return crm.directory.user(user_id).department
    except (NotFound, KeyError):
        return None


def _point(value: object, field: str) -> GeoPoint:
    if not isinstance(value, GeoPoint):
        raise ValidationError(f"{field}: expected a GeoPoint, got {value!r}")
    return value


@typed_boundary
class VisitService:
    """The visit use cases and views; each takes the acting user first."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    @property
    def settings(self) -> VisitSettings:
        """The configured visit settings."""
        return self._crm.config.visits

    # -- customer sites --------------------------------------------------------------------
    def register_customer(
        self,
        actor: Actor | str,
        customer_id: str,
        name: str,
        location: GeoPoint,
        *,
        owner_id: str | None = None,
        tier: str | None = None,
        type: str | None = None,
        region: str | None = None,
        campaigns: Iterable[str] = (),
    ) -> CustomerSite:
        """Register a customer's location, owner, tier and attributes for visits."""

        def work(case: UseCase) -> CustomerSite:
            owner = owner_id if owner_id is not None else case.actor.user_id
            department = _known_user(self._crm, owner, "owner_id")
            case.create_for("visit_customer", owner, department)
            site = CustomerSite.register(
                customer_id,
                name,
                _point(location, "location"),
                by=case.actor,
                at=case.at,
                owner_id=owner,
                tier=tier,
                type=type,
                region=region,
                campaigns=campaigns,
            )
            case.repo(CustomerSite).add(site)
            return site

        return self._crm.run(actor, "visit.customer", work)

    def update_customer(
        self, actor: Actor | str, customer_id: str, **changes: Any
    ) -> CustomerSite:
        """Change a customer's location, tier, owner or attributes (the owner, their
        managers or an admin; a new owner must be a known user)."""

        def work(case: UseCase) -> CustomerSite:
            site = _site(case, customer_id)
            case.reach("visit_customer", site, "write")
            new_owner = changes.get("owner_id")
            if new_owner is not None:
                _known_user(self._crm, new_owner, "owner_id")
            site.update(case.actor, at=case.at, **changes)
            case.repo(CustomerSite).save(site)
            return site

        return self._crm.run(actor, "visit.customer", work)

    # -- plans -----------------------------------------------------------------------------
    def plan_day(
        self,
        actor: Actor | str,
        owner_id: str,
        day: date,
        customer_ids: Sequence[str] = (),
        *,
        select: CustomerSelector | None = None,
        start: GeoPoint | None = None,
        optimise: bool = True,
    ) -> VisitPlan:
        """Plan ``owner_id``'s visits on ``day``: the listed customers, then those ``select``
        picks (by tier, type, region, campaign), each once; one plan per person per day. A
        planned visit is made for every stop; with ``optimise`` the stops go in route order."""

        def work(case: UseCase) -> VisitPlan:
            department = _known_user(self._crm, owner_id, "owner_id")
            case.create_for("visit_plan", owner_id, department)
            when = case.day(day, "day", required=True)
            plans = case.repo(VisitPlan)
            if plans.find(owner_id=owner_id, day=when):
                raise InvariantViolation(
                    f"day: {owner_id} already has a visit plan on {when.isoformat()}"
                )
            chosen = list(dict.fromkeys(customer_ids))
            if select is not None:
                if not isinstance(select, CustomerSelector):
                    raise ValidationError(f"select: expected a CustomerSelector, got {select!r}")
                found = self._selected(case, select)
                chosen += [s.id for s in found if s.id not in chosen]
            if not chosen:
                raise ValidationError("customer_ids: a plan needs at least one customer")
            sites = [_site(case, c) for c in chosen]
            inactive = [s.id for s in sites if not s.active]
            if inactive:
                raise InvariantViolation(f"customer_ids: {inactive} are inactive")
            plan_id = case.new_id("visit_plan")
            stops = []
            for site in sites:
                visit = Visit.schedule(
                    case.new_id("visit"),
                    owner_id=owner_id,
                    customer_id=site.id,
                    site=site.location,
                    day=when,
                    by=case.actor,
                    at=case.at,
                    department=department,
                    plan_id=plan_id,
                )
                case.repo(Visit).add(visit)
                stops.append(PlannedStop(site.id, site.location, visit.id))
            plan = VisitPlan.create(
                plan_id,
                owner_id=owner_id,
                day=when,
                stops=stops,
                by=case.actor,
                at=case.at,
                start=start,
                optimise=optimise,
            )
            plans.add(plan)
            return plan

        return self._crm.run(actor, "visit.plan", work)

    def _selected(self, case: UseCase, select: CustomerSelector) -> list[CustomerSite]:
        repo = case.repo(CustomerSite)
        pool = repo.find(owner_id=select.owner_id) if select.owner_id else repo.find()
        return select.select(pool)

    def optimise_plan(self, actor: Actor | str, plan_id: str) -> Route:
        """Put the plan's stops in route order (nearest neighbour, then 2-opt)."""
        return self._plan_change(
            actor, plan_id, lambda plan, case: plan.optimise(case.actor, at=case.at)
        )

    def reorder_plan(self, actor: Actor | str, plan_id: str, order: Sequence[str]) -> Route:
        """Put the plan's stops in the given order (each customer once)."""
        return self._plan_change(
            actor, plan_id, lambda plan, case: plan.reorder(case.actor, order, at=case.at)
        )

    def _plan_change(
        self, actor: Actor | str, plan_id: str, change: Callable[[VisitPlan, UseCase], Route]
    ) -> Route:
        def load(case: UseCase) -> VisitPlan:
            return case.reach("visit_plan", case.repo(VisitPlan).get(plan_id), "write")

        return change_one(self._crm, actor, "visit.plan", load, change)

    def copy_plan(self, actor: Actor | str, plan_id: str, day: date) -> VisitPlan:
        """Reuse a day's route on another day: the same stops in the same order, new visits
        (at the customers' current locations)."""

        def work(case: UseCase) -> VisitPlan:
            plan = case.reach("visit_plan", case.repo(VisitPlan).get(plan_id), "write")
            department = _known_user(self._crm, plan.owner_id, "owner_id")
            when = case.day(day, "day", required=True)
            if case.repo(VisitPlan).find(owner_id=plan.owner_id, day=when):
                raise InvariantViolation(
                    f"day: {plan.owner_id} already has a visit plan on {when.isoformat()}"
                )
            new_id = case.new_id("visit_plan")
            visit_ids = []
            for stop in plan.stops:
                site = _site(case, stop.customer_id)
                visit = Visit.schedule(
                    case.new_id("visit"),
                    owner_id=plan.owner_id,
                    customer_id=site.id,
                    site=site.location,
                    day=when,
                    by=case.actor,
                    at=case.at,
                    department=department,
                    plan_id=new_id,
                )
                case.repo(Visit).add(visit)
                visit_ids.append(visit.id)
            copy = plan.copy_to(new_id, when, visit_ids, by=case.actor, at=case.at)
            case.repo(VisitPlan).add(copy)
            return copy

        return self._crm.run(actor, "visit.plan", work)

    def reschedule(self, actor: Actor | str, visit_id: str, day: date, reason: str) -> DayChange:
        """Move a planned visit to another ``day`` with the reason (the owner, their managers
        or an admin): it leaves its plan and joins the owner's plan on that day, if there is
        one, at the end of the route; the owner is told when someone else moved it."""

        def work(case: UseCase) -> DayChange:
            visit = case.reach("visit", _visit(case, visit_id), "write")
            when = case.day(day, "day", required=True)
            plans = case.repo(VisitPlan)
            same_day = when == visit.day  # the visit refuses it below, with the reason
            found = [] if same_day else plans.find(owner_id=visit.owner_id, day=when)
            target = next(iter(found), None)
            if target is not None and visit.customer_id in target.order:
                raise InvariantViolation(
                    f"day: {visit.owner_id}'s plan on {when.isoformat()} already visits "
                    f"{visit.customer_id}"
                )
            left = plans.get(visit.plan_id) if visit.plan_id is not None else None
            change = visit.reschedule(
                case.actor, when, reason, at=case.at, plan_id=target.id if target else None
            )
            if left is not None:
                left.remove_stop(case.actor, visit.customer_id, at=case.at)
                plans.save(left)
            if target is not None:
                stop = PlannedStop(visit.customer_id, visit.site, visit.id)
                target.add_stop(case.actor, stop, at=case.at)
                plans.save(target)
            case.repo(Visit).save(visit)
            return change

        return self._crm.run(actor, "visit.plan", work)

    # -- execution -------------------------------------------------------------------------
    def visit_now(self, actor: Actor | str, customer_id: str, location: GeoPoint) -> Visit:
        """An ad-hoc visit (临时拜访): a visit of the case.actor to ``customer_id`` today, checked
        in at ``location`` at once (the rules' tolerance applies)."""

        def work(case: UseCase) -> Visit:
            site = _site(case, customer_id)
            if not site.active:
                raise InvariantViolation(f"customer_id: {customer_id} is inactive")
            department = _known_user(self._crm, case.actor.user_id, "case.actor")
            visit = Visit.schedule(
                case.new_id("visit"),
                owner_id=case.actor.user_id,
                customer_id=site.id,
                site=site.location,
                day=case.at.date(),
                by=case.actor,
                at=case.at,
                department=department,
                ad_hoc=True,
            )
            visit.check_in_at(
                case.actor, _point(location, "location"), self.settings.rules, at=case.at
            )
            case.repo(Visit).add(visit)
            return visit

        return self._crm.run(actor, "visit.execute", work)

    def check_in(self, actor: Actor | str, visit_id: str, location: GeoPoint | None) -> Stamp:
        """The owner checks in (flagged or refused outside the tolerance, by the rules)."""
        return self._on_visit(
            actor,
            visit_id,
            "visit.execute",
            lambda v, case: v.check_in_at(case.actor, location, self.settings.rules, at=case.at),
        )

    def record_action(
        self, actor: Actor | str, visit_id: str, action_id: str, data: Mapping[str, object]
    ) -> None:
        """The owner fills in an action's form (a correction is a new revision)."""
        settings = self.settings
        self._on_visit(
            actor,
            visit_id,
            "visit.execute",
            lambda v, case: v.record_action(
                case.actor, action_id, data, settings.actions, settings.rules, at=case.at
            ),
        )

    def add_note(self, actor: Actor | str, visit_id: str, text: str) -> None:
        """The owner or a co-visitor adds a note."""
        self._on_visit(
            actor,
            visit_id,
            "visit.execute",
            lambda v, case: v.add_note(case.actor, text, at=case.at),
            reach=False,
        )

    def check_out(self, actor: Actor | str, visit_id: str, location: GeoPoint | None) -> Stamp:
        """The owner finishes the visit (every required action recorded, long enough)."""
        settings = self.settings
        return self._on_visit(
            actor,
            visit_id,
            "visit.execute",
            lambda v, case: v.check_out_at(
                case.actor, location, settings.rules, settings.actions, at=case.at
            ),
        )

    def cancel(self, actor: Actor | str, visit_id: str, reason: str) -> None:
        """Call off a planned visit (the owner, their managers or an admin)."""

        def work(case: UseCase) -> None:
            visit = case.reach("visit", _visit(case, visit_id), "write")
            visit.cancel(case.actor, reason, at=case.at)
            case.repo(Visit).save(visit)

        self._crm.run(actor, "visit.cancel", work)

    def request_co_visit(self, actor: Actor | str, visit_id: str, colleague_id: str) -> None:
        """Ask a manager or colleague to join (the owner, their managers or an admin)."""

        def work(case: UseCase) -> None:
            visit = case.reach("visit", _visit(case, visit_id), "write")
            _known_user(self._crm, colleague_id, "colleague_id")
            visit.request_co_visit(case.actor, colleague_id, at=case.at)
            case.repo(Visit).save(visit)

        self._crm.run(actor, "visit.co_visit", work)

    def co_visit_check_in(
        self, actor: Actor | str, visit_id: str, location: GeoPoint | None
    ) -> Stamp:
        """The invited co-visitor checks in at the customer."""
        return self._on_visit(
            actor,
            visit_id,
            "visit.co_visit",
            lambda v, case: v.co_visit_check_in(
                case.actor, location, self.settings.rules, at=case.at
            ),
            reach=False,
        )

    def co_visit_feedback(
        self, actor: Actor | str, visit_id: str, rating: int, feedback: str
    ) -> None:
        """The co-visitor rates the visit 1..5 with feedback."""
        self._on_visit(
            actor,
            visit_id,
            "visit.co_visit",
            lambda v, case: v.co_visit_feedback(case.actor, rating, feedback, at=case.at),
            reach=False,
        )

    def _on_visit(
        self,
        actor: Actor | str,
        visit_id: str,
        action: str,
        command: Callable[[Visit, UseCase], T],
        *,
        reach: bool = True,
    ) -> T:
        # With ``reach`` the record-access rule applies (write); without, the domain alone
        # decides who may (an invited co-visitor need not be in the owner's team).
        def work(case: UseCase) -> T:
            visit = _visit(case, visit_id)
            if reach:
                case.reach("visit", visit, "write")
            result = command(visit, case)
            case.repo(Visit).save(visit)
            return result

        return self._crm.run(actor, action, work)

    # -- views -----------------------------------------------------------------------------
    def plan_of(self, actor: Actor | str, owner_id: str, day: date) -> VisitPlan:
        """The plan of ``owner_id`` on ``day``; NotFound when there is none."""

        def work(case: UseCase) -> VisitPlan:
            self._may_see(case, owner_id)
            found = case.repo(VisitPlan).find(owner_id=owner_id, day=case.day(day, "day"))
            if not found:
                raise NotFound(f"day: {owner_id} has no visit plan on {day}")
            return found[0]

        return self._crm.read(actor, "visit.view", work)

    def visits_of(self, actor: Actor | str, owner_id: str, day: date | None = None) -> list[Visit]:
        """The visits of ``owner_id`` (on ``day`` when given), by id."""

        def work(case: UseCase) -> list[Visit]:
            self._may_see(case, owner_id)
            repo = case.repo(Visit)
            if day is None:
                return repo.find(owner_id=owner_id)
            return repo.find(owner_id=owner_id, day=case.day(day, "day"))

        return self._crm.read(actor, "visit.view", work)

    def nearby(
        self,
        actor: Actor | str,
        location: GeoPoint,
        radius_m: Decimal | int | str | None = None,
        *,
        limit: int | None = None,
    ) -> list[Nearby]:
        """Active customers within ``radius_m`` (default: the settings') of ``location``,
        nearest first, among the customers the case.actor may read (own, team, or granted all)."""

        def work(case: UseCase) -> list[Nearby]:
            radius = self.settings.nearby_radius_m if radius_m is None else radius_m
            return nearby(self._visible_sites(case), location, radius, limit=limit)

        return self._crm.read(actor, "visit.view", work)

    def frequency(
        self, actor: Actor | str, as_of: date | None = None, owner_id: str | None = None
    ) -> FrequencyTable:
        """The frequency table of the period containing ``as_of`` (today by default)."""

        def work(case: UseCase) -> FrequencyTable:
            day = case.day(as_of)
            sites = self._visible_sites(case, owner_id)
            facts = self._facts(case, {s.id for s in sites})
            return self.settings.frequency.table(sites, facts, day)

        return self._crm.read(actor, "visit.view", work)

    def due(
        self, actor: Actor | str, as_of: date | None = None, owner_id: str | None = None
    ) -> list[DueCustomer]:
        """The customers due for a visit this period: the salesperson's to-do list."""
        return self.frequency(actor, as_of, owner_id).due()

    def analysis(
        self,
        actor: Actor | str,
        start: date,
        end: date,
        *,
        grain: Grain = Grain.MONTH,
        owner_id: str | None = None,
    ) -> VisitAnalysis:
        """Visits per salesperson and period from ``start`` to ``end`` (inclusive), with the
        coverage of the customers each owns."""

        def work(case: UseCase) -> VisitAnalysis:
            first, last = self._span(case, start, end)
            sites = self._visible_sites(case, owner_id)
            owned: dict[str, set[str]] = {}
            for site in sites:
                if site.owner_id is not None:
                    owned.setdefault(site.owner_id, set()).add(site.id)
            facts = [
                VisitFact.of(v) for v in self._visits(case, owner_id) if first <= v.day <= last
            ]
            return VisitAnalysis.of(facts, grain=grain, owned=owned)

        return self._crm.read(actor, "visit.view", work)

    def outcome(
        self,
        actor: Actor | str,
        start: date,
        end: date,
        *,
        within_days: int | None = None,
        owner_id: str | None = None,
    ) -> VisitOutcome:
        """Orders (confirmed, by net amount) of visited customers within N days after a
        visit against customers not visited, over the customers the case.actor may see."""

        def work(case: UseCase) -> VisitOutcome:
            first, last = self._span(case, start, end)
            sites = self._visible_sites(case, owner_id)
            ids = {s.id for s in sites}
            orders = []
            for customer in sorted(ids):
                for order in case.repo(Order).find(customer_id=customer):
                    fact = _order_fact(order)
                    if fact is not None:
                        orders.append(fact)
            days = self.settings.outcome_days if within_days is None else within_days
            return VisitOutcome.of(
                ids, self._facts(case, ids), orders, start=first, end=last, within_days=days
            )

        return self._crm.read(actor, "visit.view", work)

    # -- access ----------------------------------------------------------------------------
    def _may_see(self, case: UseCase, owner_id: str) -> None:
        """Reading ``owner_id``'s visits: themself, their managers, or a role granted all."""
        ref = RecordRef("visit", f"(of {owner_id})", owner_id, _department(self._crm, owner_id))
        self._crm.config.record_access.check(self._crm.directory, case.actor, ref, "read")

    def _visible_sites(self, case: UseCase, owner_id: str | None = None) -> list[CustomerSite]:
        repo = case.repo(CustomerSite)
        if owner_id is not None:
            self._may_see(case, owner_id)
            return repo.find(owner_id=owner_id)
        return [s for s in repo.find() if case.may("visit_customer", s)]

    def _visits(self, case: UseCase, owner: str | None) -> list[Visit]:
        repo = case.repo(Visit)
        if owner is not None:
            self._may_see(case, owner)
            return repo.find(owner_id=owner)
        return [v for v in repo.find() if case.may("visit", v)]

    def _facts(self, case: UseCase, customers: set[str]) -> list[VisitFact]:
        repo = case.repo(Visit)
        return [VisitFact.of(v) for c in sorted(customers) for v in repo.find(customer_id=c)]

    @staticmethod
    def _span(case: UseCase, start: date, end: date) -> tuple[date, date]:
        first = case.day(start, "start", required=True)
        last = case.day(end, "end", required=True)
        if last < first:
            raise ValidationError(f"end: {last} is before start {first}")
        return first, last


def _order_fact(order: Order) -> OrderFact | None:
    """A confirmed (not cancelled) order as an outcome fact: its confirmation day and net
    amount after returns."""
    if order.confirmed_at is None or order.status is OrderStatus.CANCELLED:
        return None
    amount = order.net_amount
    if amount is None:
        return None
    return OrderFact(order.id, order.customer_id, order.confirmed_at.date(), amount)
