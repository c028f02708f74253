"""The kit's tests that need more than one process or a shared outbox: a commit killed at
each of its statements, and deliverers in several processes sharing one outbox.

Mix them into your [`StorageContract`][crmcore.testing.contracts.StorageContract] subclass and give
the fixture ``open_elsewhere``: a *picklable* callable (``functools.partial`` of your class and its
arguments) that opens another handle on the same store — the kit calls it in child processes
started with ``spawn``. The store must hold the kit's sample kind."""

from __future__ import annotations

import multiprocessing
import queue
import signal
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from crmcore.errors import NotFound
from crmcore.money import Money
from crmcore.ports import Actor, ClaimingOutbox, Storage, StoredEvent
from crmcore.testing._processes import commit_and_die, deliver_until_empty
from crmcore.testing._sample import SampleAccount, SampleDeposited

__all__ = ["ClaimContract", "CrashContract", "DeliveryContract"]

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: Seconds a child process may take (start-up included) before the kit gives up on it.
CHILD_TIMEOUT = 60.0


def _account(id: str) -> SampleAccount:
    return SampleAccount(id, "u1", Money(100, "CNY"), date(2026, 1, 5))


def _store(storage: Storage, *accounts: SampleAccount) -> None:
    with storage.unit_of_work() as uow:
        for account in accounts:
            uow.repository(SampleAccount).add(account)
        uow.commit()


def _amount(event: object) -> Money:
    assert isinstance(event, SampleDeposited), f"not a sample deposit: {event!r}"
    return event.amount


def _claiming(storage: Storage) -> ClaimingOutbox:
    if not isinstance(storage, ClaimingOutbox):
        pytest.fail(f"{type(storage).__name__} has no claim() / release(): not a ClaimingOutbox")
    return storage


def _run(target: Callable[..., None], *args: object) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


class CrashContract:
    """A commit killed (SIGKILL) just before each statement it makes leaves the state and
    the outbox both written or both untouched — never one without the other."""

    def test_a_commit_killed_at_any_statement_is_all_or_nothing(
        self, storage: Storage, open_elsewhere: Callable[[], Storage]
    ) -> None:
        kill_at = 0
        while True:
            kill_at += 1
            assert kill_at < 50, "the commit never finished: is checkpoint() called in a loop?"
            _store(storage, _account(f"base-{kill_at}"))
            child = _run(commit_and_die, open_elsewhere, kill_at, kill_at)
            child.join(CHILD_TIMEOUT)
            if child.is_alive():
                child.kill()
                pytest.fail(
                    f"the committing child did not finish in {CHILD_TIMEOUT:g} s (killed at "
                    f"statement {kill_at}); likely cause: a lock left by an earlier killed commit"
                )
            finished = child.exitcode == 0
            if not finished:
                assert child.exitcode == -signal.SIGKILL, f"child failed: exit {child.exitcode}"
            state, events = self._what_is_stored(storage, kill_at)
            where = f"killed before statement {kill_at}" if not finished else "not killed"
            if finished or state == "written":
                assert (state, events) == ("written", [Money(1, "CNY"), Money(2, "CNY")]), (
                    f"{where}: the rows were committed but the outbox holds {events} — the "
                    "events must be written in the same transaction as the state"
                )
            else:
                assert (state, events) == ("untouched", []), (
                    f"{where}: nothing was committed but the outbox holds {events}"
                )
            if finished:
                break
        assert kill_at > 2, "the adapter calls checkpoint() fewer than twice in a commit"
        _store(storage, _account("after-the-crashes"))  # the store still takes writes

    @staticmethod
    def _what_is_stored(storage: Storage, round_: int) -> tuple[str, list[Money]]:
        with storage.unit_of_work() as uow:
            accounts = uow.repository(SampleAccount)
            version = accounts.get(f"base-{round_}").version
            try:
                accounts.get(f"new-{round_}")
                added = True
            except NotFound:
                added = False
        if (version, added) == (2, True):
            state = "written"
        elif (version, added) == (1, False):
            state = "untouched"
        else:
            state = f"half written (base version {version}, new account stored: {added})"
        subjects = {f"base-{round_}", f"new-{round_}"}
        events = [
            _amount(e.event) for e in storage.undelivered(10_000) if e.event.subject_id in subjects
        ]
        return state, sorted(events)


class ClaimContract:
    """Deliverers share the outbox through leases
    ([`ClaimingOutbox`][crmcore.ports.ClaimingOutbox]): each event is claimed by one, and a
    released or lapsed lease is claimed again."""

    def test_claims_lease_each_event_to_one_deliverer(self, storage: Storage) -> None:
        outbox = _claiming(storage)
        _store(storage, _account("acc-1"))
        for n in range(1, 6):
            with storage.unit_of_work() as uow:
                account = uow.repository(SampleAccount).get("acc-1")
                account.deposit(Actor("u1"), Money(n, "CNY"), at=AT)
                uow.repository(SampleAccount).save(account)
                uow.commit()
        mine = outbox.claim(2, 60.0)
        theirs = outbox.claim(10, 60.0)
        assert [_amount(e.event) for e in mine] == [Money(1, "CNY"), Money(2, "CNY")]
        assert [_amount(e.event) for e in theirs] == [Money(n, "CNY") for n in range(3, 6)]
        assert outbox.claim(10, 60.0) == []
        storage.mark_delivered(mine[0].seq, AT)
        outbox.release([mine[1].seq])  # could not deliver it: somebody else may now
        assert [e.seq for e in outbox.claim(10, 60.0)] == [mine[1].seq]
        assert len(storage.undelivered()) == 4  # leased is not delivered
        outbox.release([e.seq for e in theirs])
        assert outbox.claim(10, 3.0) == theirs  # a short lease this time
        assert outbox.claim(10, 60.0) == [], "an unexpired lease was claimed again"
        deadline = time.monotonic() + 30
        again: list[StoredEvent] = []
        while time.monotonic() < deadline and not again:
            time.sleep(0.1)
            again = outbox.claim(10, 60.0)
        assert again == theirs, "a lapsed lease is claimed again"


class DeliveryContract(ClaimContract):
    """[`ClaimContract`][crmcore.testing.contracts.ClaimContract], and four processes
    draining one outbox deliver every event exactly once."""

    #: How many delivery processes drain the outbox at once, and how many events they share.
    deliverers = 4
    events = 200

    def test_deliverers_in_several_processes_deliver_each_event_once(
        self, storage: Storage, open_elsewhere: Callable[[], Storage]
    ) -> None:
        accounts = [_account(f"acc-{n}") for n in range(self.events // 4)]
        _store(storage, *accounts)
        with storage.unit_of_work() as uow:
            for account in uow.repository(SampleAccount).find():
                for cents in range(1, 5):
                    account.deposit(Actor("u1"), Money(cents, "CNY"), at=AT)
                uow.repository(SampleAccount).save(account)
            uow.commit()
        expected = sorted(e.seq for e in storage.undelivered(10 * self.events))
        assert len(expected) == self.events
        results = multiprocessing.get_context("spawn").Queue()
        workers = [
            _run(deliver_until_empty, open_elsewhere, results, 60.0, 5)
            for _ in range(self.deliverers)
        ]
        delivered: dict[int, list[int]] = {}
        try:
            for _ in workers:
                pid, seqs = results.get(timeout=CHILD_TIMEOUT * 2)
                delivered[pid] = seqs
        except queue.Empty:
            pytest.fail(
                f"only {len(delivered)} of {self.deliverers} deliverers finished; likely cause: "
                "a claim that waits for another deliverer's rows instead of skipping them"
            )
        finally:
            for worker in workers:
                worker.join(CHILD_TIMEOUT)
                if worker.is_alive():
                    worker.kill()
        every = sorted(seq for seqs in delivered.values() for seq in seqs)
        twice = sorted({seq for seq in every if every.count(seq) > 1})
        assert not twice, f"events delivered more than once: {twice[:10]}"
        assert every == expected, f"events never delivered: {sorted(set(expected) - set(every))}"
        assert storage.undelivered() == []
