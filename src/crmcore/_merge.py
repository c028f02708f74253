"""``merge_all``: a tree merge of partial aggregates (forecast, funnel, aging) from partitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from crmcore.errors import ValidationError

__all__ = ["Mergeable", "merge_all"]


class Mergeable(Protocol):
    """A partial aggregate: ``a + b`` is the aggregate of both partitions."""

    def __add__(self: M, other: M, /) -> M: ...


M = TypeVar("M", bound=Mergeable)


def merge_all(parts: Iterable[M]) -> M:
    """Merge partial aggregates pairwise in a balanced tree (log₂ n rounds, as Dask would).

    The result equals one pass over every partition; the order of the parts does not matter.
    Raises ValidationError when ``parts`` is empty (there is nothing to take settings from).
    """
    level = list(parts)
    if not level:
        raise ValidationError("merge_all: no partial aggregates to merge")
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(level) - len(level) % 2 :]
    return level[0]
