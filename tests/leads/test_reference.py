"""The indexed policies against naive reference implementations (a scan of every member).

The pool keeps heaps and sorted lists so that one assignment does not scan the members;
these tests drive the pool and a straightforward model with the same random operations
(assignments, releases, members joining, leaving, going inactive, changing weight or
capacity) and demand the same owner every time.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crmcore.leads import Lead, LoadBalanced, Pool, PoolMember, RoundRobin, Weighted
from tests.leads.leads_helpers import ADMIN, at, make_leads, make_pool

IDS = [f"u{i}" for i in range(6)]


class Model:
    """The policies written the obvious way, over every member on each pick."""

    def __init__(self, kind: str, members: dict[str, PoolMember]) -> None:
        self.kind = kind
        self.members = dict(members)
        self.open: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.current: dict[str, int] = {}
        self.cursor: str | None = None
        self.seq = 0

    def available(self) -> list[str]:
        return sorted(
            m.user_id
            for m in self.members.values()
            if m.active and (m.capacity is None or self.open.get(m.user_id, 0) < m.capacity)
        )

    def pick(self) -> str | None:
        ready = self.available()
        if not ready:
            return None
        if self.kind == "round_robin":
            after = [m for m in ready if self.cursor is None or m > self.cursor]
            chosen = (after or ready)[0]
            self.cursor = chosen
        elif self.kind == "load_balanced":
            chosen = min(ready, key=lambda m: (self.open.get(m, 0), self.last.get(m, 0), m))
        else:
            total = sum(self.members[m].weight for m in ready)
            for m in ready:
                self.current[m] = self.current.get(m, 0) + self.members[m].weight
            chosen = max(ready, key=lambda m: (self.current[m], [-ord(c) for c in m]))
            self.current[chosen] -= total
        self.seq += 1
        self.open[chosen] = self.open.get(chosen, 0) + 1
        self.last[chosen] = self.seq
        return chosen


operations = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.integers(1, 4), st.just(0)),
        st.tuples(st.just("release"), st.integers(0, 200), st.just(0)),
        st.tuples(st.just("toggle"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("weight"), st.integers(0, 5), st.integers(1, 5)),
        st.tuples(st.just("capacity"), st.integers(0, 5), st.integers(-1, 4)),
        st.tuples(st.just("membership"), st.integers(0, 5), st.integers(1, 3)),
    ),
    max_size=40,
)


def _change_member(pool: Pool, model: Model, op: str, uid: str, b: int) -> None:
    """Join or leave, or change a member's active flag, weight or capacity, in both."""
    if op == "membership":
        if uid in pool.members:
            pool.remove_member(ADMIN, uid, at=at())
            del model.members[uid]
        else:
            new = PoolMember(uid, weight=b)
            pool.add_member(ADMIN, new, at=at())
            model.members[uid] = new
        return
    if uid not in pool.members:
        return
    old = model.members[uid]
    if op == "toggle":
        pool.update_member(ADMIN, uid, at=at(), active=not old.active)
        model.members[uid] = PoolMember(uid, old.weight, old.capacity, not old.active)
    elif op == "weight":
        pool.update_member(ADMIN, uid, at=at(), weight=b)
        model.members[uid] = PoolMember(uid, b, old.capacity, old.active)
    else:
        capacity = None if b < 0 else b
        pool.update_member(ADMIN, uid, at=at(), capacity=capacity)
        model.members[uid] = PoolMember(uid, old.weight, capacity, old.active)


@given(
    kind=st.sampled_from(["round_robin", "load_balanced", "weighted"]),
    weights=st.lists(st.integers(1, 4), min_size=6, max_size=6),
    joined=st.lists(st.booleans(), min_size=6, max_size=6),
    ops=operations,
)
def test_indexed_policies_match_the_naive_reference(
    kind: str, weights: list[int], joined: list[bool], ops: list[tuple[str, int, int]]
) -> None:
    policy = {"round_robin": RoundRobin(), "load_balanced": LoadBalanced(), "weighted": Weighted()}
    members = {
        u: PoolMember(u, weight=w) for u, w, j in zip(IDS, weights, joined, strict=True) if j
    }
    pool = make_pool(list(members.values()), policy[kind])
    model = Model(kind, members)
    held: list[Lead] = []
    made = 0
    for op, a, b in ops:
        uid = IDS[a % len(IDS)]
        if op == "assign":
            for lead in make_leads(pool, a, start=made):
                made += 1
                expected = model.pick()
                got = pool.distribute(ADMIN, [lead], at=at()).assignments[0].owner_id
                assert got == expected
                if got is not None:
                    held.append(lead)
        elif op == "release" and held:
            lead = held.pop(a % len(held))
            owner = lead.owner_id
            assert owner is not None
            pool.invalidate(ADMIN, lead, at=at(), reason="spam")
            model.open[owner] -= 1
        else:
            _change_member(pool, model, op, uid, b)
    if kind == "weighted":
        for uid in model.members:
            assert pool.state.current_weight(uid) == model.current.get(uid, 0)
