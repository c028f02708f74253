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

__all__ = ["LAST_DAY", "OPENING", "MonthSummary", "play_month"]

#: The last working day of a month in the story; later steps wait for the next month.
LAST_DAY = 27
#: Receivables brought forward in month 1: (confirmed on, owner, SKU, quantity), one aging
#: bucket each at the default as-of date (15 February 2026).
OPENING = (
    (date(2025, 8, 12), "wang.fang", "MOTOR", 4),
    (date(2025, 9, 25), "li.wei", "PUMP-L", 3),
    (date(2025, 10, 28), "liu.yang", "VALVE", 20),
    (date(2025, 11, 27), "zhang.min", "PANEL", 2),
    (date(2025, 12, 10), "chen.jie", "PUMP-S", 9),
)


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
    #: Month 1: receivables brought forward from before the demo (count, outstanding).
    opening: int = 0
    opening_amount: Money = attrs.field(factory=lambda: Money.zero(CURRENCY))
    #: Later months: work left from earlier months and done now.
    carried_approved: int = 0
    carried_shipped: int = 0
    carried_received: int = 0
    carried_confirmed: int = 0
    carried_issued: int = 0
    collected: int = 0
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
        self.won: list[tuple[str, str, int]] = []  # (opportunity, customer, day won)
        self.customer_of: dict[str, str] = {}  # opportunity → customer
        self.when: dict[str, int] = {}  # order → the day of its last step

    def day(self, day: int, hour: int = 9) -> None:
        start = self.summary.start
        self.clock.set(datetime(start.year, start.month, day, hour, tzinfo=UTC))

    def after(self, order_id: str, days: int) -> bool:
        """Move to ``days`` after the order's last step; False when that is past day 27
        (the step is left for next month: the order carries over)."""
        day = self.when[order_id] + days
        if day > LAST_DAY:
            return False
        self.day(day, 9 + len(self.when) % 8)
        self.when[order_id] = day
        return True

    def tick(self) -> None:
        self.clock.advance(minutes=3)

    def play(self, as_of: date) -> MonthSummary:
        if self.summary.month == 1:
            self.open_balances()
        else:
            self.carry_over()
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

    # -- what the month starts with -------------------------------------------------------
    def open_balances(self) -> None:
        """Receivables brought forward from the old system: orders of Aug-Dec 2025, shipped,
        received and (but one, partly) unpaid, so the aging has amounts in every bucket."""
        for n, (when, owner_id, sku, quantity) in enumerate(OPENING, 1):
            owner = _actor(owner_id)
            self.clock.set(datetime(when.year, when.month, when.day, 10, tzinfo=UTC))
            customer = f"C0-{n:04d}"
            order = self.crm.orders.draft(
                owner,
                customer=Customer(customer, group=TIERS[n % len(TIERS)]),
                currency=CURRENCY,
                lines=[LineRequest(sku, quantity)],
            )
            self.crm.orders.price(owner, order.id)
            self.crm.orders.submit(owner, order.id)
            self.clock.advance(days=3)
            self.crm.orders.ship(_actor("ship.wu"), order.id)
            self.clock.advance(days=3)
            self.crm.orders.confirm_receipt(_actor("ship.wu"), order.id)
            view = self.crm.queries.order_money_view(owner, order.id)
            assert view.payments is not None
            if n == 2:  # one customer paid a part
                self.clock.advance(days=20)
                part = (view.payments.outstanding * Decimal("0.4")).round()
                payment = self.crm.receivables.record_payment(
                    owner,
                    view.payments.receivable_id,
                    part,
                    received_on=self.clock.now().date(),
                    reference=f"bank {order.id}",
                )
                self.clock.advance(days=1)
                self.crm.receivables.confirm_payment(
                    _actor("fin.zhou"), view.payments.receivable_id, payment.id
                )
            payments = self.crm.queries.order_money_view(owner, order.id).payments
            assert payments is not None
            self.summary.opening += 1
            self.summary.opening_amount += payments.outstanding

    def carry_over(self) -> None:
        """What earlier months left: approvals decided, orders shipped and received, payments
        confirmed, invoices issued, and some customers paying what they owe."""
        people = {u.id: u.as_actor() for u in USERS}
        self.day(1)
        self._carry_decisions(people)
        self.day(4)
        with self.crm.storage.unit_of_work() as uow:
            orders = sorted(uow.repository(Order).find(), key=lambda o: o.id)
        for order in orders:
            if order.status is OrderStatus.SHIPPED:
                self.crm.orders.confirm_receipt(people["ship.wu"], order.id)
                self.summary.carried_received += 1
                self.tick()
        self.day(6)
        paid = self._carry_payments(orders)
        self.day(8)
        for receivable_id, payment_id in paid:
            self.crm.receivables.confirm_payment(people["fin.zhou"], receivable_id, payment_id)
            self.summary.collected += 1
            self.tick()

    def _carry_decisions(self, people: dict[str, Actor]) -> None:
        """Day 1 the managers decide what waits for them; day 2 finance and shipping act."""
        crm = self.crm
        for manager in ("mgr.east", "mgr.north", "director"):
            for task in crm.queries.approvals_waiting_for(people[manager]):
                crm.orders.approve(
                    people[manager], task.subject_id, "approved after the month end"
                )
                self.summary.carried_approved += 1
                self.tick()
        self.day(2)
        for p in crm.queries.payments_awaiting_confirmation(people["fin.sun"]):
            crm.receivables.confirm_payment(people["fin.sun"], p.receivable_id, p.payment_id)
            self.summary.carried_confirmed += 1
            self.tick()
        for i in crm.queries.invoices_awaiting_issue(people["fin.sun"]):
            number = f"INV-{self.summary.month}-C{self.summary.carried_issued + 1:03d}"
            crm.receivables.issue_invoice(people["fin.sun"], i.receivable_id, i.invoice_id, number)
            self.summary.carried_issued += 1
            self.tick()
        for ship in crm.queries.orders_awaiting_shipment(people["ship.wu"]):
            crm.orders.ship(people["ship.wu"], ship.order_id)
            self.summary.carried_shipped += 1
            self.tick()

    def _carry_payments(self, orders: list[Order]) -> list[tuple[str, str]]:
        """About half the customers who still owe pay it all; (receivable, payment) each."""
        crm = self.crm
        paid: list[tuple[str, str]] = []
        for order in orders:
            if order.status not in (OrderStatus.RECEIVED, OrderStatus.SHIPPED):
                continue
            owner = _actor(order.owner_id)
            view = crm.queries.order_money_view(owner, order.id)
            if view.payments is None or view.payments.outstanding.amount <= 0:
                continue
            if view.payments.pending_confirmation.amount > 0 or self.rng.random() < 0.5:
                continue  # still owed: it ages another month
            payment = crm.receivables.record_payment(
                owner,
                view.payments.receivable_id,
                view.payments.outstanding,
                received_on=self.clock.now().date(),
                reference=f"bank {order.id} month {self.summary.month}",
            )
            paid.append((view.payments.receivable_id, payment.id))
            self.tick()
        return paid

    # -- leads ----------------------------------------------------------------------------
    def capture_leads(self) -> None:
        self.day(1, 8)
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
        self.day(2)
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
        self.day(3)
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
        self.day(4)
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
        """Each deal moves on its own days; the won ones are won between the 5th and the 22nd."""
        stages = [s.name for s in DEFAULT_PROCESS.stages]
        with self.crm.storage.unit_of_work() as uow:
            prefix = f"OP{self.summary.month}-"
            opportunities = sorted(
                (o for o in uow.repository(Opportunity).find() if o.id.startswith(prefix)),
                key=lambda o: o.id,
            )
        for opportunity in opportunities:
            owner = _actor(opportunity.owner_id)
            reach = self.rng.randrange(len(stages))
            last = self.rng.randrange(5, 23)
            for step, stage in enumerate(stages[1 : reach + 1], 1):
                self.day(min(4 + step * 3, last), 11)
                self.crm.opportunities.advance(owner, opportunity.id, stage)
                self.tick()
            fate = self.rng.random()
            self.day(last, 16)
            if reach >= 2 and fate < 0.55:
                self.crm.opportunities.win(owner, opportunity.id)
                self.won.append((opportunity.id, self.customer_of[opportunity.id], last))
                self.summary.won += 1
            elif fate > 0.85:
                self.crm.opportunities.lose(owner, opportunity.id, "price")
                self.summary.lost += 1
            self.tick()

    # -- orders ---------------------------------------------------------------------------
    def take_orders(self) -> list[str]:
        """An order on the day each deal is won; approvals the next day or two."""
        crm, rng = self.crm, self.rng
        orders: list[str] = []
        for _, customer, won_on in sorted(self.won, key=lambda w: w[2]):
            self.day(won_on, 17)
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
            self.when[order.id] = won_on
            self.summary.orders += 1
            if result.status is OrderStatus.PENDING_APPROVAL:
                self.summary.needed_approval += 1
        pending = [o for o in orders if self._order_status(o) is OrderStatus.PENDING_APPROVAL]
        for n, order_id in enumerate(pending):
            owner_id = self._order_owner(order_id)
            manager = _actor(MANAGER[_department(owner_id)])
            if n == len(pending) - 1 and n >= 2:  # the last one waits (a to-do, then next month)
                continue
            if not self.after(order_id, 1):
                continue  # decided next month
            if n == 0:  # the first is rejected, re-priced within authority and resubmitted
                crm.orders.reject(manager, order_id, "discount too deep for this customer")
                self.summary.rejected.append(order_id)
                self.tick()
                crm.orders.set_discount(_actor(owner_id), order_id, PercentOff(Percent(8)))
                crm.orders.price(_actor(owner_id), order_id)
                if crm.orders.submit(_actor(owner_id), order_id).approval_id is not None:
                    self.tick()
                    crm.orders.approve(manager, order_id, "ok at 8 %")
            else:
                crm.orders.approve(manager, order_id, "approved")
        if len(orders) >= 4:  # one order is cancelled before shipment
            cancelled = orders.pop(1)
            status = self._order_status(cancelled)
            if status is not OrderStatus.PENDING_APPROVAL and self.after(cancelled, 1):
                crm.orders.cancel(
                    _actor(self._order_owner(cancelled)), cancelled, "customer postponed"
                )
                self.summary.cancelled.append(cancelled)
        return orders

    def _order_status(self, order_id: str) -> OrderStatus:
        with self.crm.storage.unit_of_work() as uow:
            return uow.repository(Order).get(order_id).status

    def _order_owner(self, order_id: str) -> str:
        with self.crm.storage.unit_of_work() as uow:
            return uow.repository(Order).get(order_id).owner_id

    def ship_and_receive(self, orders: list[str]) -> None:
        """Shipped two days after confirmation, received two days later (or next month)."""
        clerk = _actor("ship.wu")
        confirmed = [o for o in orders if self._order_status(o) is OrderStatus.CONFIRMED]
        for n, order_id in enumerate(confirmed):
            if n == len(confirmed) - 1 and n > 0:  # the last one waits for shipping (a to-do)
                continue
            if not self.after(order_id, 2):
                continue
            if n == 1:  # one goes out in two shipments: one unit first
                self.crm.orders.ship(clerk, order_id, {0: 1})
                self.tick()
            if self._order_status(order_id) is not OrderStatus.SHIPPED:
                self.crm.orders.ship(clerk, order_id)
            self.summary.shipped += 1
        for order_id in orders:
            if self._order_status(order_id) is OrderStatus.SHIPPED and self.after(order_id, 2):
                self.crm.orders.confirm_receipt(clerk, order_id)
                self.summary.received += 1

    def collect(self, orders: list[str]) -> None:
        """Payments some days after receipt, confirmed by finance two days later; invoices."""
        received = [o for o in orders if self._order_status(o) is OrderStatus.RECEIVED]
        if len(received) >= 3 and self.after(received[2], 1):  # one unit comes back
            order_id = received[2]
            self.crm.orders.record_return(
                _actor(self._order_owner(order_id)), order_id, {0: 1}, "damaged in transit"
            )
            self.summary.returns.append(order_id)
        recorded = self._record_payments(received)
        checked = self._check_payments(recorded)
        self._invoice(recorded)
        for order_id, _, _ in checked:
            if not self.after(order_id, 1):
                continue
            try:
                self.crm.orders.complete(_actor(self._order_owner(order_id)), order_id)
            except CrmError:
                continue  # not fully paid or invoiced yet
            self.summary.completed += 1

    def _record_payments(self, received: list[str]) -> list[tuple[str, str, str]]:
        """Most customers pay, in full or the installment due; (order, receivable, payment)."""
        crm, rng = self.crm, self.rng
        recorded: list[tuple[str, str, str]] = []
        for order_id in received:
            owner = _actor(self._order_owner(order_id))
            if rng.random() < 0.2:
                continue  # not paid yet: it shows in the aging
            full = rng.random() < 0.7
            if not self.after(order_id, rng.randrange(1, 6)):
                continue  # paid next month
            view = crm.queries.order_money_view(owner, order_id)
            assert view.payments is not None
            if view.payments.outstanding.amount <= 0:
                continue  # everything came back: nothing to pay
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
        return recorded

    def _check_payments(self, recorded: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """Finance confirms the payments two days on (one bounces, the last one waits)."""
        finance = (_actor("fin.sun"), _actor("fin.zhou"))
        checked: list[tuple[str, str, str]] = []
        for n, (order_id, receivable_id, payment_id) in enumerate(recorded):
            checker = finance[n % 2]
            if n == len(recorded) - 1 and n > 2:
                continue  # the last one waits for finance (a to-do)
            if not self.after(order_id, 2):
                continue
            if n == 1:
                self.crm.receivables.reject_payment(
                    checker, receivable_id, payment_id, "cheque bounced"
                )
                self.summary.payment_rejected.append(receivable_id)
            else:
                self.crm.receivables.confirm_payment(checker, receivable_id, payment_id)
                self.summary.confirmed += 1
            checked.append((order_id, receivable_id, payment_id))
        return checked

    def _invoice(self, recorded: list[tuple[str, str, str]]) -> None:
        """Invoices requested for what was paid, issued a day on (the last one waits)."""
        crm = self.crm
        requested: list[tuple[str, str, str]] = []
        for order_id, receivable_id, _ in recorded:
            owner = _actor(self._order_owner(order_id))
            if not self.after(order_id, 1):
                continue
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
        for n, (order_id, receivable_id, invoice_id) in enumerate(requested):
            if n == len(requested) - 1 and n > 0:
                continue  # the last request waits to be issued (a to-do)
            if not self.after(order_id, 1):
                continue
            number = f"INV-{self.summary.month}-{n + 1:04d}"
            crm.receivables.issue_invoice(_actor("fin.sun"), receivable_id, invoice_id, number)
            self.summary.issued += 1


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
