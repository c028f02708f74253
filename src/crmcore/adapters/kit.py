"""What an adapter author builds on: the shared unit of work and the row codec.

An adapter supplies a [`Store`][crmcore.adapters.kit.Store] — four methods that read rows and write
one commit — and gets crmcore's repository, identity map and unit of work
([`StoreUnitOfWork`][crmcore.adapters.kit.StoreUnitOfWork]) for free. The codec functions turn
aggregates, index values and events into the text the reference adapters store, so every adapter's
rows look alike and load the same way; ``KindRegistry.encode_row`` / ``decode_row`` /
``encode_event_row`` do the same with the reference stores' savings (a write loaded back only
when its shape is new, an unchanged row copied instead of decoded again). The PostgreSQL adapter
is built from this module only; ``docs/adapters.md`` walks through it.

The rules a store must follow (the conformance kit, ``crmcore.testing.contracts``, checks
each one):

- ``read`` returns a *fresh* object per call (never a shared copy) or None;
- ``ids_matching`` filters in the database — a ``None`` key means the column IS NULL — and
  returns ids in id order; the unit of work loads each id it returns, so an ignored filter
  shows up as extra rows loaded;
- ``apply`` writes every staged row *and* the events it returns in one transaction: it
  raises [`AlreadyExists`][crmcore.errors.AlreadyExists] (an add whose id exists),
  [`NeverAdded`][crmcore.errors.NeverAdded] (a save of an id never added) or
  [`StaleVersion`][crmcore.errors.StaleVersion] (a save whose stored version is not the staged
  ``expected_version``) having written nothing, rolls back on any error, and on success
  calls [`Staging.committed`][crmcore.adapters.kit.Staging.committed] with the new versions
  (``expected_version + 1``) and
  returns ``staging.new_events()`` — the events the unit of work hands to its caller;
- the outbox assigns increasing sequence numbers in commit order, ``undelivered`` returns
  them oldest first without changing anything, and ``mark_delivered`` is idempotent and
  raises [`NoOutboxEvent`][crmcore.errors.NoOutboxEvent] for a number it never assigned.

Call [`checkpoint`][crmcore.ports.checkpoint] with a short label before each statement of a
commit: the kit kills a committing process at each one to prove the commit is atomic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypeVar

from crmcore.adapters._codec import (
    dump_checked,
    dump_event_checked,
    index_filters,
    index_key,
    load_aggregate,
    load_event,
)
from crmcore.adapters._decoded import MAX_ROWS
from crmcore.adapters._staging import (
    KindRegistry,
    Staged,
    Staging,
    Store,
    StoreRepository,
    StoreUnitOfWork,
    Written,
    kinds_by_class,
)
from crmcore.adapters._verify import WriteCheck
from crmcore.events import DomainEvent
from crmcore.ports import Aggregate, AggregateKind, checkpoint

__all__ = [
    "DECODED_ROWS",
    "KindRegistry",
    "Staged",
    "Staging",
    "Store",
    "StoreRepository",
    "StoreUnitOfWork",
    "WriteCheck",
    "Written",
    "checkpoint",
    "decode_aggregate",
    "decode_event",
    "encode_aggregate",
    "encode_event",
    "filter_keys",
    "index_key",
    "index_keys",
    "kinds_by_class",
]

A = TypeVar("A", bound=Aggregate)

#: How many decoded rows a store built on ``KindRegistry`` keeps by default (``decoded_rows``).
DECODED_ROWS: Final = MAX_ROWS


def encode_aggregate(kind: AggregateKind[A], aggregate: A) -> str:
    """The aggregate's row text: canonical JSON (sorted keys, no version, non-ASCII kept).

    Raises [`ValidationError`][crmcore.errors.ValidationError] when the text would not load back,
    so a commit never stores a row that poisons every later read. Control characters (``\\u0000``
    included) stay escaped in the text: store it as ``text`` or ``json``, not ``jsonb``, which
    refuses ``\\u0000``."""
    return dump_checked(kind, aggregate)


def decode_aggregate(kind: AggregateKind[A], text: str, version: int) -> A:
    """A fresh aggregate from its row text, carrying the row's ``version``."""
    return load_aggregate(kind, text, version)


def encode_event(event: DomainEvent) -> tuple[str, str]:
    """An outbox row: the event's registered name and its JSON, refused (ValidationError)
    unless it loads back."""
    return dump_event_checked(event)


def decode_event(name: str, text: str) -> DomainEvent:
    """The event of the registered type ``name`` from its outbox JSON."""
    return load_event(name, text)


def index_keys(kind: AggregateKind[A], aggregate: A) -> dict[str, str | None]:
    """The aggregate's index columns: each indexed attribute as ``index_key`` text.

    Recompute them on every write (a changed owner must move the row to its new key).
    """
    return {name: index_key(value) for name, value in kind.index_values(aggregate).items()}


def filter_keys(kind: AggregateKind[A], filters: Mapping[str, object]) -> dict[str, str | None]:
    """``find`` filters as index keys, refusing (ValidationError) attributes not indexed."""
    return index_filters(kind, filters)
