"""Shared builders for the leads tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from crmcore.leads import (
    AssignmentPolicy,
    ClaimLimits,
    Lead,
    Pool,
    PoolConfig,
    PoolMember,
    RecycleRules,
    RoundRobin,
)
from crmcore.ports import Actor

T0 = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
#: When make_leads captures and pools its leads: before every moment the tests act at.
CAPTURED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
ADMIN = Actor("admin-1", {"admin"})
MARKETING = Actor("mkt-1", {"marketing"})


def at(days: float = 0, hours: float = 0) -> datetime:
    """T0 plus a delay."""
    return T0 + timedelta(days=days, hours=hours)


def member(user_id: str) -> Actor:
    """The actor of a salesperson."""
    return Actor(user_id, {"sales"})


def make_pool(
    members: Iterable[PoolMember | str] = ("u1", "u2", "u3"),
    policy: AssignmentPolicy | None = None,
    *,
    claim_limits: ClaimLimits | None = None,
    recycle: RecycleRules | None = None,
    default_assignee: str | None = None,
    members_may_claim: bool = True,
    pool_id: str = "pool-1",
) -> Pool:
    """A pool with the given members (ids or PoolMember) and settings."""
    return Pool.from_config(
        PoolConfig(
            pool_id,
            "Test pool",
            tuple(m if isinstance(m, PoolMember) else PoolMember(m) for m in members),
            policy=policy or RoundRobin(),
            claim_limits=claim_limits or ClaimLimits(),
            recycle=recycle or RecycleRules(),
            default_assignee=default_assignee,
            members_may_claim=members_may_claim,
        )
    )


def make_leads(
    pool: Pool | None, n: int, prefix: str = "lead", start: int = 1, at: datetime = CAPTURED
) -> list[Lead]:
    """``n`` new leads captured ``at`` (1 January), admitted into ``pool`` when given."""
    leads = [
        Lead.capture(f"{prefix}-{i}", f"Prospect {i}", source="web", actor=MARKETING, at=at)
        for i in range(start, start + n)
    ]
    if pool is not None:
        pool.admit(MARKETING, leads, at=at)
    return leads


def owners(pool: Pool, leads: list[Lead], when: datetime = T0) -> list[str | None]:
    """Distribute ``leads`` one call each and list who got each."""
    return [pool.distribute(ADMIN, [lead], at=when).assignments[0].owner_id for lead in leads]
