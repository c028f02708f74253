"""Order-to-cash and payment cycles through the services, on the memory adapter.

Order-to-cash (twelve use cases, draft to completed) for a customer with no history and for
one with 3,000 settled receivables and 3,000 completed orders (goal: ratio <= 1.5; the credit
check at submission must not load the history), and under 8 ms per cycle; the same cycle
with the old commit, which loads every write back (``WriteCheck.ALWAYS``), gives the ratio to
the code before issue 23. Payment cycles (record, confirm, request and issue an invoice) with
1,000 and with 100,000 receivables of many customers stored (goal: ratio <= 1.5).

CPU time, the median of interleaved rounds: the machine is shared.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import attrs

from benchmarks._harness import table
from crmcore.adapters import WriteCheck
from crmcore.adapters.memory import MemoryDatabase
from crmcore.forecast import SalesProcess, Stage
from crmcore.money import Money, Percent
from crmcore.orders import Order
from crmcore.ports import Actor, DirectoryUser
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountAuthority,
    LineRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import CreditPolicy, PaymentTerms, Receivable
from crmcore.serialization import from_dict
from crmcore.services import KINDS, Crm, CrmConfig
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory
from crmcore.workflow import ApprovalProcess, ProcessRegistry

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ISSUED = date(2026, 3, 2)
ANN = Actor("ann", {"sales"})
FAY = Actor("fay", {"finance"})
FIN = Actor("fin", {"finance"})
CHUNK = 5_000


def _crm(stored: int) -> Crm:
    """A Crm over a memory database already holding ``stored`` receivables of many owners."""
    database = MemoryDatabase(KINDS)
    terms = PaymentTerms.net(30)
    for start in range(0, stored, CHUNK):
        with database.unit_of_work() as uow:
            receivables = uow.repository(Receivable)
            for n in range(start, min(start + CHUNK, stored)):
                receivable = Receivable.open(
                    f"old-{n:06d}",
                    customer=f"customer-{n % 997}",
                    owner_id=f"rep-{n % 50}",
                    amount=Money(1000 + n % 500, "CNY"),
                    issue_date=ISSUED,
                    terms=terms,
                    actor=ANN,
                    at=START,
                )
                receivable.pull_events()  # history already delivered long ago
                receivables.add(receivable)
            uow.commit()
    directory = StaticDirectory.of(
        [
            DirectoryUser("ann", roles={"sales"}, manager_id="mia"),
            DirectoryUser("mia", roles={"manager"}),
            DirectoryUser("fay", roles={"finance"}),
            DirectoryUser("fin", roles={"finance"}),
        ]
    )
    process = SalesProcess("b2b", [Stage("won", Percent(100))])
    return Crm(
        database,
        directory,
        RecordingNotifier(),
        FixedClock(START),
        SequentialIds(),
        CrmConfig(process),
    )


def _cycles(crm: Crm, count: int) -> float:
    """Seconds for ``count`` complete cycles, each on a receivable of its own."""
    targets = [
        crm.receivables.open(
            ANN,
            customer="acme",
            owner_id="ann",
            amount=Money("100000.00", "CNY"),
            issue_date=ISSUED,
        ).id
        for _ in range(count)
    ]
    notifier = crm.notifier
    assert isinstance(notifier, RecordingNotifier)
    notifier.clear()
    began = time.process_time()
    for target in targets:
        payment = crm.receivables.record_payment(
            ANN, target, Money("100.00", "CNY"), received_on=ISSUED
        )
        crm.receivables.confirm_payment(FAY, target, payment.id)
        invoice = crm.receivables.request_invoice(
            ANN, target, Money("100.00", "CNY"), title="Acme", tax_id="9131", address="Shanghai"
        )
        crm.receivables.issue_invoice(FIN, target, invoice.id, f"No. {target}")
    elapsed = time.process_time() - began
    # 2 finance users + owner + manager + 2 finance users + owner, per cycle
    assert len(notifier.sent) == 7 * count, len(notifier.sent)
    return elapsed


def run(quick: bool = False) -> None:
    run_payments(quick)
    print()
    gc.collect()  # the payment cycles' stores (100,000 receivables each) are garbage now
    run_orders(quick)


def run_payments(quick: bool = False) -> None:
    small, large = (100, 1_000) if quick else (1_000, 100_000)
    cycles = 20 if quick else 300
    rows = []
    per_cycle = {}
    crms = {stored: _crm(stored) for stored in (small, large)}
    times: dict[int, list[float]] = {stored: [] for stored in crms}
    for _ in range(3):
        for stored, crm in crms.items():
            times[stored].append(_cycles(crm, cycles))
    for stored in crms:
        median = statistics.median(times[stored])
        per_cycle[stored] = median / cycles
        rows.append([f"{stored:,}", cycles, cycles / median, median / cycles * 1e3])
    print(
        table(
            "services: complete payment cycles (record + confirm + invoice request + issue) on "
            "the memory adapter, CPU time, median of 3 interleaved rounds (goal: "
            f"time({large:,}) / time({small:,}) <= 1.5)",
            ["receivables stored", "cycles", "cycles/s", "ms/cycle"],
            rows,
        )
    )
    print(f"ratio {large:,} / {small:,}: {per_cycle[large] / per_cycle[small]:.3f}")


# -- complete order-to-cash cycles ------------------------------------------------------------
PEOPLE = [
    DirectoryUser("anne", roles={"sales"}, department="east", manager_id="mike"),
    DirectoryUser("mike", roles={"manager"}, department="east"),
    DirectoryUser("finn", roles={"finance"}),
    DirectoryUser("fay", roles={"finance"}),
    DirectoryUser("sam", roles={"shipping"}),
]
ANNE, MIKE, FINN, SHIP = (Actor(u.id, u.roles) for u in PEOPLE if u.id != "fay")
LINES = (LineRequest("DRILL", 3), LineRequest("SAW", 2))
TWENTY_OFF = PercentOff(Percent(20))


#: Customers of the cycles without history: each cycle sells to one never seen before.
NEWCOMERS = 2_000


def _order_config() -> CrmConfig:
    registry = ProcessRegistry()
    registry.publish(
        from_dict(
            ApprovalProcess,
            {
                "id": "orders",
                "version": 1,
                "subject_kind": "order",
                "entry_condition": {
                    "field": "approval_reasons.kind",
                    "op": "contains",
                    "value": "discount_above_authority",
                },
                "steps": [{"name": "manager", "approvers": [{"manager_of": 1}]}],
            },
        )
    )
    customers = [Customer("acme")] + [Customer(f"new-{n}") for n in range(NEWCOMERS)]
    engine = PricingEngine(
        Catalog(
            products=[
                Product("DRILL", "Cordless drill", cost=Money(60, "CNY")),
                Product("SAW", "Circular saw", cost=Money(150, "CNY")),
            ],
            customers=customers,
        ),
        [PriceList("STD", "CNY", [PriceListItem("DRILL", "100"), PriceListItem("SAW", "200")])],
        RuleBook([]),
        PricingPolicy(
            default_tax_rate=Percent(13),
            authorities=[
                DiscountAuthority("sales", Percent(10), Percent(8)),
                DiscountAuthority("manager", Percent(25), Percent(15)),
            ],
        ),
    )
    credit = from_dict(CreditPolicy, {"no_limit": "allowed", "overdue_decision": None})
    process = SalesProcess("b2b", [Stage("won", Percent(100))])
    return CrmConfig(process, approvals=registry, pricing=engine, credit_policy=credit)


def _new_crm(database: MemoryDatabase) -> Crm:
    return Crm(
        database,
        StaticDirectory.of(PEOPLE),
        RecordingNotifier(),
        FixedClock(START),
        SequentialIds(),
        _order_config(),
    )


def templates() -> tuple[Order, Receivable]:
    """One completed order of the cycle below and its settled receivable, made through the
    services on a scratch database."""
    crm = _new_crm(MemoryDatabase(KINDS))
    _order_cycles(crm, 1, lambda _: "acme")
    with crm.storage.unit_of_work() as uow:
        order = uow.repository(Order).get("order-1")
        return order, uow.repository(Receivable).get(f"AR-{order.id}")


def template_order() -> Order:
    """One order of the cycle below, completed through the services on a scratch database."""
    return templates()[0]


def _order_crm(history: int, old: bool = False) -> Crm:
    """A Crm over a memory database where customer "acme" has ``history`` completed orders
    and as many settled receivables (copies of one cycle's: storing them prices nothing);
    ``old``: the commit and reads before issue 23 (every write loaded back, every read
    decoded)."""
    database = (
        MemoryDatabase(KINDS, verify_writes=WriteCheck.ALWAYS, decoded_rows=0)
        if old
        else MemoryDatabase(KINDS)
    )
    order, receivable = templates()
    for start in range(0, history, CHUNK):
        with database.unit_of_work() as uow:
            orders, receivables = uow.repository(Order), uow.repository(Receivable)
            for n in range(start, min(start + CHUNK, history)):
                orders.add(attrs.evolve(order, id=f"old-{n:06d}", owner_id=f"rep-{n % 50}"))
                receivables.add(attrs.evolve(receivable, id=f"AR-old-{n:06d}"))
            uow.commit()
    return _new_crm(database)


def _order_cycles(crm: Crm, count: int, customer: Callable[[int], str]) -> float:
    """Seconds for ``count`` complete cycles: draft, discount, price, submit, approve, ship,
    receipt, record and confirm the payment, request and issue the invoice, complete; cycle
    ``n`` sells to ``customer(n)``."""
    notifier = crm.notifier
    assert isinstance(notifier, RecordingNotifier)
    notifier.clear()
    began = time.process_time()
    for n in range(count):
        order = crm.orders.draft(ANNE, customer=customer(n), currency="CNY", lines=LINES)
        crm.orders.set_discount(ANNE, order.id, TWENTY_OFF)
        crm.orders.price(ANNE, order.id)
        crm.orders.submit(ANNE, order.id)
        crm.orders.approve(MIKE, order.id)
        crm.orders.ship(SHIP, order.id)
        crm.orders.confirm_receipt(SHIP, order.id)
        view = crm.queries.order_money_view(ANNE, order.id)
        assert view.payments is not None
        receivable = view.payments.receivable_id
        amount = view.payments.outstanding
        payment = crm.receivables.record_payment(ANNE, receivable, amount, received_on=ISSUED)
        crm.receivables.confirm_payment(FINN, receivable, payment.id)
        invoice = crm.receivables.request_invoice(
            ANNE, receivable, amount, title="Acme", tax_id="9131", address="Shanghai"
        )
        crm.receivables.issue_invoice(FINN, receivable, invoice.id, f"No. {order.id}")
        crm.orders.complete(ANNE, order.id)
    elapsed = time.process_time() - began
    # approver; owner + shipping; 2 finance; owner + manager; 2 finance; owner — per cycle
    assert len(notifier.sent) == 10 * count, len(notifier.sent)
    return elapsed


def run_orders(quick: bool = False) -> None:
    history = 30 if quick else 3_000
    cycles, rounds = (3, 1) if quick else (40, 5)
    newcomers = iter(range(NEWCOMERS))

    def fresh(_: int) -> str:
        return f"new-{next(newcomers)}"

    setups: dict[str, tuple[Crm, Callable[[int], str]]] = {
        "no history": (_order_crm(0), fresh),
        f"{history:,} settled receivables": (_order_crm(history), lambda _: "acme"),
        "no history, before issue 23 (every write loaded back, every read decoded)": (
            _order_crm(0, old=True),
            fresh,
        ),
    }
    for crm, customer in setups.values():
        _order_cycles(crm, 1, customer)  # warm up
    times: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(rounds):
        for name, (crm, customer) in setups.items():
            times[name].append(_order_cycles(crm, cycles, customer) / cycles)
    ms = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    rows = [[name, cycles, rounds, ms[name]] for name in setups]
    print(
        table(
            "services: complete order-to-cash cycles (12 use cases: draft ... complete) on the "
            f"memory adapter, CPU time, median of {rounds} interleaved rounds (goals: "
            f"time({history:,}) / time(none) <= 1.5; < 8 ms per cycle)",
            ["customer", "cycles", "rounds", "ms/cycle"],
            rows,
        )
    )
    new, long, old = (ms[name] for name in setups)
    print(f"ms per cycle (no history): {new:.2f}")
    print(f"ratio to the code before issue 23 (same cycle, no history): {new / old:.2f}")
    print(f"ratio time({history:,} settled receivables) / time(none): {long / new:.2f}")
