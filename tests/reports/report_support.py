"""Real aggregates for the reports tests: a one-product engine without tax (so figures are
easy to check by hand), orders driven through their lifecycle, their receivables, leads
captured with a campaign and converted through a pool, and opportunities."""

from __future__ import annotations

from datetime import UTC, date, datetime

from crmcore.forecast import Opportunity, SalesProcess
from crmcore.leads import ConversionRequest, Lead, OpportunityDraft, Pool, PoolConfig, PoolMember
from crmcore.money import Money, Percent
from crmcore.orders import Order, open_receivable, record_return_on
from crmcore.ports import Actor
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountAuthority,
    LineRequest,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import DueRule, PaymentTerms, Portion, Receivable, TermLine
from crmcore.serialization import from_dict

ANN, BOB, CAL = (Actor(u, {"sales"}) for u in ("ann", "bob", "cal"))
SHIPPING = Actor("sam", {"shipping"})
FINANCE = Actor("fiona", {"finance"})
MARKETING = Actor("mkt", {"marketing"})
ADMIN = Actor("mei", {"sales_manager"})

ENGINE = PricingEngine(
    Catalog(
        products=[Product("WIDGET", "Widget")],
        customers=[
            Customer("acme", group="gold"),
            Customer("globex", group="silver"),
            Customer("initech"),
        ],
    ),
    [
        PriceList("STD", "CNY", [PriceListItem("WIDGET", "100")]),
        PriceList("USD", "USD", [PriceListItem("WIDGET", "20")]),
    ],
    RuleBook([]),
    PricingPolicy(
        default_tax_rate=Percent(0),
        authorities=[DiscountAuthority("sales", Percent(100), Percent(100))],
    ),
)
TERMS = PaymentTerms("net 30", [TermLine(Portion.balance(), DueRule.net(30))])
PROCESS = from_dict(
    SalesProcess,
    {
        "id": "b2b",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "won", "probability": "100"},
        ],
    },
)


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def at(day: int, month: int = 3, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour)


def confirmed_order(
    order_id: str,
    owner: Actor,
    *,
    customer: str | Customer,
    widgets: int,
    on: datetime,
    department: str | None = None,
    currency: str = "CNY",
) -> Order:
    """A draft of ``widgets`` widgets, priced and submitted (no approval) at ``on``."""
    order = Order.draft(
        order_id,
        customer=customer,
        owner_id=owner.user_id,
        department=department,
        currency=currency,
        actor=owner,
        at=on,
        lines=[LineRequest("WIDGET", widgets)],
    )
    order.price(ENGINE, owner, at=on)
    order.submit(owner, at=on, approval_required=False)
    return order


def sale(
    order_id: str,
    owner: Actor,
    *,
    customer: str,
    widgets: int,
    on: datetime,
    department: str | None = None,
    currency: str = "CNY",
) -> tuple[Order, Receivable]:
    """A confirmed order and the receivable its confirmation opened."""
    order = confirmed_order(
        order_id,
        owner,
        customer=customer,
        widgets=widgets,
        on=on,
        department=department,
        currency=currency,
    )
    return order, open_receivable(order, TERMS, f"AR-{order_id}", actor=owner, at=on)


def pay(
    receivable: Receivable,
    by: Actor,
    amount: Money,
    recorded: datetime,
    confirmed: datetime | None,
) -> None:
    """Record a payment and (unless ``confirmed`` is None) have finance confirm it."""
    payment = receivable.record_payment(by, amount, received_on=recorded.date(), at=recorded)
    if confirmed is not None:
        receivable.confirm_payment(FINANCE, payment.id, at=confirmed)


def refund(receivable: Receivable, by: Actor, amount: Money, when: datetime) -> None:
    """A refund requested and confirmed by finance at ``when``."""
    r = receivable.request_refund(by, amount, reason="goodwill", at=when)
    receivable.confirm_refund(FINANCE, r.id, at=when)


def invoice(receivable: Receivable, by: Actor, amount: Money, when: datetime) -> None:
    """An invoice requested and issued by finance at ``when``."""
    inv = receivable.request_invoice(
        by, amount, title="Customer Ltd", tax_id="91310000", address="Shanghai", at=when
    )
    receivable.issue_invoice(FINANCE, inv.id, number=f"No. {inv.id}", at=when)


def ship_receive_return(
    order: Order, receivable: Receivable, by: Actor, widgets: int, when: datetime
) -> None:
    """Ship everything, confirm receipt, and take ``widgets`` back (order and receivable)."""
    order.ship_remaining(SHIPPING, at=when)
    order.confirm_receipt(SHIPPING, at=when)
    note = order.record_return(by, {0: widgets}, at=when, reason="damaged")
    record_return_on(receivable, note, actor=by, at=when)


def pool() -> Pool:
    """A pool of ann, bob and cal administered by mei."""
    return Pool.from_config(
        PoolConfig(
            "p", members=(PoolMember("ann"), PoolMember("bob"), PoolMember("cal")), admins=("mei",)
        )
    )


def lead(
    lead_id: str, campaign: str | None, when: datetime, the_pool: Pool, owner: str = "ann"
) -> Lead:
    """A lead captured (with ``campaign``) and assigned to ``owner`` at ``when`` (UTC)."""
    captured = Lead.capture(
        lead_id,
        f"Prospect {lead_id}",
        source="expo",
        actor=MARKETING,
        at=when,
        campaign_id=campaign,
    )
    the_pool.admit(MARKETING, [captured], at=when)
    the_pool.assign_to(ADMIN, [captured], owner, at=when)
    return captured


def convert(
    the_pool: Pool,
    the_lead: Lead,
    customer: str,
    when: datetime,
    opportunity: tuple[str, str] | None = None,
    existing: bool = False,
) -> None:
    """Convert the lead into ``customer`` (and an opportunity ``(id, amount)``) by an admin."""
    draft = None
    if opportunity is not None:
        draft = OpportunityDraft(opportunity[0], "Deal", cny(opportunity[1]), date(2026, 6, 30))
    the_pool.convert(
        ADMIN,
        the_lead,
        ConversionRequest(
            customer, f"contact-{the_lead.id}", existing_customer=existing, opportunity=draft
        ),
        at=when,
    )


def opportunity(
    opp_id: str, amount: str, when: datetime, lead_id: str | None = None
) -> Opportunity:
    """An opportunity opened by ann (from ``lead_id`` when given)."""
    return Opportunity.open(
        opp_id, PROCESS, amount=cny(amount), owner_id="ann", actor=ANN, at=when, lead_id=lead_id
    )


def utc(day: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


class MarchBook:
    """The hand-checked March 2026 scenario (period [1 March, 1 April), as of 31 March).

    - SO-1 ann/east/acme 5 widgets = 500.00, confirmed 2 Mar: 300.00 received 5 Mar,
      400.00 invoiced 6 Mar, one widget returned 10 Mar (100.00) → outstanding 100.00;
    - SO-2 ann/east/globex 200.00, confirmed 12 Mar: 200.00 received 15 Mar, 50.00 refunded
      20 Mar → outstanding 50.00;
    - SO-3 bob/west/acme 300.00, confirmed 20 Mar: 100.00 recorded 30 Mar, confirmed 3 Apr;
    - SO-4 bob/west/initech 100.00, confirmed 2 Apr (after the period);
    - SO-5 cal/(none)/globex 400.00, confirmed 25 Mar, cancelled 26 Mar;
    - SO-6 cal draft, never confirmed;
    - SO-7 bob/west/initech 100.00, confirmed 28 Mar, no receivable opened yet.

    Leads: L1 expo → acme (20 Feb) with OPP-1 600.00; L2 expo open; L3 web → globex
    (25 Feb) and OPP-2 300.00 opened from it; L4 web → acme again (15 Mar, first touch keeps
    acme with expo); L5 no campaign, open.
    """

    def __init__(self) -> None:
        o1, r1 = sale("SO-1", ANN, customer="acme", widgets=5, on=at(2), department="east")
        pay(r1, ANN, cny(300), at(5), at(5))
        invoice(r1, ANN, cny(400), at(6))
        ship_receive_return(o1, r1, ANN, 1, at(10))
        o2, r2 = sale("SO-2", ANN, customer="globex", widgets=2, on=at(12), department="east")
        pay(r2, ANN, cny(200), at(15), at(15))
        refund(r2, ANN, cny(50), at(20))
        o3, r3 = sale("SO-3", BOB, customer="acme", widgets=3, on=at(20), department="west")
        pay(r3, BOB, cny(100), at(30), at(3, month=4))
        o4, r4 = sale("SO-4", BOB, customer="initech", widgets=1, on=at(2, 4), department="west")
        o5 = confirmed_order("SO-5", CAL, customer="globex", widgets=4, on=at(25))
        o5.cancel(CAL, at=at(26), reason="customer changed its mind")
        o6 = Order.draft(
            "SO-6",
            customer="acme",
            owner_id="cal",
            currency="CNY",
            actor=CAL,
            at=at(27),
            lines=[LineRequest("WIDGET", 1)],
        )
        o7 = confirmed_order(
            "SO-7", BOB, customer="initech", widgets=1, on=at(28), department="west"
        )
        self.orders = [o1, o2, o3, o4, o5, o6, o7]
        self.receivables = [r1, r2, r3, r4]
        self.sales: list[Order | tuple[Order, Receivable | None]] = [
            (o1, r1),
            (o2, r2),
            (o3, r3),
            (o4, r4),
            o5,
            o6,
            (o7, None),
        ]
        p = pool()
        l1 = lead("L1", "expo", utc(1), p)
        l2 = lead("L2", "expo", utc(1), p, owner="bob")
        l3 = lead("L3", "web", utc(2), p)
        l4 = lead("L4", "web", utc(3), p, owner="bob")
        l5 = lead("L5", None, utc(4), p, owner="cal")
        convert(p, l1, "acme", utc(20), ("OPP-1", "600"))
        convert(p, l3, "globex", utc(25))
        convert(p, l4, "acme", utc(15, 3), existing=True)
        self.leads = [l1, l2, l3, l4, l5]
        self.opportunities = [
            opportunity("OPP-2", "300", utc(26), lead_id="L3"),
            opportunity("OPP-1", "600", utc(20)),
        ]
