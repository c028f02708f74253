"""A configured role vocabulary catches every misspelt role name in the configuration."""

from __future__ import annotations

import attrs
import pytest

from crmcore.errors import ConfigError
from crmcore.serialization import from_dict
from crmcore.services import AccessPolicy, CrmConfig, Grant
from crmcore.workflow import ApprovalProcess, ProcessRegistry
from tests.services.helpers import ROLES, config

VOCABULARY = frozenset(ROLES) | {"warehouse"}


def test_the_whole_test_configuration_uses_known_roles() -> None:
    checked = config(roles=VOCABULARY)
    assert checked.roles == VOCABULARY
    assert CrmConfig(roles=ROLES).roles == frozenset(ROLES)  # the defaults use only these


def test_a_misspelt_role_is_named_with_where_it_is_and_a_suggestion() -> None:
    with pytest.raises(ConfigError) as refused:
        CrmConfig(
            roles=VOCABULARY,
            access=AccessPolicy.with_overrides({"order.ship": ["warehose"]}),
            grants=(Grant({"auditor"}, write=False),),
        )
    assert refused.value.problems == [
        "access.order.ship: unknown role 'warehose'; did you mean 'warehouse'?",
        "grants[0].roles: unknown role 'auditor'",
    ]


def test_approval_steps_routes_and_write_offs_are_checked_too() -> None:
    registry = ProcessRegistry()
    registry.publish(
        from_dict(
            ApprovalProcess,
            {
                "id": "refunds",
                "version": 2,
                "subject_kind": "order",
                "steps": [{"name": "money", "approvers": [{"role": "finanace"}]}],
            },
        )
    )
    with pytest.raises(ConfigError, match="did you mean 'finance'") as refused:
        CrmConfig(roles=VOCABULARY, approvals=registry)
    assert refused.value.problems == [
        "approvals.refunds@2.steps[0].approvers[0]: unknown role 'finanace'; did you mean "
        "'finance'?"
    ]
    narrow = frozenset({"sales", "manager", "shipping", "admin"})  # no finance at all
    with pytest.raises(ConfigError) as refused:
        CrmConfig(roles=narrow)
    wheres = {p.split(":")[0] for p in refused.value.problems}
    assert {"access.payment.confirm", "routes.ReceivablePaymentRecorded.to[0]"} <= wheres
    assert "write_offs.bank_fee" in wheres


def test_without_a_vocabulary_nothing_is_checked() -> None:
    loose = CrmConfig(access=AccessPolicy.with_overrides({"order.ship": ["warehose"]}))
    assert loose.roles is None
    assert attrs.evolve(loose, admin_roles={"root"}).admin_roles == {"root"}
