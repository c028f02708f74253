"""The adapter conformance kit: pytest test classes an adapter author subclasses.

Subclass :class:`StorageContract` in your test suite and give it two fixtures:

- ``storage``: a fresh, empty store (your ``Storage``) holding at least
  :data:`CONTRACT_KINDS`;
- ``reopen``: a callable that opens *another* handle on the same store (a new connection),
  callable from another thread.

Every test of the kit then runs against your adapter: get / add / save / find semantics,
``NotFound``, optimistic version conflicts, rollback, the outbox, a round trip of generated
aggregates, and concurrent writers. crmcore runs this kit against its own memory and SQLite
adapters.
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore.errors import (
    ConcurrencyConflict,
    CurrencyMismatch,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    ValidationError,
)
from crmcore.events import DomainEvent
from crmcore.money import Money
from crmcore.ports import AggregateKind, Storage
from crmcore.testing import strategies as cst

__all__ = [
    "CONTRACT_KINDS",
    "SampleAccount",
    "SampleDeposited",
    "SampleStatus",
    "StorageContract",
    "sample_accounts",
]

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class SampleStatus(enum.Enum):
    """The states of the sample aggregate."""

    OPEN = "open"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class SampleDeposited(DomainEvent):
    """Money went into a sample account."""

    amount: Money


@attrs.define
class SampleAccount:
    """A small aggregate with the shapes adapters must store: Money, enum, date, set, list."""

    id: str
    owner_id: str
    balance: Money
    opened_on: date
    status: SampleStatus = SampleStatus.OPEN
    tags: frozenset[str] = frozenset()
    notes: list[str] = attrs.field(factory=list)
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, init=False, eq=False, repr=False)

    def deposit(self, amount: Money, actor_id: str, at: datetime) -> None:
        """Add ``amount`` (positive, same currency) and record who did it."""
        if amount.currency != self.balance.currency:
            raise CurrencyMismatch(f"deposit {amount} into a {self.balance.currency} account")
        if amount.amount <= 0:
            raise ValidationError(f"deposit: amount must be > 0, got {amount}")
        if self.status is not SampleStatus.OPEN:
            raise InvariantViolation(f"account {self.id} is closed")
        self.balance += amount
        self._events.append(
            SampleDeposited(
                occurred_at=at,
                actor_id=actor_id,
                subject_kind="sample_account",
                subject_id=self.id,
                amount=amount,
            )
        )

    def close(self) -> None:
        """Close the account; it then takes no deposits."""
        self.status = SampleStatus.CLOSED

    def peek_events(self) -> list[DomainEvent]:
        """The events raised since the last pull, without forgetting them."""
        return list(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


#: The kinds a store under test must hold.
CONTRACT_KINDS: tuple[AggregateKind[Any], ...] = (
    AggregateKind("sample_account", SampleAccount, indexes=("owner_id", "status", "balance")),
)

_ids = itertools.count(1)


@st.composite
def sample_accounts(draw: st.DrawFn) -> SampleAccount:
    """Sample accounts with arbitrary money, dates, tags and notes (unique ids)."""
    return SampleAccount(
        id=f"acc-{next(_ids)}-{draw(st.text('abcxyz-', max_size=4))}",
        owner_id=draw(st.sampled_from(["u1", "u2", "用户3"])),
        balance=draw(cst.money(extra_places=2)),
        opened_on=draw(st.dates()),
        status=draw(st.sampled_from(SampleStatus)),
        tags=frozenset(draw(st.lists(st.text(max_size=5), max_size=3))),
        notes=draw(st.lists(st.text(max_size=20), max_size=3)),
    )


def _account(id: str = "acc-1", owner_id: str = "u1", amount: str = "100.00") -> SampleAccount:
    return SampleAccount(id, owner_id, Money(amount, "CNY"), date(2026, 1, 5))


class StorageContract:
    """The behaviour every crmcore storage adapter must have. Subclass with fixtures
    ``storage`` (a fresh empty store) and ``reopen`` (another handle on the same store)."""

    # -- get / add / save ---------------------------------------------------------------------
    def test_an_added_aggregate_comes_back_equal_with_version_1(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.repository(SampleAccount).add(_account())
            uow.commit()
        with storage.unit_of_work() as uow:
            loaded = uow.repository(SampleAccount).get("acc-1")
        assert loaded == attrs.evolve(_account(), version=1)
        assert loaded.balance == Money("100.00", "CNY")
        assert loaded.version == 1

    def test_get_of_a_missing_id_raises_not_found(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            with pytest.raises(NotFound, match="no sample_account with id 'nope'"):
                repo.get("nope")
            with pytest.raises(KeyError):
                repo.get("nope")

    def test_loaded_aggregates_are_copies(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as uow:
            first = uow.repository(SampleAccount).get("acc-1")
            assert uow.repository(SampleAccount).get("acc-1") is first  # one per unit of work
            first.notes.append("changed but never saved")
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.repository(SampleAccount).get("acc-1")
        assert again is not first
        assert again.notes == []

    def test_save_bumps_the_version_and_stores_the_change(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
            account.deposit(Money("0.50", "CNY"), "u9", AT)
            uow.repository(SampleAccount).save(account)
            uow.commit()
            assert account.version == 2
        with storage.unit_of_work() as uow:
            loaded = uow.repository(SampleAccount).get("acc-1")
        assert loaded.balance == Money("100.50", "CNY")
        assert loaded.version == 2

    def test_a_stale_save_is_a_conflict_and_writes_nothing(self, storage: Storage) -> None:
        self._store(storage, _account(), _account("acc-2"))
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.repository(SampleAccount).get("acc-1")
            theirs = second.repository(SampleAccount).get("acc-1")
            theirs.deposit(Money(1, "CNY"), "u2", AT)
            second.repository(SampleAccount).save(theirs)
            second.commit()
            other = first.repository(SampleAccount).get("acc-2")
            other.deposit(Money(5, "CNY"), "u1", AT)
            first.repository(SampleAccount).save(other)
            mine.deposit(Money(2, "CNY"), "u1", AT)
            first.repository(SampleAccount).save(mine)
            with pytest.raises(ConcurrencyConflict, match=r"acc-1.*changed by someone else"):
                first.commit()
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            assert repo.get("acc-1").balance == Money(101, "CNY")
            assert repo.get("acc-2").balance == Money(100, "CNY")  # not half-applied
            assert repo.get("acc-2").version == 1
        assert [e.event.subject_id for e in storage.undelivered()] == ["acc-1"]

    def test_adding_an_existing_id_is_a_conflict(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict, match="already exists"):
                uow.repository(SampleAccount).add(_account())
            uow.repository(SampleAccount).add(_account("acc-2"))
            with pytest.raises(ConcurrencyConflict, match="already exists"):
                uow.repository(SampleAccount).add(_account("acc-2"))

    def test_two_units_adding_the_same_id_conflict_at_commit(self, storage: Storage) -> None:
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.repository(SampleAccount).add(_account(amount="1"))
            second.repository(SampleAccount).add(_account(amount="2"))
            first.commit()
            with pytest.raises(ConcurrencyConflict, match="already exists"):
                second.commit()
        with storage.unit_of_work() as uow:
            assert uow.repository(SampleAccount).get("acc-1").balance == Money(1, "CNY")

    def test_saving_what_was_never_added_is_not_found(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.repository(SampleAccount).save(_account())
            with pytest.raises(NotFound, match="never added"):
                uow.commit()

    # -- rollback -----------------------------------------------------------------------------
    def test_leaving_without_commit_leaves_nothing(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.repository(SampleAccount).add(_account())

        def failing_use_case() -> None:
            with storage.unit_of_work() as uow:
                uow.repository(SampleAccount).add(_account("acc-2"))
                raise RuntimeError("the use case failed")

        with pytest.raises(RuntimeError, match="use case failed"):
            failing_use_case()
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            assert repo.find() == []
            uow.repository(SampleAccount).add(_account("acc-3"))
            uow.rollback()
            uow.commit()
            assert repo.find() == []
        assert storage.undelivered() == []

    def test_a_repository_outside_its_unit_of_work_is_refused(self, storage: Storage) -> None:
        uow = storage.unit_of_work()
        with pytest.raises(InvalidTransition, match="inside a 'with' block"):
            uow.repository(SampleAccount).get("acc-1")
        with uow, pytest.raises(InvalidTransition, match="already open"):
            uow.__enter__()

    def test_an_unknown_kind_is_refused(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(ValidationError, match="not a stored"):
            uow.repository(dict)  # type: ignore[type-var]

    # -- find ---------------------------------------------------------------------------------
    def test_find_filters_on_indexed_attributes_in_id_order(self, storage: Storage) -> None:
        closed = _account("acc-3", "u1")
        closed.close()
        self._store(storage, _account("acc-2", "u1"), _account("acc-1", "u2"), closed)
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            assert [a.id for a in repo.find(owner_id="u1")] == ["acc-2", "acc-3"]
            assert [a.id for a in repo.find(owner_id="u1", status=SampleStatus.OPEN)] == ["acc-2"]
            assert [a.id for a in repo.find(status="closed")] == ["acc-3"]
            assert [a.id for a in repo.find(balance=Money("100", "CNY"))] == [
                "acc-1",
                "acc-2",
                "acc-3",
            ]
            assert repo.find(owner_id="nobody") == []
            assert [a.id for a in repo.find()] == ["acc-1", "acc-2", "acc-3"]
            with pytest.raises(ValidationError, match=r"\['colour'\] are not indexed"):
                repo.find(colour="red")

    def test_find_sees_this_units_changes_and_stored_updates(self, storage: Storage) -> None:
        self._store(storage, _account("acc-1", "u1"))
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            repo.add(_account("acc-2", "u1"))
            account = repo.get("acc-1")
            account.owner_id = "u2"
            repo.save(account)
            assert [a.id for a in repo.find(owner_id="u1")] == ["acc-2"]
            assert [a.id for a in repo.find(owner_id="u2")] == ["acc-1"]
            uow.commit()
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            assert [a.id for a in repo.find(owner_id="u1")] == ["acc-2"]
            assert [a.id for a in repo.find(owner_id="u2")] == ["acc-1"]

    # -- events and the outbox ----------------------------------------------------------------
    def test_events_are_collected_in_order_and_kept_in_the_outbox(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
            account.deposit(Money(1, "CNY"), "u1", AT)
            account.deposit(Money(2, "CNY"), "u1", AT)
            uow.repository(SampleAccount).save(account)
            uow.commit()
            assert account.peek_events() == []  # drained once written
            events = list(uow.collect_new_events())
            assert list(uow.collect_new_events()) == []
        assert [e.amount for e in events if isinstance(e, SampleDeposited)] == [
            Money(1, "CNY"),
            Money(2, "CNY"),
        ]
        stored = storage.undelivered()
        assert [s.event for s in stored] == events
        assert stored[0].seq < stored[1].seq
        storage.mark_delivered(stored[0].seq, AT)
        storage.mark_delivered(stored[0].seq, AT)  # again is harmless
        assert [s.event for s in storage.undelivered()] == events[1:]
        with pytest.raises(NotFound, match="no outbox event"):
            storage.mark_delivered(10_000)

    def test_a_failed_commit_keeps_the_events_on_the_aggregate(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.repository(SampleAccount).get("acc-1")
            theirs = second.repository(SampleAccount).get("acc-1")
            theirs.close()
            second.repository(SampleAccount).save(theirs)
            second.commit()
            mine.deposit(Money(2, "CNY"), "u1", AT)
            first.repository(SampleAccount).save(mine)
            with pytest.raises(ConcurrencyConflict):
                first.commit()
        assert [e.amount for e in mine.peek_events() if isinstance(e, SampleDeposited)] == [
            Money(2, "CNY")
        ]
        assert storage.undelivered() == []

    def test_rolled_back_events_never_reach_the_outbox(self, storage: Storage) -> None:
        self._store(storage, _account())
        with storage.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
            account.deposit(Money(1, "CNY"), "u1", AT)
            uow.repository(SampleAccount).save(account)
        assert storage.undelivered() == []

    # -- round trip and concurrency -----------------------------------------------------------
    @settings(
        max_examples=30,
        deadline=None,
        # The store is emptied per test, not per example (ids are unique), and each adapter's
        # subclass runs this one inherited test: both checks are about that, and safe here.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(account=sample_accounts())
    def test_generated_aggregates_round_trip(
        self, storage: Storage, account: SampleAccount
    ) -> None:
        self._store(storage, account)
        with storage.unit_of_work() as uow:
            loaded = uow.repository(SampleAccount).get(account.id)
        assert loaded == account

    def test_concurrent_writers_exactly_one_wins(
        self, storage: Storage, reopen: Callable[[], Storage]
    ) -> None:
        self._store(storage, _account())
        writers = 8
        barrier = threading.Barrier(writers, timeout=30)
        outcomes: list[str] = []
        lock = threading.Lock()

        def write(n: int) -> None:
            handle = reopen()
            with handle.unit_of_work() as uow:
                account = uow.repository(SampleAccount).get("acc-1")
                barrier.wait()
                account.deposit(Money(n + 1, "CNY"), f"u{n}", AT)
                uow.repository(SampleAccount).save(account)
                try:
                    uow.commit()
                    outcome = "won"
                except ConcurrencyConflict:
                    outcome = "conflict"
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
        with storage.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
        assert account.version == 2
        (stored,) = storage.undelivered()
        assert stored.event.subject_id == "acc-1"

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _store(storage: Storage, *accounts: SampleAccount) -> None:
        with storage.unit_of_work() as uow:
            for account in accounts:
                uow.repository(SampleAccount).add(account)
            uow.commit()
