"""Load one aggregate, change it, save it: the shape of most use cases, written once.

``replay`` lets a use case answer a repeated call without changing anything (the
receivables' idempotency keys): when it gives what an earlier call made, nothing is saved.
``remember`` runs after the save, in the same unit of work (to record what the call made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from crmcore.ports import Actor
from crmcore.services._case import UseCase

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["change_one"]

A = TypeVar("A")
T = TypeVar("T")


def change_one(
    crm: Crm,
    actor: Actor | str,
    action: str,
    load: Callable[[UseCase], A],
    change: Callable[[A, UseCase], T],
    *,
    replay: Callable[[A, UseCase], tuple[T, ...]] | None = None,
    remember: Callable[[A, UseCase, T], None] | None = None,
    retries: int = 0,
) -> T:
    """Run ``action`` as one use case: load the aggregate, change it, save it."""

    def work(case: UseCase) -> T:
        aggregate = load(case)
        if replay is not None:
            earlier = replay(aggregate, case)
            if earlier:
                return earlier[0]
        result = change(aggregate, case)
        repository: Any = case.repo(type(aggregate))
        repository.save(aggregate)
        if remember is not None:
            remember(aggregate, case, result)
        return result

    return crm.run(actor, action, work, retries=retries)
