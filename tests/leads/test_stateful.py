"""A stateful test: random pools and random sequences of every operation keep the invariants.

Invariants: a lead has at most one owner and it matches its open ownership stretch;
the pool's open counts equal what the leads say; nobody is given a lead beyond their
capacity or the claim limits; refused operations change nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import CrmError
from crmcore.leads import (
    ClaimLimits,
    ConversionRequest,
    Lead,
    LoadBalanced,
    Pool,
    PoolConfig,
    PoolMember,
    RecycleRules,
    RoundRobin,
    Weighted,
)
from crmcore.serialization import to_dict
from tests.leads.leads_helpers import ADMIN, T0, make_leads, member

IDS = ["u1", "u2", "u3", "u4"]


class PoolMachine(RuleBasedStateMachine):
    pool: Pool
    leads: list[Lead]
    now: datetime
    limits: ClaimLimits

    @initialize(
        policy=st.sampled_from([RoundRobin(), LoadBalanced(), Weighted()]),
        capacities=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=4, max_size=4),
        max_held=st.one_of(st.none(), st.integers(0, 4)),
        max_per_day=st.one_of(st.none(), st.integers(0, 3)),
        global_held=st.one_of(st.none(), st.integers(0, 4)),
    )
    def setup(
        self,
        policy: RoundRobin,
        capacities: list[int | None],
        max_held: int | None,
        max_per_day: int | None,
        global_held: int | None,
    ) -> None:
        members = tuple(
            PoolMember(u, weight=i + 1, capacity=c)
            for i, (u, c) in enumerate(zip(IDS, capacities, strict=True))
        )
        self.pool = Pool.from_config(
            PoolConfig(
                "pool-1",
                members=members,
                policy=policy,
                claim_limits=ClaimLimits(max_held, max_per_day, 2),
                recycle=RecycleRules(protection_days=3, extension_days=2, hard_max_days=6),
            )
        )
        self.limits = ClaimLimits(max_held=global_held)
        self.leads = make_leads(self.pool, 12)
        self.now = T0
        self.claims_today: Counter[tuple[str, object]] = Counter()

    def _tick(self, hours: int) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    def _attempt(self, action: object) -> bool:
        """Run ``action``; when refused, check that nothing changed."""
        before = to_dict(self.pool), [to_dict(lead) for lead in self.leads]
        try:
            action()  # type: ignore[operator]
        except CrmError:
            assert (to_dict(self.pool), [to_dict(lead) for lead in self.leads]) == before
            return False
        return True

    @rule(count=st.integers(1, 6), hours=st.integers(0, 30))
    def distribute(self, count: int, hours: int) -> None:
        waiting = [lead for lead in self.leads if lead.is_open and lead.owner_id is None]
        at = self._tick(hours)
        before = {u: self.pool.open_leads(u) for u in IDS}
        result = self.pool.distribute(ADMIN, waiting[:count], at=at)
        for owner, got in result.per_member().items():
            capacity = self.pool.members[owner].capacity
            if capacity is not None:
                assert before[owner] + got <= capacity

    @rule(who=st.sampled_from(IDS), count=st.integers(1, 3), pick=st.integers(0, 11))
    def claim(self, who: str, count: int, pick: int) -> None:
        chosen = self.leads[pick : pick + count]
        at = self._tick(1)
        held = self.pool.open_leads(who)
        done = self._attempt(
            lambda: self.pool.claim(member(who), chosen, at=at, global_limits=self.limits)
        )
        if done:
            self.claims_today[(who, at.date())] += len(chosen)
            limits = self.pool.claim_limits.tighter(self.limits)
            if limits.max_held is not None:
                assert held + len(chosen) <= limits.max_held
            if limits.max_per_day is not None:
                assert self.claims_today[(who, at.date())] <= limits.max_per_day

    @rule(pick=st.integers(0, 11), by_owner=st.booleans())
    def give_back(self, pick: int, by_owner: bool) -> None:
        lead = self.leads[pick]
        actor = member(lead.owner_id) if by_owner and lead.owner_id else ADMIN
        self._attempt(
            lambda: self.pool.return_lead(actor, lead, at=self._tick(1), reason="unreachable")
        )

    @rule(pick=st.integers(0, 11))
    def follow_up(self, pick: int) -> None:
        lead = self.leads[pick]
        actor = member(lead.owner_id or "u1")
        self._attempt(lambda: lead.follow_up(actor, at=self._tick(5), note="call"))

    @rule(pick=st.integers(0, 11), convert=st.booleans())
    def close(self, pick: int, convert: bool) -> None:
        lead = self.leads[pick]
        at = self._tick(1)
        if convert:
            request = ConversionRequest(f"c-{lead.id}", f"k-{lead.id}")
            self._attempt(lambda: self.pool.convert(ADMIN, lead, request, at=at))
        else:
            self._attempt(lambda: self.pool.invalidate(ADMIN, lead, at=at, reason="spam"))

    @rule(days=st.integers(0, 8))
    def recycle(self, days: int) -> None:
        at = self._tick(24 * days)
        for item in self.pool.recycle(ADMIN, self.leads, at.date(), at=at):
            lead = next(lead for lead in self.leads if lead.id == item.lead_id)
            assert lead.owner_id is None

    @rule(who=st.sampled_from(IDS), active=st.booleans(), weight=st.integers(1, 4))
    def change_member(self, who: str, active: bool, weight: int) -> None:
        if who in self.pool.members:
            self.pool.update_member(ADMIN, who, at=self.now, active=active, weight=weight)

    @rule(who=st.sampled_from(IDS))
    def leave_or_join(self, who: str) -> None:
        if who in self.pool.members:
            self.pool.remove_member(ADMIN, who, at=self.now)
        else:
            self.pool.add_member(ADMIN, PoolMember(who, capacity=3), at=self.now)

    @rule(count=st.integers(1, 4))
    def more_leads(self, count: int) -> None:
        self.leads += make_leads(self.pool, count, start=len(self.leads) + 1)

    @invariant()
    def one_owner_and_counts_match_the_leads(self) -> None:
        if not hasattr(self, "pool"):
            return
        for lead in self.leads:
            open_stretches = [s for s in lead.history if s.end is None]
            if lead.owner_id is None:
                assert open_stretches == []
            else:
                assert [s.owner_id for s in open_stretches] == [lead.owner_id]
        derived = Counter(
            lead.owner_id for lead in self.leads if lead.is_open and lead.owner_id is not None
        )
        for uid in set(derived) | set(self.pool.state.books):
            assert self.pool.open_leads(uid) == derived[uid]


TestPoolMachine = PoolMachine.TestCase
