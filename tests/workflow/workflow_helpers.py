"""A small company for the approval tests: a sales team, managers, finance, a stand-in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from crmcore.money import Money, Percent
from crmcore.ports import Actor, DirectoryUser
from crmcore.testing.fakes import StaticDirectory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@attrs.frozen
class Reason:
    """Stands in for pricing's approval reason (a str ``kind``); workflow cannot import pricing."""

    kind: str
    detail: str = ""


@attrs.frozen
class Order:
    """Stands in for an order: conditions read its attributes."""

    id: str = "SO-1"
    owner_id: str = "sam"
    key_account_manager_id: str | None = "kim"
    net_total: Money = attrs.Factory(lambda: Money("8000.00", "CNY"))
    discount: Percent = attrs.Factory(lambda: Percent("5"))
    region: str = "north"
    approval_reasons: tuple[Reason, ...] = ()


def org() -> StaticDirectory:
    """sam, sue (sales) -> mia (manager) -> dan (director); f1..f3 (finance) -> cfo."""
    return StaticDirectory.of(
        [
            DirectoryUser("sam", roles={"sales"}, manager_id="mia"),
            DirectoryUser("sue", roles={"sales"}, manager_id="mia"),
            DirectoryUser("kim", roles={"sales"}, manager_id="mia"),
            DirectoryUser("mia", roles={"manager"}, manager_id="dan"),
            DirectoryUser("dan", roles={"director"}),
            DirectoryUser("f1", roles={"finance"}, manager_id="cfo"),
            DirectoryUser("f2", roles={"finance"}, manager_id="cfo"),
            DirectoryUser("f3", roles={"finance"}, manager_id="cfo"),
            DirectoryUser("old", roles={"finance"}, manager_id="cfo", active=False),
            DirectoryUser("cfo", roles={"cfo"}),
            DirectoryUser("wes", roles={"shipping"}, manager_id="dan"),
        ]
    )


def actor(user_id: str) -> Actor:
    return Actor(user_id)
