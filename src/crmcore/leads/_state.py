"""The pool's assignment book: members, what each holds, and the policies' memory.

Everything a policy needs to stay fair is plain data here (the round-robin cursor, the
smooth-weighted current weights, when each member was last given a lead, open counts,
claims today), so it is saved and loaded with the pool. The indexes built from it (the
rotation of available members, the load heap, the weight groups) are private caches that
make one assignment cost O(log members) instead of a scan of every member.
"""

from __future__ import annotations

import bisect
import heapq
from datetime import date, datetime, timedelta

import attrs

from crmcore.leads._config import PoolMember

__all__ = ["QUOTA_WINDOW_DAYS", "MemberState", "PoolState"]

#: The rolling window of a member's assignment quota: today and the 29 days before.
QUOTA_WINDOW_DAYS = 30


@attrs.define
class MemberState:
    """What the pool remembers about one (present or past) member."""

    open_leads: int = 0
    last_assigned_seq: int = 0
    last_assigned_at: datetime | None = None
    sw_current: int = 0
    sw_tick: int | None = None
    claims_on: date | None = None
    claims_count: int = 0
    #: Leads the member got on each of the last 30 days (older days are dropped).
    assigned_days: dict[date, int] = attrs.field(factory=dict)

    def claims_that_day(self, day: date) -> int:
        """How many leads the member claimed on ``day`` (only the latest day is kept)."""
        return self.claims_count if self.claims_on == day else 0

    def assigned_within(self, day: date, days: int = QUOTA_WINDOW_DAYS) -> int:
        """Leads the member got on ``day`` and the ``days`` − 1 days before."""
        first = day - timedelta(days=days - 1)
        return sum(n for d, n in self.assigned_days.items() if first <= d <= day)

    def count_assignment(self, day: date) -> None:
        """One more lead on ``day``; days that left the window are dropped."""
        if day not in self.assigned_days:
            first = day - timedelta(days=QUOTA_WINDOW_DAYS - 1)
            for old in [d for d in self.assigned_days if d < first]:
                del self.assigned_days[old]
            self.assigned_days[day] = 0
        self.assigned_days[day] += 1


@attrs.define
class PoolState:
    """Members and the policies' memory; see the module docstring.

    ``rr_cursor`` is the member the rotation served last; ``sw_clock`` counts smooth-weighted
    picks; a member's current weight is ``sw_current + weight × (sw_clock − sw_tick)`` while
    they can take leads (``sw_tick`` set) and stays ``sw_current`` while they cannot;
    ``seq`` numbers assignments so "least recently assigned" needs no clock.
    """

    members: dict[str, PoolMember] = attrs.field(factory=dict)
    books: dict[str, MemberState] = attrs.field(factory=dict)
    default_assignee: str | None = None
    rr_cursor: str | None = None
    sw_clock: int = 0
    seq: int = 0
    _rotation: list[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _load: list[tuple[int, int, str]] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )
    _groups: dict[int, list[tuple[int, str]]] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )
    _total_weight: int = attrs.field(init=False, default=0, eq=False, repr=False)
    #: Members a quota or a condition keeps from the lead being handed out now (transient).
    _blocked: set[str] = attrs.field(init=False, factory=set, eq=False, repr=False)
    _restricted: list[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    #: The members over their quota on one day (with or without the daily share), kept up
    #: to date as that day's assignments are recorded (transient).
    _over: set[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _over_key: tuple[date, bool] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        # Members given directly (not through change()) start their smooth-weighted clock now.
        for member_id in sorted(set(self.members) | set(self.books)):
            book = self.book(member_id)
            if self.available(member_id) and book.sw_tick is None:
                book.sw_tick = self.sw_clock
            elif not self.available(member_id) and book.sw_tick is not None:
                member = self.members.get(member_id)
                if member is not None:
                    book.sw_current += member.weight * (self.sw_clock - book.sw_tick)
                book.sw_tick = None

    # -- facts ------------------------------------------------------------------------------

    def book(self, member_id: str) -> MemberState:
        """The member's record, created empty the first time."""
        found = self.books.get(member_id)
        if found is None:
            found = self.books[member_id] = MemberState()
        return found

    def open_leads(self, member_id: str) -> int:
        """Open leads the member holds in this pool."""
        found = self.books.get(member_id)
        return found.open_leads if found is not None else 0

    def room(self, member_id: str) -> int | None:
        """How many more leads the member can take (None: no capacity set)."""
        member = self.members[member_id]
        if member.capacity is None:
            return None
        return max(member.capacity - self.open_leads(member_id), 0)

    def available(self, member_id: str) -> bool:
        """True when the member is in the pool, active and below their capacity."""
        member = self.members.get(member_id)
        if member is None or not member.active or member_id in self._blocked:
            return False
        return member.capacity is None or self.open_leads(member_id) < member.capacity

    def restricted(self) -> list[str]:
        """Ids of the members with a quota or a condition, sorted (cached)."""
        if self._restricted is None:
            self._restricted = sorted(m for m, member in self.members.items() if member.restricted)
        return self._restricted

    def over_quota(self, member_id: str, day: date, daily_share: bool = False) -> bool:
        """True when the member got their ``assignment_max`` over the 30 days up to ``day``
        (with ``daily_share``: or their share of it on ``day`` itself)."""
        member = self.members[member_id]
        if member.assignment_max is None:
            return False
        book = self.book(member_id)
        if book.assigned_within(day) >= member.assignment_max:
            return True
        return daily_share and book.assigned_within(day, 1) >= daily_share_of(
            member.assignment_max
        )

    def over_quota_members(self, day: date, daily_share: bool = False) -> set[str]:
        """The members ``over_quota`` on ``day``: worked out once per day, then kept up to
        date by each assignment recorded that day (a member only goes over within a day)."""
        if self._over is None or self._over_key != (day, daily_share):
            self._over = {m for m in self.restricted() if self.over_quota(m, day, daily_share)}
            self._over_key = (day, daily_share)
        return self._over

    def block(self, blocked: set[str]) -> None:
        """Make exactly ``blocked`` unavailable for the next choice (empty: nobody)."""
        for member_id in sorted(self._blocked - blocked):
            self._blocked.discard(member_id)
            self._thaw(member_id)
        for member_id in sorted(blocked - self._blocked):
            self._freeze(member_id)
            self._blocked.add(member_id)

    def current_weight(self, member_id: str) -> int:
        """The member's smooth-weighted current weight now."""
        book = self.book(member_id)
        if book.sw_tick is None:
            return book.sw_current
        return book.sw_current + self.members[member_id].weight * (self.sw_clock - book.sw_tick)

    def current_weights(self) -> dict[str, int]:
        """Every member's current weight, by id (for display and persistence checks)."""
        return {m: self.current_weight(m) for m in sorted(self.members)}

    # -- changes (each keeps the smooth-weighted memory and the indexes right) ---------------

    def change(self, member_id: str, member: PoolMember | None) -> None:
        """Add, replace (``member``) or remove (None) a member."""
        self._freeze(member_id)
        if member is None:
            self.members.pop(member_id, None)
        else:
            self.members[member_id] = member
        self._restricted = None
        self._over = None
        self.book(member_id)
        self._thaw(member_id)

    def record_assignment(self, member_id: str, at: datetime) -> None:
        """The member got one more lead."""
        book = self.book(member_id)
        self.seq += 1
        self._count(member_id, book.open_leads + 1)
        book.last_assigned_seq = self.seq
        book.last_assigned_at = at
        book.count_assignment(at.date())
        self._push_load(member_id)
        if self._over is not None and self._over_key is not None:
            day, daily_share = self._over_key
            if day != at.date():
                self._over = None
            elif member_id in self.members and self.over_quota(member_id, day, daily_share):
                self._over.add(member_id)

    def record_release(self, member_id: str) -> None:
        """The member no longer holds one lead (returned, recycled, converted, invalid)."""
        self._count(member_id, max(self.book(member_id).open_leads - 1, 0))
        self._push_load(member_id)

    def record_claims(self, member_id: str, day: date, count: int) -> None:
        """Count ``count`` claims on ``day`` towards the daily limit."""
        book = self.book(member_id)
        book.claims_count = book.claims_that_day(day) + count
        book.claims_on = day

    def set_open_counts(self, counts: dict[str, int]) -> None:
        """Replace every open count (after recounting from the leads themselves)."""
        for member_id in sorted(set(self.books) | set(counts)):
            self._count(member_id, counts.get(member_id, 0))
            self._push_load(member_id)

    def _count(self, member_id: str, open_leads: int) -> None:
        """Set an open count; only a change of availability touches the other memories."""
        was = self.available(member_id)
        self.book(member_id).open_leads = open_leads
        now = self.available(member_id)
        if was and not now:
            self._freeze(member_id)
        elif now and not was:
            self._thaw(member_id)

    def set_weighted_pick(self, member_id: str, new_current: int, tick: int) -> None:
        """Smooth weighted round robin chose ``member_id`` at ``tick``."""
        book = self.book(member_id)
        book.sw_current = new_current
        book.sw_tick = tick
        self.sw_clock = tick
        self._push_weight(member_id)

    def _freeze(self, member_id: str) -> None:
        book = self.book(member_id)
        if book.sw_tick is not None:
            book.sw_current = self.current_weight(member_id)
            book.sw_tick = None
            if self._groups is not None:
                self._total_weight -= self.members[member_id].weight
        if self._rotation is not None:
            at = bisect.bisect_left(self._rotation, member_id)
            if at < len(self._rotation) and self._rotation[at] == member_id:
                del self._rotation[at]

    def _thaw(self, member_id: str) -> None:
        if not self.available(member_id):
            return
        self.book(member_id).sw_tick = self.sw_clock
        if self._groups is not None:
            self._total_weight += self.members[member_id].weight
        if self._rotation is not None:
            bisect.insort(self._rotation, member_id)
        self._push_load(member_id)
        self._push_weight(member_id)

    def _push_load(self, member_id: str) -> None:
        if self._load is not None and self.available(member_id):
            book = self.book(member_id)
            heapq.heappush(self._load, (book.open_leads, book.last_assigned_seq, member_id))
            if len(self._load) > 4 * len(self.members) + 64:
                self._load = None

    def _push_weight(self, member_id: str) -> None:
        book = self.book(member_id)
        if self._groups is not None and book.sw_tick is not None:
            weight = self.members[member_id].weight
            base = book.sw_current - weight * book.sw_tick
            heapq.heappush(self._groups.setdefault(weight, []), (-base, member_id))

    # -- indexes (built on first use, then kept up to date) ----------------------------------

    def rotation(self) -> list[str]:
        """The ids of members who can take a lead now, sorted: the round-robin order."""
        if self._rotation is None:
            self._rotation = sorted(m for m in self.members if self.available(m))
        return self._rotation

    def load_heap(self) -> list[tuple[int, int, str]]:
        """A heap of (open leads, last assignment number, id); entries may be stale."""
        if self._load is None:
            self._load = [
                (self.open_leads(m), self.book(m).last_assigned_seq, m)
                for m in self.members
                if self.available(m)
            ]
            heapq.heapify(self._load)
        return self._load

    def load_entry_is_current(self, entry: tuple[int, int, str]) -> bool:
        """True when a load-heap entry still describes its member."""
        open_leads, seq, member_id = entry
        if not self.available(member_id):
            return False
        book = self.book(member_id)
        return book.open_leads == open_leads and book.last_assigned_seq == seq

    def weight_groups(self) -> tuple[dict[int, list[tuple[int, str]]], int]:
        """Heaps of (−base, id) per weight, and the total weight of available members.

        Within one weight every current weight grows by the same step, so each group's
        order never changes: a pick compares one top per distinct weight.
        """
        if self._groups is None:
            self._groups = {}
            self._total_weight = 0
            for member_id in self.members:
                if self.book(member_id).sw_tick is not None:
                    self._total_weight += self.members[member_id].weight
                    self._push_weight(member_id)
        return self._groups, self._total_weight

    def weight_entry_is_current(self, weight: int, entry: tuple[int, str]) -> bool:
        """True when a weight-group entry still describes its member."""
        neg_base, member_id = entry
        member = self.members.get(member_id)
        book = self.books.get(member_id)
        if member is None or book is None or book.sw_tick is None or member.weight != weight:
            return False
        return -neg_base == book.sw_current - weight * book.sw_tick

    def forget_indexes(self) -> None:
        """Drop the caches (they are rebuilt from the data on next use)."""
        self._rotation = None
        self._load = None
        self._groups = None
        self._total_weight = 0


def daily_share_of(assignment_max: int) -> int:
    """A 30-day quota's share for one day, in whole leads: max / 30 rounded half up, at
    least 1 for a quota above 0 (Odoo's daily share)."""
    if assignment_max <= 0:
        return 0
    return max((2 * assignment_max + QUOTA_WINDOW_DAYS) // (2 * QUOTA_WINDOW_DAYS), 1)
