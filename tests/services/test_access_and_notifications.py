"""The access policy names who may act; routes decide who hears of what; the outbox is
delivered at least once and only after commit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmcore.adapters.memory import MemoryDatabase
from crmcore.errors import ConfigError, PermissionDenied
from crmcore.money import Money
from crmcore.ports import Actor, DirectoryUser, Notification
from crmcore.serialization import from_dict
from crmcore.services import (
    DEFAULT_ACCESS,
    AccessPolicy,
    HasRole,
    InDepartment,
    ManagerOfOwner,
    NotificationRoutes,
    Owner,
    Users,
)
from crmcore.services._notifications import deliver_outbox
from crmcore.testing.contracts import CONTRACT_KINDS, SampleAccount, SampleDeposited
from crmcore.testing.fakes import RecordingNotifier, StaticDirectory

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

DIRECTORY = StaticDirectory.of(
    [
        DirectoryUser("boss", roles={"manager"}, department="east"),
        DirectoryUser("mgr", roles={"manager"}, department="east", manager_id="boss"),
        DirectoryUser("sun", roles={"sales"}, department="east", manager_id="mgr"),
        DirectoryUser("fang", roles={"finance"}, department="hq"),
        DirectoryUser("fu", roles={"finance"}, department="hq", active=False),
        DirectoryUser("ship", roles={"shipping"}, department="hq"),
    ]
)


def deposited(actor: str = "fang") -> SampleDeposited:
    return SampleDeposited(
        occurred_at=AT,
        actor_id=actor,
        subject_kind="sample_account",
        subject_id="acc-1",
        amount=Money(5, "CNY"),
    )


def test_default_policy_lets_each_role_do_its_job_only() -> None:
    policy = AccessPolicy()
    sales, finance, shipping = (
        Actor("sun", "sales"),
        Actor("fang", "finance"),
        Actor("s", "shipping"),
    )
    assert policy.allows(sales, "payment.record")
    assert policy.allows(finance, "payment.confirm")
    assert policy.allows(shipping, "order.ship")
    assert not policy.allows(sales, "payment.confirm")
    assert not policy.allows(shipping, "payment.confirm")
    with pytest.raises(
        PermissionDenied, match=r"sun \(sales\) may not payment.confirm; allowed roles: finance"
    ):
        policy.check(sales, "payment.confirm")
    with pytest.raises(PermissionDenied, match=r"x \(no roles\) may not order.ship"):
        policy.check(Actor("x"), "order.ship")
    policy.check(finance, "invoice.issue")


def test_overrides_replace_single_actions_and_typos_are_refused() -> None:
    policy = AccessPolicy.with_overrides({"order.ship": ["warehouse"]})
    assert policy.allows(Actor("w", "warehouse"), "order.ship")
    assert not policy.allows(Actor("s", "shipping"), "order.ship")
    assert policy.roles["payment.confirm"] == DEFAULT_ACCESS["payment.confirm"]
    with pytest.raises(ConfigError, match=r"unknown actions \['order.shipp'\]"):
        AccessPolicy.with_overrides({"order.shipp": ["warehouse"]})
    with pytest.raises(ConfigError, match="must be a list of role names"):
        AccessPolicy.with_overrides({"order.ship": "warehouse"})
    with pytest.raises(ConfigError, match=r"no rule for action 'order\.fly'"):
        AccessPolicy().check(Actor("a", "admin"), "order.fly")


def test_routes_resolve_owner_manager_roles_departments_and_users() -> None:
    routes = from_dict(
        NotificationRoutes,
        {
            "SampleDeposited": {
                "topic": "money in",
                "to": [
                    {"owner": True},
                    {"manager_of_owner": 1},
                    {"manager_of_owner": 2},
                    {"role": "finance"},
                    {"department": "hq"},
                    {"users": ["sun", "boss"]},
                ],
            }
        },
    )
    notes = routes.notifications(deposited(), DIRECTORY, owner_of=lambda e: "sun")
    # the actor (fang) is not told of their own action; inactive fu is skipped; no repeats
    assert [n.recipient_id for n in notes] == ["sun", "mgr", "boss", "ship"]
    assert {n.topic for n in notes} == {"money in"}
    assert routes.notifications(deposited(), DIRECTORY) == [
        Notification("ship", "money in", deposited()),
        Notification("sun", "money in", deposited()),
        Notification("boss", "money in", deposited()),
    ]


def test_recipient_kinds_directly() -> None:
    event = deposited()
    assert Owner().resolve(event, DIRECTORY, None) == []
    assert ManagerOfOwner().resolve(event, DIRECTORY, None) == []
    assert ManagerOfOwner().resolve(event, DIRECTORY, "ghost") == []
    assert ManagerOfOwner(3).resolve(event, DIRECTORY, "sun") == []
    assert HasRole("finance").resolve(event, DIRECTORY, None) == ["fang"]
    assert InDepartment("east").resolve(event, DIRECTORY, None) == ["boss", "mgr", "sun"]
    assert Users(("a",)).resolve(event, DIRECTORY, None) == ["a"]


def test_notify_actor_and_events_without_route() -> None:
    routes = from_dict(
        NotificationRoutes,
        {"SampleDeposited": {"topic": "t", "to": [{"role": "finance"}], "notify_actor": True}},
    )
    assert [n.recipient_id for n in routes.notifications(deposited(), DIRECTORY)] == ["fang"]
    assert NotificationRoutes().notifications(deposited(), DIRECTORY) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"E": {"to": [{"owner": True}]}}, "E.topic: required"),
        ({"E": {"topic": "t", "to": []}}, "E.to: required, a non-empty list"),
        ({"E": {"topic": "t", "to": [{"owner": True}], "cc": 1}}, r"E: unknown keys \['cc'\]"),
        ({"E": {"topic": "t", "to": [{"boss": True}]}}, r"E.to\[0\]: a recipient is"),
        ({"E": {"topic": "t", "to": [{"manager_of_owner": 0}]}}, r"E.to\[0\]"),
        ({"E": {"topic": "t", "to": [{"users": "sun"}]}}, r"E.to\[0\]"),
    ],
)
def test_bad_routes_name_the_path(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(NotificationRoutes, data)  # type: ignore[arg-type]


def test_outbox_delivery_sends_after_commit_once_and_marks_delivered() -> None:
    storage = MemoryDatabase(CONTRACT_KINDS)
    routes = from_dict(
        NotificationRoutes, {"SampleDeposited": {"topic": "money in", "to": [{"role": "finance"}]}}
    )
    notifier = RecordingNotifier()
    with storage.unit_of_work() as uow:
        account = SampleAccount("acc-1", "sun", Money(0, "CNY"), date(2026, 1, 1))
        account.deposit(Actor("sun"), Money(5, "CNY"), at=AT)
        uow.repository(SampleAccount).add(account)
        # nothing is sent before the commit
        assert deliver_outbox(storage, routes, DIRECTORY, notifier, AT) == 0
        uow.commit()
    with storage.unit_of_work() as uow:
        rolled_back = uow.repository(SampleAccount).get("acc-1")
        rolled_back.deposit(Actor("sun"), Money(7, "CNY"), at=AT)
        uow.repository(SampleAccount).save(rolled_back)
    assert deliver_outbox(storage, routes, DIRECTORY, notifier, AT, batch=1) == 1
    assert [(n.recipient_id, n.event.amount) for n in notifier.sent] == [  # type: ignore[attr-defined]
        ("fang", Money(5, "CNY"))
    ]
    assert deliver_outbox(storage, routes, DIRECTORY, notifier, AT) == 0
    assert len(notifier.sent) == 1


def test_configuration_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid NotificationRoutes: expected an object"):
        from_dict(NotificationRoutes, [])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"order\.ship: roles must be a list"):
        AccessPolicy.with_overrides({"order.ship": None})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="access: expected an object"):
        AccessPolicy([])  # type: ignore[arg-type]
