"""Property tests: fairness of the rotations, capacity and limits, one owner per lead."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from crmcore.leads import LoadBalanced, PoolMember, RoundRobin, Weighted
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool

member_ids = st.lists(
    st.sampled_from([f"u{i:02d}" for i in range(12)]), min_size=1, max_size=8, unique=True
)


@given(ids=member_ids, rounds=st.integers(1, 4))
def test_round_robin_any_window_of_n_serves_every_member_once(ids: list[str], rounds: int) -> None:
    pool = make_pool(ids, RoundRobin())
    n = len(ids)
    result = pool.distribute(ADMIN, make_leads(pool, n * rounds + n // 2), at=at())
    picks = [a.owner_id for a in result.assignments]
    for start in range(len(picks) - n + 1):
        assert sorted(picks[start : start + n]) == sorted(ids)  # type: ignore[type-var]


@given(weights=st.lists(st.integers(1, 6), min_size=1, max_size=6), cycles=st.integers(1, 3))
def test_weighted_gives_each_member_its_share_within_one_over_any_full_cycle(
    weights: list[int], cycles: int
) -> None:
    ids = [f"u{i}" for i in range(len(weights))]
    pool = make_pool(
        [PoolMember(u, weight=w) for u, w in zip(ids, weights, strict=True)], Weighted()
    )
    total = sum(weights)
    result = pool.distribute(ADMIN, make_leads(pool, total * cycles + total // 2), at=at())
    picks = [a.owner_id for a in result.assignments]
    for c in range(cycles):  # cycles from the start: exactly the weights
        counts = Counter(picks[c * total : (c + 1) * total])
        assert [counts[u] for u in ids] == weights
    for start in range(len(picks) - total + 1):  # any window of one cycle: within one lead
        counts = Counter(picks[start : start + total])
        assert all(abs(counts[u] - w) <= 1 for u, w in zip(ids, weights, strict=True))


@given(
    ids=member_ids,
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("assign"), st.integers(1, 5)),
            st.tuples(st.just("toggle"), st.integers(0, 11)),
        ),
        max_size=25,
    ),
)
def test_round_robin_stays_fair_through_membership_changes(
    ids: list[str], steps: list[tuple[str, int]]
) -> None:
    """Between two turns of a member, any member present all along is served exactly once,
    and nobody is served twice in a row while someone else could be."""
    pool = make_pool(ids, RoundRobin())
    picks: list[tuple[str, frozenset[str]]] = []  # (owner, members present at that pick)
    counter = 0
    for action, value in steps:
        if action == "toggle":
            uid = f"u{value:02d}"
            if uid in pool.members:
                pool.remove_member(ADMIN, uid, at=at())
            else:
                pool.add_member(ADMIN, PoolMember(uid), at=at())
            continue
        for lead in make_leads(pool, value, start=counter):
            counter += 1
            present = frozenset(pool.members)
            owner = pool.distribute(ADMIN, [lead], at=at()).assignments[0].owner_id
            if owner is not None:
                picks.append((owner, present))
    for (first, _), (second, present) in itertools.pairwise(picks):
        if len(present) > 1:
            assert first != second
    for i, (owner, _) in enumerate(picks):
        nxt = next((j for j in range(i + 1, len(picks)) if picks[j][0] == owner), None)
        if nxt is None:
            continue
        always = frozenset.intersection(*(p for _, p in picks[i : nxt + 1]))
        if owner not in always:  # the member left and came back: a new turn
            continue
        between = Counter(o for o, _ in picks[i + 1 : nxt])
        for other in always - {owner}:
            assert between[other] == 1


@given(
    capacities=st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=1, max_size=5),
    n=st.integers(0, 25),
    policy=st.sampled_from([RoundRobin(), LoadBalanced(), Weighted()]),
)
def test_no_policy_gives_anyone_more_than_their_capacity(
    capacities: list[int | None], n: int, policy: RoundRobin
) -> None:
    members = [PoolMember(f"u{i}", weight=i + 1, capacity=c) for i, c in enumerate(capacities)]
    pool = make_pool(members, policy)
    result = pool.distribute(ADMIN, make_leads(pool, n), at=at())
    got = result.per_member()
    for m in members:
        if m.capacity is not None:
            assert got.get(m.user_id, 0) <= m.capacity
    room = sum(m.capacity for m in members if m.capacity is not None)
    if all(m.capacity is not None for m in members):
        assert len(result.unassigned) == max(n - room, 0)
    else:
        assert result.unassigned == []


@given(open_counts=st.lists(st.integers(0, 6), min_size=1, max_size=6), n=st.integers(1, 30))
def test_load_balanced_keeps_the_spread_within_one_once_levelled(
    open_counts: list[int], n: int
) -> None:
    ids = [f"u{i}" for i in range(len(open_counts))]
    pool = make_pool(ids, LoadBalanced())
    pool.state.set_open_counts(dict(zip(ids, open_counts, strict=True)))
    pool.distribute(ADMIN, make_leads(pool, n), at=at())
    final = [pool.open_leads(u) for u in ids]
    target = max(open_counts)
    if n >= sum(target - c for c in open_counts):
        assert max(final) - min(final) <= 1
    assert sum(final) == sum(open_counts) + n
