"""The demo's story: one "month" of lead-to-cash work through the services.

Everything is drawn from ``random.Random`` seeded with the demo's seed and the month's number,
on a fake clock that only moves forward, so the same seed tells the same story. Each run is one
month: the first run on a storage is month 1, a run on a storage that already holds months
1..n plays month n+1 (its ids carry the month's number, so they never collide).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs

from crmcore.cli._demo_company import (
    CAMPAIGNS,
    CURRENCY,
    DISCOUNTS,
    EAST_REGIONS,
    LEADS_PER_MONTH,
    MANAGER,
    NORTH_REGIONS,
    PRODUCTS,
    SALES,
    SOURCES,
    TIERS,
    USERS,
    month_start,
)
from crmcore.cli._demo_visits import VisitWeek, play_visit_week
from crmcore.cli._forecast import DEFAULT_PROCESS
from crmcore.errors import CrmError
from crmcore.forecast import Opportunity
from crmcore.leads import Lead, OpportunityDraft
from crmcore.money import Money, Percent
from crmcore.orders import Order, OrderStatus
from crmcore.ports import Actor
from crmcore.pricing import Customer, LineRequest, PercentOff
from crmcore.receivables import Reminder
from crmcore.services import Crm
from crmcore.testing.fakes import FixedClock

__all__ = ["MonthSummary", "play_month"]


@attrs.define
class MonthSummary:
    """What one month of the story did (counts, for the report's first lines)."""

    month: int
    start: date
    leads: int = 0
    routed: Counter[str] = attrs.field(factory=Counter)
    claimed: int = 0
    returned: int = 0
    converted: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    orders: int = 0
    needed_approval: int = 0
    rejected: list[str] = attrs.field(factory=list)
    cancelled: list[str] = attrs.field(factory=list)
    shipped: int = 0
    received: int = 0
    payments: int = 0
    confirmed: int = 0
    payment_rejected: list[str] = attrs.field(factory=list)
    invoices: int = 0
    issued: int = 0
    returns: list[str] = attrs.field(factory=list)
    completed: int = 0
    reminders: list[Reminder] = attrs.field(factory=list)
    visits: VisitWeek | None = None


def _actor(user_id: str) -> Actor:
    for user in USERS:
        if user.id == user_id:
            return user.as_actor()
    raise CrmError(f"demo: no user {user_id!r}")  # pragma: no cover - the story names its users


class _Story:
    """One month of work, step by step; each step moves the fake clock forward."""

    def __init__(self, crm: Crm, clock: FixedClock, rng: random.Random, month: int) -> None:
        self.crm, self.clock, self.rng = crm, clock, rng
        self.summary = MonthSummary(month, month_start(month))
        self.held: dict[str, str] = {}  # lead → salesperson
        self.customers: dict[str, tuple[str, str]] = {}  # customer → (owner, tier)
        self.won: list[tuple[str, str]] = []  # (opportunity, customer)
        self.customer_of: dict[str, str] = {}  # opportunity → customer

    def day(self, day: int, hour: int = 9) -> None:
        start = self.summary.start
        self.clock.set(datetime(start.year, start.month, day, hour, tzinfo=UTC))

    def tick(self) -> None:
        self.clock.advance(minutes=3)

    def play(self, as_of: date) -> MonthSummary:
        self.capture_leads()
        self.claim_and_follow_up()
        self.convert()
        self.work_opportunities()
        orders = self.take_orders()
        self.ship_and_receive(orders)
        self.collect(orders)
        self.day(28, 17)
        self.summary.reminders = self.crm.receivables.send_reminders(_actor("fin.sun"), as_of)
        return self.summary

    # -- leads ----------------------------------------------------------------------------
    def capture_leads(self) -> None:
        self.day(2)
        rng, director = self.rng, _actor("director")
        for n in range(LEADS_PER_MONTH):
            region = rng.choice(EAST_REGIONS + NORTH_REGIONS)
            lead = self.crm.leads.create(
                director,
                f"Buyer {self.summary.month}-{n + 1:03d}",
                source=rng.choice(SOURCES),
                company=f"{region} Works {n + 1:03d}",
                region=region,
                campaign_id=rng.choice(CAMPAIGNS),
            )
            self.summary.leads += 1
            self.summary.routed[str(lead.pool_id)] += 1
            self.clock.advance(minutes=1)

    def claim_and_follow_up(self) -> None:
        self.day(3)
        with self.crm.storage.unit_of_work() as uow:
            prefix = f"L{self.summary.month}-"
            leads = sorted(
                (lead for lead in uow.repository(Lead).find() if lead.id.startswith(prefix)),
                key=lambda lead: lead.id,
            )
        for lead in leads:
            if self.rng.random() < 0.6:
                person = self.rng.choice(SALES[str(lead.pool_id)])
                self.crm.leads.claim(_actor(person), lead.id)
                self.held[lead.id] = person
                self.summary.claimed += 1
                self.tick()
        self.day(5)
        returned = []
        for lead_id, person in sorted(self.held.items()):
            roll = self.rng.random()
            if roll < 0.06:
                self.crm.leads.return_lead(_actor(person), lead_id, "unreachable", "no answer")
                returned.append(lead_id)
            elif roll < 0.7:
                self.crm.leads.follow_up(_actor(person), lead_id, "first call")
            self.tick()
        for lead_id in returned:
            del self.held[lead_id]
        self.summary.returned = len(returned)

    def convert(self) -> None:
        self.day(8)
        for lead_id, person in sorted(self.held.items()):
            if self.rng.random() >= 0.3:
                continue
            customer = self.crm.ids.new_id("customer")
            opportunity_id = self.crm.ids.new_id("opportunity")
            amount = Money(Decimal(self.rng.randrange(40, 400)) * 500, CURRENCY)
            close = self.summary.start + timedelta(days=self.rng.randrange(20, 120))
            self.crm.leads.convert(
                _actor(person),
                lead_id,
                customer_id=customer,
                contact_id=f"{customer}-contact",
                opportunity=OpportunityDraft(
                    opportunity_id, f"Deal with {customer}", amount, close
                ),
            )
            self.customers[customer] = (person, self.rng.choice(TIERS))
            self.customer_of[opportunity_id] = customer
            self.summary.converted += 1
            self.summary.opportunities += 1
            self.tick()

    def work_opportunities(self) -> None:
        self.day(10)
        stages = [s.name for s in DEFAULT_PROCESS.stages]
        with self.crm.storage.unit_of_work() as uow:
            prefix = f"OP{self.summary.month}-"
            opportunities = sorted(
                (o for o in uow.repository(Opportunity).find() if o.id.startswith(prefix)),
                key=lambda o: o.id,
            )
        for opportunity in opportunities:
            owner = _actor(opportunity.owner)
            reach = self.rng.randrange(len(stages))
            for stage in stages[1 : reach + 1]:
                self.crm.opportunities.advance(owner, opportunity.id, stage)
                self.tick()
            fate = self.rng.random()
            if reach >= 2 and fate < 0.55:
                self.crm.opportunities.win(owner, opportunity.id)
                self.won.append((opportunity.id, self.customer_of[opportunity.id]))
                self.summary.won += 1
            elif fate > 0.85:
                self.crm.opportunities.lose(owner, opportunity.id, "price")
                self.summary.lost += 1
            self.tick()

    # -- orders ---------------------------------------------------------------------------
    def take_orders(self) -> list[str]:
        self.day(12)
        crm, rng = self.crm, self.rng
        orders: list[str] = []
        for _, customer in self.won:
            owner_id, tier = self.customers[customer]
            owner = _actor(owner_id)
            skus = rng.sample(sorted(PRODUCTS), rng.randrange(1, 4))
            order = crm.orders.draft(
                owner,
                customer=Customer(customer, group=tier),
                currency=CURRENCY,
                lines=[LineRequest(sku, rng.randrange(1, 12)) for sku in skus],
            )
            discount = rng.choice(DISCOUNTS)
            if discount != "0":
                crm.orders.set_discount(owner, order.id, PercentOff(Percent(discount)))
            crm.orders.price(owner, order.id)
            result = crm.orders.submit(owner, order.id)
            orders.append(order.id)
            self.summary.orders += 1
            if result.status is OrderStatus.PENDING_APPROVAL:
                self.summary.needed_approval += 1
            self.tick()
        self.day(13)
        pending = [o for o in orders if self._order_status(o) is OrderStatus.PENDING_APPROVAL]
        for n, order_id in enumerate(pending):
            owner_id = self._order_owner(order_id)
            manager = _actor(MANAGER[_department(owner_id)])
            if n == 0:  # the first is rejected, re-priced within authority and resubmitted
                crm.orders.reject(manager, order_id, "discount too deep for this customer")
                self.summary.rejected.append(order_id)
                self.tick()
                crm.orders.set_discount(_actor(owner_id), order_id, PercentOff(Percent(8)))
                crm.orders.price(_actor(owner_id), order_id)
                if crm.orders.submit(_actor(owner_id), order_id).approval_id is not None:
                    self.tick()
                    crm.orders.approve(manager, order_id, "ok at 8 %")
            elif n == len(pending) - 1 and n >= 2:  # the last one stays waiting (a to-do)
                continue
            else:
                crm.orders.approve(manager, order_id, "approved")
            self.tick()
        if len(orders) >= 4:  # one order is cancelled before shipment
            cancelled = orders.pop(1)
            if self._order_status(cancelled) is not OrderStatus.PENDING_APPROVAL:
                crm.orders.cancel(
                    _actor(self._order_owner(cancelled)), cancelled, "customer postponed"
                )
                self.summary.cancelled.append(cancelled)
            self.tick()
        return orders

    def _order_status(self, order_id: str) -> OrderStatus:
        with self.crm.storage.unit_of_work() as uow:
            return uow.repository(Order).get(order_id).status

    def _order_owner(self, order_id: str) -> str:
        with self.crm.storage.unit_of_work() as uow:
            return uow.repository(Order).get(order_id).owner_id

    def ship_and_receive(self, orders: list[str]) -> None:
        self.day(15)
        clerk = _actor("ship.wu")
        confirmed = [o for o in orders if self._order_status(o) is OrderStatus.CONFIRMED]
        for n, order_id in enumerate(confirmed):
            if n == len(confirmed) - 1 and n > 0:  # the last one waits for shipping (a to-do)
                continue
            if n == 1:  # one goes out in two shipments: one unit first
                self.crm.orders.ship(clerk, order_id, {0: 1})
                self.tick()
            if self._order_status(order_id) is not OrderStatus.SHIPPED:
                self.crm.orders.ship(clerk, order_id)
            self.summary.shipped += 1
            self.tick()
        self.day(18)
        for order_id in orders:
            if self._order_status(order_id) is OrderStatus.SHIPPED:
                self.crm.orders.confirm_receipt(clerk, order_id)
                self.summary.received += 1
                self.tick()

    def collect(self, orders: list[str]) -> None:
        crm, rng = self.crm, self.rng
        received = [o for o in orders if self._order_status(o) is OrderStatus.RECEIVED]
        if len(received) >= 3:  # one return: a unit of the first line comes back
            self.day(19)
            order_id = received[2]
            crm.orders.record_return(
                _actor(self._order_owner(order_id)), order_id, {0: 1}, "damaged in transit"
            )
            self.summary.returns.append(order_id)
        self.day(20)
        recorded: list[tuple[str, str, str]] = []  # (order, receivable, payment)
        for order_id in received:
            owner = _actor(self._order_owner(order_id))
            view = crm.queries.order_money_view(owner, order_id)
            assert view.payments is not None
            if view.payments.outstanding.amount <= 0:
                continue  # everything came back: nothing to pay
            if rng.random() < 0.2:
                continue  # not paid yet: it shows in the aging
            full = rng.random() < 0.7
            amount = view.payments.outstanding if full else view.payments.next_amount_due
            if amount.amount <= 0:  # nothing due yet: the customer pays it all
                amount = view.payments.outstanding
            payment = crm.receivables.record_payment(
                owner,
                view.payments.receivable_id,
                amount,
                received_on=self.clock.now().date(),
                reference=f"bank {order_id}",
            )
            recorded.append((order_id, view.payments.receivable_id, payment.id))
            self.summary.payments += 1
            self.tick()
        self.day(22)
        finance = (_actor("fin.sun"), _actor("fin.zhou"))
        for n, (_, receivable_id, payment_id) in enumerate(recorded):
            checker = finance[n % 2]
            if n == 1:
                crm.receivables.reject_payment(
                    checker, receivable_id, payment_id, "cheque bounced"
                )
                self.summary.payment_rejected.append(receivable_id)
            elif n == len(recorded) - 1 and n > 2:
                continue  # the last one waits for finance (a to-do)
            else:
                crm.receivables.confirm_payment(checker, receivable_id, payment_id)
                self.summary.confirmed += 1
            self.tick()
        self.day(24)
        requested: list[tuple[str, str, str]] = []
        for order_id, receivable_id, _ in recorded:
            owner = _actor(self._order_owner(order_id))
            invoicing = crm.queries.invoice_view(owner, receivable_id)
            if invoicing.not_yet_invoiced.amount <= 0:
                continue
            invoice = crm.receivables.request_invoice(
                owner,
                receivable_id,
                invoicing.not_yet_invoiced,
                title=f"Customer of {order_id}",
                tax_id="91310000MA1FL0000X",
                address="No. 1 Demo Road",
            )
            requested.append((order_id, receivable_id, invoice.id))
            self.summary.invoices += 1
            self.tick()
        self.day(25)
        for n, (_, receivable_id, invoice_id) in enumerate(requested):
            if n == len(requested) - 1 and n > 0:
                continue  # the last request waits to be issued (a to-do)
            number = f"INV-{self.summary.month}-{n + 1:04d}"
            crm.receivables.issue_invoice(finance[0], receivable_id, invoice_id, number)
            self.summary.issued += 1
            self.tick()
        self.day(26)
        for order_id, _, _ in recorded:
            try:
                crm.orders.complete(_actor(self._order_owner(order_id)), order_id)
            except CrmError:
                continue  # not fully paid or invoiced yet
            self.summary.completed += 1
            self.tick()


def _department(user_id: str) -> str:
    for user in USERS:
        if user.id == user_id and user.department is not None:
            return user.department
    raise CrmError(f"demo: {user_id!r} has no department")  # pragma: no cover


def play_month(crm: Crm, clock: FixedClock, seed: int, month: int, as_of: date) -> MonthSummary:
    """Play ``month`` of the story with ``random.Random`` seeded by ``seed`` and the month."""
    rng = random.Random(seed * 1000 + month)
    story = _Story(crm, clock, rng, month)
    summary = story.play(as_of)
    # The week of visits (crmcore.cli._demo_visits) draws from its own seeded random, so
    # the rest of the story stays what it was; it touches only visit records.
    after = clock.now()
    summary.visits = play_visit_week(
        crm,
        clock,
        random.Random(f"visits-{seed}-{month}"),
        summary.start,
        story.customers,
        users=USERS,
        sales=SALES,
        managers=MANAGER,
    )
    clock.set(after)
    return summary
