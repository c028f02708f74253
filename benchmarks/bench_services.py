"""Complete payment cycles through the services (record, confirm, request and issue an
invoice: four use cases, four commits, notifications delivered) on the memory adapter, with
1,000 and with 100,000 receivables already stored. Goal: time ratio <= 1.5."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from benchmarks._harness import table
from crmcore.adapters.memory import MemoryDatabase
from crmcore.forecast import SalesProcess, Stage
from crmcore.money import Money, Percent
from crmcore.ports import Actor, DirectoryUser
from crmcore.receivables import PaymentTerms, Receivable
from crmcore.services import KINDS, Crm, CrmConfig
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory

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
                    owner=f"rep-{n % 50}",
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
            ANN, customer="acme", owner="ann", amount=Money("100000.00", "CNY"), issue_date=ISSUED
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
    small, large = (100, 1_000) if quick else (1_000, 100_000)
    cycles = 20 if quick else 300
    rows = []
    per_cycle = {}
    for stored in (small, large):
        crm = _crm(stored)
        best = min(_cycles(crm, cycles) for _ in range(3))
        per_cycle[stored] = best / cycles
        rows.append([f"{stored:,}", cycles, cycles / best, best / cycles * 1e3])
    print(
        table(
            "services: complete payment cycles (record + confirm + invoice request + issue) on "
            f"the memory adapter, CPU time, best of 3 (goal: time({large:,}) / time({small:,}) "
            "<= 1.5)",
            ["receivables stored", "cycles", "cycles/s", "ms/cycle"],
            rows,
        )
    )
    print(f"ratio {large:,} / {small:,}: {per_cycle[large] / per_cycle[small]:.3f}")
