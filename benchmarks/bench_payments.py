"""Payments on one receivable: the cost of one record + confirm as its history grows.

A receivable keeps every payment as a fact and derives its figures from them; it also keeps
the fold of "now" current as each payment is recorded and confirmed, so the next payment
costs the same at 10 payments and at 10,000 (goal: ratio <= 2). Through the services each
commit also writes the receivable, whose stored document grows with its history; that part
is printed beside it, compared with the same code at 10 payments in the same run, and with
a store configured as before issue 23 (every write loaded back, every read decoded) at 10
and 1,000 payments. CPU time: the machine is shared. The services are timed after two
warm-up rounds: a store loads back and compares the first write of each signature of the
receivable (pending payment or not), a one-off cost per store.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from benchmarks._harness import table
from crmcore.adapters import WriteCheck
from crmcore.adapters.memory import MemoryDatabase
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import PaymentTerms, Receivable
from crmcore.services import KINDS, Crm, CrmConfig
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory

SALES, FINANCE = Actor("sam", {"sales"}), Actor("fay", {"finance"})
AT = datetime(2026, 1, 1, 9, tzinfo=UTC)
ONE = Money("1.00", "CNY")


def _receivable(n: int) -> Receivable:
    """A 100,000,000.00 receivable with ``n`` confirmed payments of 1.00."""
    receivable = Receivable.open(
        "AR-1",
        customer="acme",
        owner_id="sam",
        amount=Money("100000000.00", "CNY"),
        issue_date=date(2026, 1, 1),
        terms=PaymentTerms.net(30),
        actor=SALES,
        at=AT,
    )
    for i in range(n):
        payment = receivable.record_payment(
            SALES, ONE, received_on=date(2026, 1, 2), at=AT, reference=f"bank-{i}"
        )
        receivable.confirm_payment(FINANCE, payment.id, at=AT)
    return receivable


def domain_ms(n: int, rounds: int) -> float:
    """Milliseconds per record + confirm on a receivable that already has ``n`` payments."""
    receivable = _receivable(n)
    start = time.process_time()
    for i in range(rounds):
        payment = receivable.record_payment(
            SALES, ONE, received_on=date(2026, 1, 2), at=AT, reference=f"new-{i}"
        )
        receivable.confirm_payment(FINANCE, payment.id, at=AT)
    return (time.process_time() - start) / rounds * 1000


def services_ms(n: int, rounds: int, old: bool = False) -> float:
    """The same through ``crm.receivables`` on the memory adapter (load, change, commit);
    ``old``: on a store configured as before issue 23."""
    from crmcore.ports import DirectoryUser

    storage = (
        MemoryDatabase(KINDS, verify_writes=WriteCheck.ALWAYS, decoded_rows=0)
        if old
        else MemoryDatabase(KINDS)
    )
    with storage.unit_of_work() as uow:
        uow.repository(Receivable).add(_receivable(n))
        uow.commit()
    users = [
        DirectoryUser("sam", "Sam", frozenset({"sales"})),
        DirectoryUser("fay", "Fay", frozenset({"finance"})),
    ]
    crm = Crm(
        storage,
        StaticDirectory.of(users),
        RecordingNotifier(),
        FixedClock(AT),
        SequentialIds(),
        CrmConfig(),
    )
    for i in range(2):  # warm up: the store meets each signature of the receivable once
        paid = crm.receivables.record_payment(
            "sam", "AR-1", ONE, received_on=date(2026, 1, 2), reference=f"warm-{i}"
        )
        crm.receivables.confirm_payment("fay", "AR-1", paid.id)
    start = time.process_time()
    for i in range(rounds):
        paid = crm.receivables.record_payment(
            "sam", "AR-1", ONE, received_on=date(2026, 1, 2), reference=f"new-{i}"
        )
        crm.receivables.confirm_payment("fay", "AR-1", paid.id)
    return (time.process_time() - start) / rounds * 1000


def run(quick: bool = False) -> None:
    sizes = [10, 1_000] if quick else [10, 1_000, 10_000]
    rounds = 20 if quick else 200
    domain = {n: domain_ms(n, rounds) for n in sizes}
    service_rounds = max(rounds // 10, 5)
    services = {n: services_ms(n, service_rounds) for n in sizes}
    before = {n: services_ms(n, service_rounds, old=True) for n in sizes[:2]}
    rows = [
        (
            f"{n:,}",
            domain[n],
            domain[n] / domain[sizes[0]],
            services[n],
            services[n] / services[sizes[0]],
            before.get(n, float("nan")),
        )
        for n in sizes
    ]
    print(
        table(
            "payments on one receivable: ms per record + confirm with n payments already "
            f"there, CPU time (goal: ratio {sizes[-1]:,} / {sizes[0]} <= 2)",
            ["payments", "domain ms", "÷ at 10", "services ms", "÷ at 10", "before #23 ms"],
            rows,
        )
    )
    last, mid = sizes[-1], sizes[1]
    print(f"domain ratio {last:,} / 10: {domain[last] / domain[10]:.2f}")
    print(f"services ratio {last:,} / 10: {services[last] / services[10]:.2f}")
    ratio = services[mid] / before[mid]
    print(f"services at {mid:,}, ratio to the store before issue 23: {ratio:.2f}")
