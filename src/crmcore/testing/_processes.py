"""What the kit runs in child processes: a commit killed at one of its statements, and a
delivery worker draining a shared outbox. Module-level functions, so ``spawn`` can start them.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from crmcore.errors import ConcurrencyConflict
from crmcore.money import Money
from crmcore.ports import Actor, ClaimingOutbox, Storage, set_checkpoint_hook
from crmcore.testing._sample import SampleAccount

__all__ = ["CRASH_AT", "commit_and_die", "deliver_until_empty"]

CRASH_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def commit_and_die(opener: Callable[[], Storage], round_: int, kill_at: int) -> None:
    """Deposit into ``base-N`` and add ``new-N`` with a deposit in one commit, killing this
    process (SIGKILL: no cleanup, no rollback) just before the adapter's ``kill_at``-th
    statement. Exits normally when the commit has fewer statements than that."""
    storage = opener()
    seen = 0

    def hook(label: str) -> None:
        nonlocal seen
        seen += 1
        if seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    with storage.unit_of_work() as uow:
        accounts = uow.repository(SampleAccount)
        base = accounts.get(f"base-{round_}")
        base.deposit(Actor("crasher"), Money(1, "CNY"), at=CRASH_AT)
        accounts.save(base)
        new = SampleAccount(f"new-{round_}", "crasher", Money(0, "CNY"), date(2026, 3, 1))
        new.deposit(Actor("crasher"), Money(2, "CNY"), at=CRASH_AT)
        accounts.add(new)
        set_checkpoint_hook(hook)
        uow.commit()
    set_checkpoint_hook(None)


def deliver_until_empty(
    opener: Callable[[], Storage], results: Any, lease: float, batch: int
) -> None:
    """Claim, 'deliver' (report the sequence numbers to ``results``) and mark delivered
    until the shared outbox has nothing left to claim."""
    storage = opener()
    if not isinstance(storage, ClaimingOutbox):
        raise TypeError(f"{type(storage).__name__} has no claim(): not a ClaimingOutbox")
    delivered: list[int] = []
    while True:
        try:
            claimed = storage.claim(batch, lease)
        except ConcurrencyConflict:
            continue
        if not claimed:
            break
        for stored in claimed:
            delivered.append(stored.seq)
            storage.mark_delivered(stored.seq, CRASH_AT)
        time.sleep(0)  # let the other workers in
    results.put((os.getpid(), delivered))
