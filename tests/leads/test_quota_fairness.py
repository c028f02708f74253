"""Issue 19's fairness property for quotas: with members joining and leaving over the days,
the policy never gives anyone more than their 30-day quota, round robin keeps the members
who could take leads all along within one lead of each other, and smooth weighted round
robin keeps every member within one lead of their share."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crmcore.leads import Pool, PoolMember, Weighted
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool

IDS = [f"u{i}" for i in range(8)]
#: Each member's fixed 30-day quota (None: no quota), whenever they are in the pool.
QUOTAS = {"u0": 3, "u1": 5, "u2": None, "u3": 8, "u4": 2, "u5": None, "u6": 13, "u7": 1}

Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("distribute"), st.integers(1, 12)),
        st.tuples(st.just("toggle"), st.integers(0, len(IDS) - 1)),
        st.tuples(st.just("days"), st.integers(1, 12)),
    ),
    max_size=40,
)


class Run:
    """A pool on RoundRobin and a log of every lead the policy gave, by member and day."""

    def __init__(self) -> None:
        self.pool = make_pool([PoolMember(m, assignment_max=QUOTAS[m]) for m in IDS[:4]])
        self.day = 0.0
        self.given: dict[str, Counter[date]] = {m: Counter() for m in IDS}
        self.count = 0

    def toggle(self, member_id: str) -> None:
        if member_id in self.pool.members:
            self.pool.remove_member(ADMIN, member_id, at=at(self.day))
        else:
            member = PoolMember(member_id, assignment_max=QUOTAS[member_id])
            self.pool.add_member(ADMIN, member, at=at(self.day))

    def distribute(self, n: int) -> None:
        pool, today = self.pool, at(self.day).date()
        leads = make_leads(pool, n, prefix=f"x{self.count}")
        self.count += 1
        result = pool.distribute(ADMIN, leads, at=at(self.day))
        picks = [a.owner_id for a in result.assignments if a.owner_id is not None]
        for owner in picks:
            self.given[owner][today] += 1
        for member_id, quota in QUOTAS.items():
            if quota is not None:  # nobody passes their quota over any 30 days
                window = sum(
                    k for d, k in self.given[member_id].items() if today - d < timedelta(days=30)
                )
                assert window <= quota, (member_id, window, quota)
        # those who still had quota left at the end could take leads all along: within one
        fair = [m for m in pool.members if pool.quota(m, today).remaining != 0]
        counts = Counter(picks)
        if fair:
            spread = [counts[m] for m in fair]
            assert max(spread) - min(spread) <= 1, (counts, fair)
        # a lead is left waiting only when every member's quota is used up
        if len(picks) < n:
            assert all(pool.quota(m, today).remaining == 0 for m in pool.members)

    def play(self, step: Step) -> None:
        kind, value = step
        if kind == "distribute":
            self.distribute(value)
        elif kind == "toggle":
            self.toggle(IDS[value])
        else:
            self.day += value


@given(steps=steps)
def test_quotas_hold_and_round_robin_stays_within_one_through_joins_and_leaves(
    steps: list[Step],
) -> None:
    run = Run()
    for step in steps:
        run.play(step)


def test_ten_thousand_assignments_with_members_coming_and_going() -> None:
    run = Run()
    chooser = random.Random(19)
    while sum(sum(c.values()) for c in run.given.values()) < 10_000:
        roll = chooser.random()
        if roll < 0.1:
            run.play(("toggle", chooser.randrange(len(IDS))))
        elif roll < 0.3:
            run.play(("days", chooser.randint(1, 4)))
        else:
            run.play(("distribute", chooser.randint(1, 12)))
    assert run.day > 300  # the 30-day window moved on many times


@given(
    weights=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    n=st.integers(1, 120),
)
def test_weighted_shares_follow_the_weights_within_one_lead(weights: list[int], n: int) -> None:
    ids = [f"u{i}" for i in range(len(weights))]
    pool: Pool = make_pool(
        [PoolMember(u, weight=w) for u, w in zip(ids, weights, strict=True)], Weighted()
    )
    picks = [a.owner_id for a in pool.distribute(ADMIN, make_leads(pool, n), at=at()).assignments]
    total = sum(weights)
    for prefix in range(1, n + 1):  # after every lead, not only at the end
        counts = Counter(picks[:prefix])
        for u, w in zip(ids, weights, strict=True):
            assert abs(counts[u] * total - prefix * w) <= total, (prefix, u, counts)
