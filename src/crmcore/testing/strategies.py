"""Hypothesis strategies for crmcore's types and aggregates, for your own property tests.

Values (``money``, ``percents``...) and the real aggregates in many states (``leads``,
``pools``, ``receivables``, ``orders``, ``opportunities``, ``approval_instances``, ``visits``,
``visit_plans``, ``customer_sites``), each built
through the public API with generated inputs. See docs/testing.md.

>>> from hypothesis import given
>>> from crmcore.testing import strategies as cst
>>> @given(cst.money(currency="CNY", min_value="0", max_value="1000"))
... def test_never_negative(m): assert m.amount >= 0
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from crmcore.errors import CrmError
from crmcore.forecast import (
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    SalesProcess,
    Stage,
)
from crmcore.leads import (
    ConversionRequest,
    Lead,
    LeadStatus,
    LoadBalanced,
    OpportunityDraft,
    Pool,
    PoolConfig,
    PoolMember,
    RoundRobin,
    Weighted,
)
from crmcore.money import Currency, Money, Percent, get_currency
from crmcore.orders import Order, OrderStatus
from crmcore.ports import Actor, DirectoryUser
from crmcore.pricing import (
    AmountOff,
    Catalog,
    Customer,
    DiscountAuthority,
    LineRequest,
    OrderDiscount,
    PercentOff,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    ProductGroup,
    RuleBook,
)
from crmcore.receivables import (
    DueKind,
    DueRule,
    EarlyDiscount,
    InvoiceState,
    PaymentState,
    PaymentTerms,
    Portion,
    Receivable,
    RefundState,
    TermLine,
)
from crmcore.testing._visit_strategies import (
    VISIT_ACTIONS,
    VISIT_RULES,
    customer_sites,
    geo_points,
    visit_plans,
    visits,
)
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ANY,
    QUORUM,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
    Compare,
    ManagerOf,
    OnReject,
    Role,
    Sla,
    Step,
    User,
)

__all__ = [
    "APPROVAL_DIRECTORY",
    "APPROVAL_STEPS",
    "FINANCE",
    "MANAGER",
    "MARKETING",
    "ORDER_ENGINE",
    "ORDER_STAGES",
    "RECEIVABLE_STEPS",
    "SALES",
    "SALES_PROCESS",
    "SHIPPING",
    "START",
    "VISIT_ACTIONS",
    "VISIT_RULES",
    "ApprovalSubjectSample",
    "aggregates",
    "amounts",
    "approval_instances",
    "currencies",
    "customer_sites",
    "geo_points",
    "ids",
    "leads",
    "money",
    "opportunities",
    "orders",
    "percents",
    "pools",
    "receivables",
    "visit_plans",
    "visits",
    "weights",
]

#: A spread of currencies with 0, 2 and 3 minor units.
COMMON_CURRENCIES = ("CNY", "USD", "EUR", "JPY", "KRW", "BHD", "KWD", "GBP", "CHF", "INR")


def currencies(codes: tuple[str, ...] = COMMON_CURRENCIES) -> st.SearchStrategy[Currency]:
    """Currencies drawn from ``codes`` (by default a mix of 0, 2 and 3 minor units)."""
    return st.sampled_from(codes).map(get_currency)


def amounts(
    min_value: Decimal | int | str = "-1000000",
    max_value: Decimal | int | str = "1000000",
    places: int = 2,
) -> st.SearchStrategy[Decimal]:
    """Decimals in ``[min_value, max_value]`` with at most ``places`` decimals."""
    return st.decimals(
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def money(
    draw: st.DrawFn,
    currency: str | Currency | None = None,
    min_value: Decimal | int | str = "-1000000",
    max_value: Decimal | int | str = "1000000",
    extra_places: int = 0,
) -> Money:
    """Money in ``currency`` (or a drawn one) with the currency's decimals.

    ``extra_places`` adds digits below the minor unit, for testing rounding.
    """
    cur = get_currency(currency) if currency is not None else draw(currencies())
    amount = draw(amounts(min_value, max_value, cur.minor_units + extra_places))
    return Money(amount, cur)


def percents(
    min_value: Decimal | int | str = 0, max_value: Decimal | int | str = 100, places: int = 2
) -> st.SearchStrategy[Percent]:
    """Percents in ``[min_value, max_value]`` (0–100 % by default)."""
    return amounts(min_value, max_value, places).map(Percent)


def weights(
    min_size: int = 1, max_size: int = 12, allow_zero: bool = True
) -> st.SearchStrategy[list[Decimal]]:
    """Lists of non-negative Decimal weights, never all zero."""
    low = Decimal(0) if allow_zero else Decimal("0.01")
    element = amounts(low, "10000", 2)
    return st.lists(element, min_size=min_size, max_size=max_size).filter(
        lambda ws: any(w > 0 for w in ws)
    )


# -- aggregates -------------------------------------------------------------------------------
#
# Every aggregate below is built the way an application builds it: created by its factory
# and moved through its lifecycle by its public commands, with generated inputs (names,
# amounts, times, members...). A command the domain would refuse in the drawn situation is
# skipped: the domain leaves the aggregate as it was, so skipping it is what an application
# would see. Ids carry a process-wide counter, so aggregates drawn in one test never collide
# in a store.

_serial = itertools.count(1)

#: When the drawn histories start; every later command happens after the previous one.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: The cast of every drawn history: marketing captures leads, the manager (mei) administers
#: pools, approves orders and invalidates deals, finance confirms money, shipping ships.
MARKETING = Actor("mkt", frozenset({"marketing"}))
MANAGER = Actor("mei", frozenset({"manager", "sales"}))
FINANCE = (Actor("fay", frozenset({"finance"})), Actor("fin", frozenset({"finance"})))
SALES = tuple(Actor(name, frozenset({"sales"})) for name in ("ann", "bob", "cai"))
SHIPPING = Actor("sid", frozenset({"shipping"}))

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz 张李王-", min_size=1, max_size=12).filter(
    lambda s: bool(s.strip())
)
_REASONS = st.sampled_from(["price", "competitor", "no budget", "duplicate", "timing"])


def ids(prefix: str) -> st.SearchStrategy[str]:
    """Ids ``prefix-N-xy`` unique in this process (a counter) with a drawn tail."""
    return st.text(alphabet="abcxyz", max_size=3).map(
        lambda tail: f"{prefix}-{next(_serial)}" + (f"-{tail}" if tail else "")
    )


@attrs.define
class _Clock:
    """The moments of one drawn history: each command a drawn number of minutes later."""

    now: datetime

    def tick(self, draw: st.DrawFn, max_hours: int = 72) -> datetime:
        self.now += timedelta(minutes=draw(st.integers(1, max_hours * 60)))
        return self.now


def _clock(draw: st.DrawFn) -> _Clock:
    return _Clock(START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 365))))


def _attempt(command: Callable[[], object]) -> None:
    """Run one command; a refusal (the domain then changed nothing) is skipped."""
    with contextlib.suppress(CrmError):
        command()


# -- leads and pools ----------------------------------------------------------------------------

#: Values a lead's ``custom`` fields may hold (they save and load back as they are).
_CUSTOM_VALUES: st.SearchStrategy[object] = st.one_of(
    st.text(max_size=10),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    amounts("-1000", "1000", 2),
    money(currency="CNY", min_value="0", max_value="100000"),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)


def _pool(draw: st.DrawFn) -> Pool:
    members = draw(st.lists(st.sampled_from(SALES), min_size=1, max_size=3, unique=True))
    policy = draw(st.sampled_from([RoundRobin(), LoadBalanced(), Weighted()]))
    return Pool.from_config(
        PoolConfig(
            draw(ids("pool")),
            name=draw(_WORDS),
            members=tuple(PoolMember(m.user_id, weight=draw(st.integers(1, 3))) for m in members),
            admins=frozenset({MANAGER.user_id}),
            policy=policy,
        )
    )


def _captured(draw: st.DrawFn, clock: _Clock) -> Lead:
    return Lead.capture(
        draw(ids("lead")),
        draw(_WORDS),
        source=draw(st.sampled_from(["web", "expo", "referral", "cold call"])),
        actor=MARKETING,
        at=clock.tick(draw),
        company=draw(st.text(max_size=12)),
        email=draw(st.sampled_from(["", "buyer@example.com"])),
        campaign_id=draw(st.none() | st.sampled_from(["spring", "autumn"])),
        region=draw(st.none() | st.sampled_from(["Shanghai", "Jiangsu", "Yunnan"])),
        custom=draw(
            st.dictionaries(
                st.sampled_from(["budget", "size", "since", "vip"]), _CUSTOM_VALUES, max_size=3
            )
        ),
    )


def _salesperson(user_id: str | None) -> Actor:
    return next(a for a in SALES if a.user_id == user_id)


def _holder(lead: Lead) -> Actor:
    return _salesperson(lead.owner_id)


def _take(draw: st.DrawFn, pool: Pool, lead: Lead, clock: _Clock) -> None:
    """Give a waiting lead an owner: a claim, the pool's policy, or an admin's choice (the
    drawn pools have no limits and no capacities, so each of these succeeds)."""
    how = draw(st.sampled_from(["claim", "distribute", "assign"]))
    members = sorted(pool.members)
    if how == "claim":
        pool.claim(_salesperson(draw(st.sampled_from(members))), [lead], at=clock.tick(draw))
    elif how == "assign":
        pool.assign_to(MANAGER, [lead], draw(st.sampled_from(members)), at=clock.tick(draw))
    else:
        pool.distribute(MANAGER, [lead], at=clock.tick(draw))


def _lead_in(draw: st.DrawFn, status: LeadStatus) -> tuple[Pool, Lead]:
    clock = _clock(draw)
    pool = _pool(draw)
    lead = _captured(draw, clock)
    if status is LeadStatus.NEW and draw(st.booleans()):
        return pool, lead  # captured, not routed yet
    pool.admit(MARKETING, [lead], at=clock.tick(draw), rule=draw(st.none() | st.just("region")))
    if status is LeadStatus.NEW:
        if draw(st.booleans()):  # taken, then given back
            _take(draw, pool, lead, clock)
            reason = draw(st.sampled_from(pool.return_reasons))
            pool.return_lead(
                _holder(lead),
                lead,
                at=clock.tick(draw),
                reason=reason,
                note=draw(st.text(max_size=8)),
            )
        return pool, lead
    held = status in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP) or draw(st.booleans())
    if held:
        _take(draw, pool, lead, clock)
    if held and status is not LeadStatus.ASSIGNED:
        minimum = 1 if status is LeadStatus.FOLLOWING_UP else 0
        for _ in range(draw(st.integers(minimum, 3))):
            lead.follow_up(_holder(lead), at=clock.tick(draw), note=draw(st.text(max_size=20)))
    by = _holder(lead) if lead.owner_id is not None and draw(st.booleans()) else MANAGER
    if status is LeadStatus.CONVERTED:
        opportunity = None
        if draw(st.booleans()):
            opportunity = OpportunityDraft(
                draw(ids("opp")),
                draw(_WORDS),
                draw(money(currency="CNY", min_value="1", max_value="1000000")),
                (clock.now + timedelta(days=draw(st.integers(1, 365)))).date(),
            )
        request = ConversionRequest(draw(ids("cust")), draw(ids("cont")), opportunity=opportunity)
        pool.convert(by, lead, request, at=clock.tick(draw))
    elif status is LeadStatus.INVALID:
        pool.invalidate(by, lead, at=clock.tick(draw), reason=draw(_REASONS))
    return pool, lead


@st.composite
def leads(draw: st.DrawFn, statuses: Iterable[LeadStatus] = tuple(LeadStatus)) -> Lead:
    """Leads in one of ``statuses``: captured, pooled, claimed or assigned, followed up,
    returned, converted (with or without an opportunity) or marked invalid."""
    return _lead_in(draw, draw(st.sampled_from(tuple(statuses))))[1]


@st.composite
def pools(draw: st.DrawFn, max_leads: int = 5) -> Pool:
    """Pools with members under a drawn policy, after admitting, handing out, claiming and
    taking back up to ``max_leads`` leads (so their assignment memory is not empty)."""
    clock = _clock(draw)
    pool = _pool(draw)
    batch = [_captured(draw, clock) for _ in range(draw(st.integers(0, max_leads)))]
    pool.admit(MARKETING, batch, at=clock.tick(draw))
    for lead in batch:
        _take(draw, pool, lead, clock)
        if draw(st.booleans()):
            pool.return_lead(_holder(lead), lead, at=clock.tick(draw), reason="unreachable")
    return pool


# -- receivables ------------------------------------------------------------------------------

_TERMS = (
    PaymentTerms.net(0),
    PaymentTerms.net(30),
    PaymentTerms(
        "30/70",
        [
            TermLine(Portion.percent(30), DueRule.net(0)),
            TermLine(Portion.balance(), DueRule.net(60)),
        ],
    ),
    PaymentTerms(
        "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
    ),
    PaymentTerms(
        "deposit",
        [
            TermLine(Portion.fixed(Decimal(100)), DueRule.net(0)),
            TermLine(Portion.balance(), DueRule(DueKind.END_OF_MONTH_AFTER, months=1)),
        ],
    ),
)

#: What can happen to a receivable after it is opened, drawn in any order.
RECEIVABLE_STEPS = (
    "pay",
    "pay and confirm",
    "confirm",
    "reject",
    "refund",
    "confirm refund",
    "reject refund",
    "return",
    "invoice",
    "issue invoice",
    "reject invoice",
    "cancel invoice",
)


def _part(draw: st.DrawFn, of: Decimal, places: int) -> Decimal:
    """A drawn amount in (0, of] on the currency's grid (``of`` itself one time in four)."""
    unit = Decimal(1).scaleb(-places)
    units = int(of / unit)
    if units < 1:
        return Decimal(0)
    return unit * draw(st.integers(1, units) | st.just(units))


def _receivable_step(draw: st.DrawFn, receivable: Receivable, step: str, clock: _Clock) -> None:
    cur = receivable.currency
    places = cur.minor_units
    sales = _salesperson(receivable.owner_id)
    finance = draw(st.sampled_from(FINANCE))
    at = clock.tick(draw, max_hours=24 * 20)
    if step in ("pay", "pay and confirm"):
        room = sum(receivable.room(), Decimal(0))
        amount = _part(draw, room, places)
        if amount > 0:
            reference = draw(st.none() | ids("BANK"))
            payment = receivable.record_payment(
                sales, Money(amount, cur), received_on=at.date(), at=at, reference=reference
            )
            if step == "pay and confirm":
                receivable.confirm_payment(finance, payment.id, at=at)
        return
    pending = {
        "confirm": [p.id for p in receivable.payments if p.state is PaymentState.PENDING],
        "reject": [p.id for p in receivable.payments if p.state is PaymentState.PENDING],
        "confirm refund": [r.id for r in receivable.refunds if r.state is RefundState.REQUESTED],
        "reject refund": [r.id for r in receivable.refunds if r.state is RefundState.REQUESTED],
        "issue invoice": [i.id for i in receivable.invoices if i.state is InvoiceState.REQUESTED],
        "reject invoice": [i.id for i in receivable.invoices if i.state is InvoiceState.REQUESTED],
        "cancel invoice": [i.id for i in receivable.invoices if i.state is InvoiceState.ISSUED],
    }.get(step)
    if pending is not None:
        if not pending:
            return
        target = draw(st.sampled_from(pending))
        reason = draw(_REASONS)
        decide: dict[str, Callable[[], object]] = {
            "confirm": lambda: receivable.confirm_payment(finance, target, at=at),
            "reject": lambda: receivable.reject_payment(finance, target, reason=reason, at=at),
            "confirm refund": lambda: receivable.confirm_refund(finance, target, at=at),
            "reject refund": lambda: receivable.reject_refund(
                finance, target, reason=reason, at=at
            ),
            "issue invoice": lambda: receivable.issue_invoice(
                finance, target, number=f"No. {next(_serial)}", at=at
            ),
            "reject invoice": lambda: receivable.reject_invoice(
                finance, target, reason=reason, at=at
            ),
            "cancel invoice": lambda: receivable.cancel_invoice(
                finance, target, reason=reason, at=at
            ),
        }
        _attempt(decide[step])
        return
    balance = receivable.balance(at.date())
    if step == "refund":
        requested = sum(
            (f.amount.amount for f in receivable.refunds if f.state is RefundState.REQUESTED),
            Decimal(0),
        )
        limit = balance.received.amount - balance.refunded.amount - requested
    elif step == "return":
        limit = sum(receivable.room(), Decimal(0))
    else:
        limit = balance.not_yet_invoiced.amount
    part = Money(_part(draw, limit, places), cur)
    if part.amount <= 0:
        return
    reason = draw(_REASONS)
    commands: dict[str, Callable[[], object]] = {
        "refund": functools.partial(receivable.request_refund, sales, part, reason=reason, at=at),
        "return": functools.partial(receivable.record_return, sales, part, reason=reason, at=at),
        "invoice": functools.partial(
            receivable.request_invoice,
            sales,
            part,
            title="ACME Ltd",
            tax_id="91310000MA1",
            address="Shanghai",
            at=at,
        ),
    }
    _attempt(commands[step])


@st.composite
def receivables(
    draw: st.DrawFn, max_steps: int = 8, steps: Iterable[str] = RECEIVABLE_STEPS
) -> Receivable:
    """Receivables opened on drawn terms, then up to ``max_steps`` drawn commands: payments
    recorded, confirmed or rejected, refunds requested, confirmed or rejected, returns,
    invoices requested, issued, rejected or cancelled."""
    clock = _clock(draw)
    owner = draw(st.sampled_from(SALES))
    currency = draw(st.sampled_from(["CNY", "USD", "JPY", "KWD"]))
    receivable = Receivable.open(
        draw(ids("rcv")),
        customer=draw(st.sampled_from(["acme", "globex", "initech"])),
        owner_id=owner.user_id,
        department=draw(st.none() | st.just("east")),
        amount=draw(money(currency=currency, min_value="200", max_value="1000000")),
        issue_date=clock.now.date(),
        terms=draw(st.sampled_from(_TERMS)),
        actor=owner,
        at=clock.tick(draw),
    )
    for step in draw(st.lists(st.sampled_from(tuple(steps)), max_size=max_steps)):
        _receivable_step(draw, receivable, step, clock)
    return receivable


# -- orders -----------------------------------------------------------------------------------

#: The small catalog and engine drawn orders are priced with.
ORDER_ENGINE = PricingEngine(
    Catalog(
        products=[
            Product("DRILL", "Cordless drill", group="tools", cost=Money(60, "CNY")),
            Product("SAW", "Circular saw", group="tools", cost=Money(150, "CNY")),
            Product("BIT", "Drill bit set", group="tools"),
        ],
        groups=[ProductGroup("tools")],
        customers=[Customer("acme", group="gold"), Customer("globex", group="silver")],
    ),
    [
        PriceList(
            "STD",
            "CNY",
            [
                PriceListItem("DRILL", "100"),
                PriceListItem("SAW", "200"),
                PriceListItem("BIT", "10"),
            ],
        )
    ],
    RuleBook([]),
    PricingPolicy(
        default_tax_rate=Percent(13),
        minimum_margin=Percent(15),
        authorities=[
            DiscountAuthority("sales", Percent(10), Percent(8)),
            DiscountAuthority("manager", Percent(25), Percent(15)),
        ],
    ),
)

#: The stages a drawn order can be brought to ("returned": received, then goods came back).
ORDER_STAGES = (
    "draft",
    "priced",
    "submitted",
    "confirmed",
    "cancelled",
    "partially shipped",
    "shipped",
    "received",
    "returned",
)

_ORDER_LINES = st.lists(
    st.builds(
        LineRequest,
        st.sampled_from(["DRILL", "SAW", "BIT"]),
        st.integers(1, 20),
        discount=st.none() | st.builds(PercentOff, st.builds(Percent, st.integers(0, 30))),
    ),
    min_size=1,
    max_size=4,
)
_ORDER_DISCOUNTS: st.SearchStrategy[OrderDiscount | None] = st.none() | st.sampled_from(
    [PercentOff(Percent(5)), PercentOff(Percent(20)), AmountOff(Money(1, "CNY"))]
)


@st.composite
def orders(draw: st.DrawFn, stages: Iterable[str] = ORDER_STAGES) -> Order:
    """Orders brought to one of ``stages`` (see `ORDER_STAGES`) by the ordinary
    calls: drafted with drawn lines and discounts, priced by `ORDER_ENGINE`, submitted
    (for approval or straight to confirmed), approved, shipped in parts, received, returned."""
    stage = draw(st.sampled_from(tuple(stages)))
    clock = _clock(draw)
    owner = draw(st.sampled_from(SALES))
    order = Order.draft(
        draw(ids("SO")),
        customer=draw(st.sampled_from(["acme", "globex"])),
        owner_id=owner.user_id,
        currency="CNY",
        actor=owner,
        at=clock.tick(draw),
        department=draw(st.none() | st.just("east")),
        lines=draw(_ORDER_LINES),
        order_discount=draw(_ORDER_DISCOUNTS),
        codes=draw(st.lists(st.sampled_from(["SPRING", "VIP"]), max_size=2)),
    )
    if stage == "draft":
        return order
    order.price(ORDER_ENGINE, owner, at=clock.tick(draw))
    if stage == "priced":
        return order
    approval = stage == "submitted" or draw(st.booleans())
    order.submit(owner, at=clock.tick(draw), approval_required=approval)
    if stage == "submitted":
        return order
    if approval:
        order.approve(MANAGER, at=clock.tick(draw), approval_id=draw(st.none() | ids("AP")))
    if stage == "cancelled":
        order.cancel(owner, at=clock.tick(draw), reason=draw(_REASONS))
    if stage in ("confirmed", "cancelled"):
        return order
    if stage == "partially shipped" or draw(st.booleans()):
        first = order.priced_lines[0]
        if first.quantity > 1:
            part = draw(st.integers(1, int(first.quantity) - 1))
            order.ship(SHIPPING, {first.index: part}, at=clock.tick(draw))
    if stage == "partially shipped" and order.status is OrderStatus.PARTIALLY_SHIPPED:
        return order
    order.ship_remaining(SHIPPING, at=clock.tick(draw), reference=draw(st.none() | ids("WB")))
    if stage in ("shipped", "partially shipped"):
        return order
    order.confirm_receipt(SHIPPING, at=clock.tick(draw))
    if stage == "returned":
        line = draw(st.sampled_from(order.priced_lines))
        quantity = draw(st.integers(1, int(line.quantity)))
        order.record_return(owner, {line.index: quantity}, at=clock.tick(draw), reason="damaged")
    return order


# -- opportunities ----------------------------------------------------------------------------

#: The sales process drawn opportunities follow: "qualify" needs a budget before a deal
#: leaves it, "contract" needs an approved request to enter.
SALES_PROCESS = SalesProcess(
    "strategies-b2b",
    [
        Stage("qualify", Percent(10), required_fields=("budget",)),
        Stage("needs", Percent(30), departments=("east", "west")),
        Stage("proposal", Percent(60), category=ForecastCategory.BEST_CASE),
        Stage(
            "contract",
            Percent(90),
            approval_process_id="big-deal",
            category=ForecastCategory.COMMIT,
        ),
    ],
)

#: Stage feedback values (what a salesperson types into a form: text, numbers, yes/no).
_FEEDBACK = st.one_of(_WORDS, st.integers(0, 10**7), st.booleans())


@st.composite
def opportunities(
    draw: st.DrawFn, statuses: Iterable[OpportunityStatus] = tuple(OpportunityStatus)
) -> Opportunity:
    """Opportunities in `SALES_PROCESS` with one of ``statuses``: opened in a drawn
    stage before the approval gate (from a lead or directly), moved forward (through the
    gate with an approval) and back, revised, then won, lost or declared invalid — or left
    open."""
    status = draw(st.sampled_from(tuple(statuses)))
    clock = _clock(draw)
    owner = draw(st.sampled_from(SALES))
    department = draw(st.sampled_from([None, "east", "south"]))
    path = [s.name for s in SALES_PROCESS.path_for(department)]
    gate = "contract"
    opportunity = Opportunity.open(
        draw(ids("opp")),
        SALES_PROCESS,
        amount=draw(money(currency="CNY", min_value="0", max_value="10000000")),
        owner_id=owner.user_id,
        actor=owner,
        at=clock.tick(draw),
        stage=draw(st.sampled_from(path[: path.index(gate)])),
        department=department,
        expected_close=draw(st.none() | st.dates(date(2026, 1, 1), date(2028, 12, 31))),
        lead_id=draw(st.none() | ids("lead")),
        fields=draw(st.dictionaries(st.sampled_from(["budget", "decision_maker"]), _FEEDBACK)),
    )
    targets = [*(st.sampled_from(path) for _ in range(draw(st.integers(0, 3))))]
    if status is OpportunityStatus.WON and gate not in opportunity.approved_gates():
        targets.append(st.just(gate))  # a deal wins only once its gate was approved
    for drawn in targets:
        target = draw(drawn)
        if target == opportunity.stage:
            continue
        approval = draw(ids("AP")) if target == gate else None
        opportunity.advance(
            owner,
            target,
            at=clock.tick(draw),
            feedback={"budget": draw(_FEEDBACK)},
            approval_ref=approval,
        )
    if status is OpportunityStatus.WON and gate not in opportunity.approved_gates():
        opportunity.advance(
            owner,
            gate,
            at=clock.tick(draw),
            feedback={"budget": draw(_FEEDBACK)},
            approval_ref="AP-0",
        )
    if draw(st.booleans()):
        opportunity.revise(
            owner,
            at=clock.tick(draw),
            amount=draw(money(currency="CNY", min_value="0", max_value="10000000")),
            probability_override=draw(st.none() | percents(places=0)),
            category=draw(st.none() | st.sampled_from([ForecastCategory.COMMIT])),
        )
    if status is OpportunityStatus.WON:
        opportunity.win(owner, at=clock.tick(draw), feedback={"budget": draw(_FEEDBACK)})
    elif status is OpportunityStatus.LOST:
        opportunity.lose(owner, at=clock.tick(draw), reason=draw(_REASONS))
    elif status is OpportunityStatus.INVALID:
        opportunity.invalidate(MANAGER, at=clock.tick(draw), reason=draw(_REASONS))
    return opportunity


# -- approval requests ------------------------------------------------------------------------

#: The people drawn approval requests are routed to.
APPROVAL_DIRECTORY = StaticDirectory.of(
    [
        DirectoryUser("ann", roles={"sales"}, manager_id="mei"),
        DirectoryUser("bob", roles={"sales"}, manager_id="mei"),
        DirectoryUser("cai", roles={"sales"}, manager_id="mei"),
        DirectoryUser("mei", roles={"manager", "sales"}, manager_id="dan"),
        DirectoryUser("dan", roles={"director"}),
        DirectoryUser("fay", roles={"finance"}, manager_id="dan"),
        DirectoryUser("fin", roles={"finance"}, manager_id="dan"),
    ]
)

#: Approval steps a drawn process is made of: always the manager, then perhaps the others.
APPROVAL_STEPS = (
    Step("manager", [ManagerOf(1)], mode=ANY, allow_delegation=True, sla=Sla(24, [8])),
    Step(
        "director",
        [User("dan")],
        condition=Compare("net_total", ">=", Money("200000", "CNY")),
    ),
    Step("finance", [Role("finance")], mode=QUORUM(2), on_reject=OnReject.BACK_TO_PREVIOUS),
)


@attrs.frozen
class ApprovalSubjectSample:
    """What drawn approval requests are about: an order-like subject with a net total."""

    id: str
    net_total: Money


def _decide(draw: st.DrawFn, instance: ApprovalInstance, clock: _Clock, reject: bool) -> None:
    """Answer open tasks until the request is decided: approving them all, or (``reject``)
    approving while a later step still applies, then rejecting (a finance rejection goes
    back a step, where the next rejection decides)."""
    answers = 0
    while not instance.is_decided:
        task = draw(st.sampled_from(instance.open_tasks()))
        actor = APPROVAL_DIRECTORY.user(task.approver_id).as_actor()
        at = clock.tick(draw, max_hours=30)
        answers += 1
        later = any(instance.step_applies[(instance.current_step or 0) + 1 :])
        if reject and not (later and answers <= 4 and draw(st.booleans())):
            instance.reject(actor, at=at, directory=APPROVAL_DIRECTORY, comment=draw(_REASONS))
        else:
            instance.approve(actor, at=at, directory=APPROVAL_DIRECTORY)


@st.composite
def approval_instances(
    draw: st.DrawFn, statuses: Iterable[ApprovalStatus] = tuple(ApprovalStatus)
) -> ApprovalInstance:
    """Approval requests of a drawn process (manager, director when big, a finance quorum)
    in one of ``statuses``: pending (perhaps part-way, reminded, delegated), approved,
    rejected or withdrawn."""
    status = draw(st.sampled_from(tuple(statuses)))
    clock = _clock(draw)
    manager, *later = APPROVAL_STEPS
    process = ApprovalProcess(
        draw(ids("process")),
        draw(st.integers(1, 3)),
        "order",
        [manager, *(step for step in later if draw(st.booleans()))],
        fallback_approvers=[User("dan")],
    )
    submitter = draw(st.sampled_from(SALES))
    subject = ApprovalSubjectSample(
        draw(ids("SO")), draw(money(currency="CNY", min_value="1", max_value="500000"))
    )
    instance = ApprovalInstance.start(
        process,
        subject,
        submitter,
        APPROVAL_DIRECTORY,
        at=clock.tick(draw),
        instance_id=draw(ids("AP")),
    )
    if status is ApprovalStatus.PENDING:
        # Approve step by step while a later step still applies (so it stays pending).
        for _ in range(draw(st.integers(0, 2))):
            if not any(instance.step_applies[(instance.current_step or 0) + 1 :]):
                break
            task = draw(st.sampled_from(instance.open_tasks()))
            actor = APPROVAL_DIRECTORY.user(task.approver_id).as_actor()
            instance.approve(actor, at=clock.tick(draw), directory=APPROVAL_DIRECTORY)
        instance.tick(clock.tick(draw), APPROVAL_DIRECTORY)
    elif status is ApprovalStatus.WITHDRAWN:
        instance.withdraw(submitter, at=clock.tick(draw), comment=draw(_REASONS))
    else:
        _decide(draw, instance, clock, reject=status is ApprovalStatus.REJECTED)
    return instance


def aggregates() -> st.SearchStrategy[object]:
    """Any of the real aggregates above, in any state."""
    return st.one_of(
        leads(),
        pools(),
        opportunities(),
        receivables(),
        orders(),
        approval_instances(),
        visits(),
        visit_plans(),
        customer_sites(),
    )
