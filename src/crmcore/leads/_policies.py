"""Assignment policies: which member the pool's next lead goes to.

Each policy is a small frozen class with one method, ``choose(state)``, deterministic given
the same state: it returns the member id (and updates its own memory in the state: the
round-robin cursor, the smooth-weighted current weights) or None when nobody can take a
lead. The pool then records the assignment itself.
"""

from __future__ import annotations

import abc
import bisect
import heapq
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore.errors import ConfigError
from crmcore.leads._state import PoolState

__all__ = [
    "AssignmentPolicy",
    "DefaultAssignee",
    "LoadBalanced",
    "RoundRobin",
    "Weighted",
    "policy_from_dict",
    "policy_of",
]


class AssignmentPolicy(abc.ABC):
    """Base of the policies; ``kind`` is the name used in configuration data."""

    __slots__ = ()
    kind: ClassVar[str]

    @abc.abstractmethod
    def choose(self, state: PoolState) -> str | None:
        """The member who gets the next lead, or None when every member is full or inactive."""


@attrs.frozen
class RoundRobin(AssignmentPolicy):
    """Members in id order, continuing after the member served last (the cursor).

    Because the cursor is a member id and not a position in a list, members joining,
    leaving or going inactive never make the rotation skip anyone or serve someone twice
    in a row: the next member is simply the first available id after the cursor.
    """

    kind: ClassVar[str] = "round_robin"

    def choose(self, state: PoolState) -> str | None:
        rotation = state.rotation()
        if not rotation:
            return None
        at = 0 if state.rr_cursor is None else bisect.bisect_right(rotation, state.rr_cursor)
        chosen = rotation[at % len(rotation)]
        state.rr_cursor = chosen
        return chosen


@attrs.frozen
class LoadBalanced(AssignmentPolicy):
    """Fewest open leads; ties to the member assigned least recently, then the smaller id."""

    kind: ClassVar[str] = "load_balanced"

    def choose(self, state: PoolState) -> str | None:
        heap = state.load_heap()
        while heap and not state.load_entry_is_current(heap[0]):
            heapq.heappop(heap)
        return heap[0][2] if heap else None


@attrs.frozen
class Weighted(AssignmentPolicy):
    """Smooth weighted round robin (nginx): weights 1:3 give ``b a b b`` in every 4.

    Each pick adds every available member's weight to their current weight, chooses the
    highest current (ties: the smaller id) and takes the total weight off the chosen one.
    Members of equal weight keep their relative order, so a pick compares one candidate
    per distinct weight instead of every member.
    """

    kind: ClassVar[str] = "weighted"

    def choose(self, state: PoolState) -> str | None:
        groups, total = state.weight_groups()
        tick = state.sw_clock + 1
        best: tuple[int, str] | None = None
        for weight, heap in groups.items():
            while heap and not state.weight_entry_is_current(weight, heap[0]):
                heapq.heappop(heap)
            if not heap:
                continue
            neg_base, member_id = heap[0]
            value = -neg_base + weight * tick
            if best is None or value > best[0] or (value == best[0] and member_id < best[1]):
                best = (value, member_id)
        if best is None:
            return None
        value, chosen = best
        state.set_weighted_pick(chosen, value - total, tick)
        return chosen


@attrs.frozen
class DefaultAssignee(AssignmentPolicy):
    """Every lead to the pool's default assignee (while they are active and have room)."""

    kind: ClassVar[str] = "default_assignee"

    def choose(self, state: PoolState) -> str | None:
        chosen = state.default_assignee
        if chosen is None or not state.available(chosen):
            return None
        return chosen


_KINDS: dict[str, type[AssignmentPolicy]] = {
    cls.kind: cls for cls in (RoundRobin, LoadBalanced, Weighted, DefaultAssignee)
}


def policy_from_dict(data: object) -> AssignmentPolicy:
    """Deprecated: use ``crmcore.serialization.from_dict(AssignmentPolicy, data)``."""
    deprecated("policy_from_dict", "crmcore.serialization.from_dict(AssignmentPolicy, data)")
    return policy_of(data)


def policy_of(data: object) -> AssignmentPolicy:
    """``"round_robin"`` or ``{"kind": "round_robin"}`` → the policy; ConfigError otherwise."""
    if isinstance(data, AssignmentPolicy):
        return data
    kind: Any = data.get("kind") if isinstance(data, Mapping) else data
    if isinstance(data, Mapping) and set(data) != {"kind"}:
        keys = sorted(show(k) for k in data)
        raise ConfigError(f"takes only 'kind', got keys {', '.join(keys)}")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ConfigError(f"unknown policy kind {show(kind)} (use one of {', '.join(_KINDS)})")
    return _KINDS[kind]()
