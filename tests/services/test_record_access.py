"""The record-access rule on its own: own, team (managers up the chain, department heads when
configured), all (grants), with read and write as separate scopes."""

from __future__ import annotations

import pytest

from crmcore.errors import PermissionDenied
from crmcore.ports import Actor, DirectoryUser
from crmcore.services import AccessPolicy, CrmConfig, Grant, RecordAccess, RecordRef, Scope
from crmcore.testing.fakes import StaticDirectory
from tests.services.helpers import PROCESS

DIRECTORY = StaticDirectory.of(
    [
        DirectoryUser("ann", roles={"sales"}, department="east", manager_id="mia"),
        DirectoryUser("bob", roles={"sales"}, department="east", manager_id="mia"),
        DirectoryUser("mia", roles={"manager"}, department="east", manager_id="dan"),
        DirectoryUser("dan", roles={"manager"}, department="hq"),
        DirectoryUser("hen", roles={"head"}, department="east"),
        DirectoryUser("wu", roles={"head"}, department="west"),
        DirectoryUser("aud", roles={"audit"}),
    ]
)
ORDER = RecordRef("order", "o-1", "ann", "east", "draft")


def _scope(rule: RecordAccess, who: str, roles: set[str], mode: str) -> Scope | None:
    return rule.scope(DIRECTORY, Actor(who, roles), ORDER, mode)


def test_own_then_the_whole_manager_chain_then_nobody() -> None:
    rule = RecordAccess()
    assert _scope(rule, "ann", {"sales"}, "write") is Scope.OWN
    assert _scope(rule, "mia", {"manager"}, "write") is Scope.TEAM
    assert _scope(rule, "dan", {"manager"}, "write") is Scope.TEAM  # two levels up
    assert _scope(rule, "bob", {"sales"}, "read") is None
    assert _scope(rule, "hen", {"head"}, "read") is None  # heads are off by default


def test_department_heads_reach_their_departments_records_when_configured() -> None:
    rule = RecordAccess(department_head_roles={"head"})
    assert _scope(rule, "hen", {"head"}, "write") is Scope.TEAM
    assert _scope(rule, "wu", {"head"}, "read") is None  # another department's head


def test_read_and_write_are_separate_scopes() -> None:
    rule = RecordAccess((Grant({"audit"}, write=False),), team_write=False)
    assert _scope(rule, "aud", {"audit"}, "read") is Scope.ALL
    assert _scope(rule, "aud", {"audit"}, "write") is None
    assert _scope(rule, "mia", {"manager"}, "read") is Scope.TEAM
    with pytest.raises(PermissionDenied) as refused:
        rule.check(DIRECTORY, Actor("mia", {"manager"}), ORDER, "write")
    assert str(refused.value) == (
        "mia may not write order o-1: it belongs to ann (only the owner may)"
    )


def test_a_grant_reaches_only_its_kinds_and_statuses() -> None:
    rule = RecordAccess((Grant({"shipping"}, kinds={"order"}, statuses={"confirmed"}),))
    confirmed = RecordRef("order", "o-2", "ann", "east", "confirmed")
    receivable = RecordRef("receivable", "r-1", "ann", "east")
    sid = Actor("sid", {"shipping"})
    assert rule.scope(DIRECTORY, sid, confirmed, "write") is Scope.ALL
    assert rule.scope(DIRECTORY, sid, ORDER, "read") is None  # a draft
    assert rule.scope(DIRECTORY, sid, receivable, "read") is None


def test_crm_config_derives_the_rule_from_its_role_vocabulary() -> None:
    config = CrmConfig(
        sales_process=PROCESS,
        admin_roles={"root"},
        department_head_roles={"head"},
        team_write=False,
        grants=(Grant({"audit"}, write=False),),
    )
    rule = config.record_access
    assert _scope(rule, "x", {"root"}, "write") is Scope.ALL
    assert _scope(rule, "x", {"admin"}, "read") is None  # "admin" is not configured here
    assert _scope(rule, "hen", {"head"}, "read") is Scope.TEAM
    assert _scope(rule, "mia", {"manager"}, "write") is None
    assert _scope(rule, "aud", {"audit"}, "write") is None
    assert config.pools == ()
    assert config.sales_process is not None
    assert config.sales_process.sales_roles == frozenset({"sales", "manager", "admin"})
    assert config.receivable_policy.finance_roles == frozenset({"finance"})
    assert config.order_policy.shipping_roles == frozenset({"shipping"})


def test_an_access_override_reaches_the_sales_process_roles() -> None:
    access = AccessPolicy.with_overrides({"opportunity.invalidate": ["qa"]})
    config = CrmConfig(sales_process=PROCESS, access=access)
    assert config.sales_process is not None
    assert config.sales_process.invalidate_roles == frozenset({"qa"})
    assert config.invalidate_roles == frozenset({"qa"})
