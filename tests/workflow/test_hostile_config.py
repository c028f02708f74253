"""Issue 15: nested configuration has depth and size limits, and conditions read only data."""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import attrs
import pytest

from crmcore.errors import ConfigError, ValidationError
from crmcore.leads import AssignmentPolicy
from crmcore.serialization import MAX_DEPTH, from_dict
from crmcore.services import AccessPolicy, NotificationRoutes
from crmcore.workflow import ApprovalProcess, Compare, Condition, Op


def nested_not(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {"field": "amount", "op": ">", "value": "1"}
    for _ in range(depth):
        data = {"not": data}
    return data


def test_a_condition_nested_past_the_limit_names_the_path() -> None:
    # was RecursionError
    deep = nested_not(100_000)
    gc.collect()
    start = time.perf_counter()
    with pytest.raises(
        ConfigError, match=rf"invalid Condition: not\.not.*: nested deeper than {MAX_DEPTH}"
    ):
        from_dict(Condition, deep)
    assert time.perf_counter() - start < 1
    assert from_dict(Condition, nested_not(MAX_DEPTH - 1)).evaluate({"amount": 0})


def test_a_condition_cannot_walk_into_dunder_or_private_attributes() -> None:
    for path in ("__globals__", "amount.__class__", "_secret", "a..b"):
        with pytest.raises(ConfigError, match=r"field: .* is not a path of data fields"):
            from_dict(Condition, {"field": path, "op": "==", "value": "x"})
        with pytest.raises(ConfigError, match=r"field: .* is not a path of data fields"):
            Compare(path, Op.EQ, "x")


def test_a_condition_cannot_call_into_a_method() -> None:
    @attrs.frozen
    class Subject:
        name: str

    condition = from_dict(Condition, {"field": "name.upper", "op": "==", "value": "X"})
    with pytest.raises(ConfigError, match=r"'upper' of str is a method, not a data field"):
        condition.evaluate(Subject("x"))


def test_huge_integers_in_configuration_are_refused_with_the_path() -> None:
    # was ValueError from int → str conversion
    with pytest.raises(ConfigError, match=r"invalid Condition: value: number out of range"):
        from_dict(Condition, {"field": "amount", "op": ">", "value": 10**5000})


def test_routes_refuse_deep_nesting_bad_booleans_and_unknown_events() -> None:
    to = [{"owner": True}]
    with pytest.raises(
        ConfigError, match=r"ReceivablePaymentConfirmed\.notify_actor: expected true or fal"
    ):
        from_dict(
            NotificationRoutes,
            {"ReceivablePaymentConfirmed": {"topic": "t", "to": to, "notify_actor": "false"}},
        )
    with pytest.raises(
        ConfigError,
        match=r"routes\.'ReceivablePaymentConfirmd': no event is called that \(did you mean",
    ):
        from_dict(NotificationRoutes, {"ReceivablePaymentConfirmd": {"topic": "t", "to": to}})
    deep: Any = {"owner": True}
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(
        ConfigError,
        match=r"invalid NotificationRoutes: ReceivablePaymentConfirmed\.to.*nested deeper than 32",
    ):
        from_dict(NotificationRoutes, {"ReceivablePaymentConfirmed": {"topic": "t", "to": deep}})
    with pytest.raises(ConfigError, match=r"manager_of_owner': 1\.\.20"):
        from_dict(
            NotificationRoutes,
            {"ReceivablePaymentConfirmed": {"topic": "t", "to": [{"manager_of_owner": 21}]}},
        )
    with pytest.raises(
        ConfigError,
        match=r"invalid NotificationRoutes: expected an object .*, got NoneType None",
    ):
        from_dict(NotificationRoutes, None)  # type: ignore[arg-type]
    routes = from_dict(
        NotificationRoutes,
        {"ReceivablePaymentConfirmed": {"topic": "t", "to": to, "notify_actor": False}},
    )
    assert routes.routes["ReceivablePaymentConfirmed"].notify_actor is False


def test_access_overrides_refuse_unhashable_or_missing_roles() -> None:
    # was TypeError: unhashable type
    with pytest.raises(ConfigError, match=r"access\.order\.ship\[0\]: a role name is a non-empty"):
        AccessPolicy.with_overrides({"order.ship": [["warehouse"]]})
    with pytest.raises(ConfigError, match=r"access\.order\.ship: roles must be a list"):
        AccessPolicy.with_overrides({"order.ship": None})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match=r"access: expected an object of actions, got None"):
        AccessPolicy.with_overrides(None)  # type: ignore[arg-type]
    policy = AccessPolicy.with_overrides({"order.ship": ["warehouse"]})
    assert policy.roles["order.ship"] == frozenset({"warehouse"})


def test_leads_policy_refuses_unhashable_and_none() -> None:
    with pytest.raises(ConfigError, match=r"unknown policy kind \[\]"):
        from_dict(AssignmentPolicy, {"kind": []})
    with pytest.raises(ConfigError, match=r"unknown policy kind None"):
        from_dict(AssignmentPolicy, None)
    with pytest.raises(ConfigError, match=r"takes only 'kind', got keys 'kind', 1"):
        from_dict(AssignmentPolicy, {"kind": "round_robin", 1: 2})


def test_approval_process_json_nested_100000_deep_is_one_config_error() -> None:
    # was RecursionError inside json
    gc.collect()
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"approval process JSON: nested deeper than 32 levels"):
        ApprovalProcess.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match=r"approval process JSON: Exceeds the limit"):
        ApprovalProcess.from_json('{"version": ' + "9" * 5000 + "}")
    with pytest.raises(ConfigError, match=r"approval process JSON: not valid JSON"):
        ApprovalProcess.from_json("{")
    with pytest.raises(ConfigError, match=r"expected JSON text, got NoneType"):
        ApprovalProcess.from_json(None)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 1


def test_an_sla_of_a_million_years_is_refused() -> None:
    process = {
        "id": "p",
        "version": 1,
        "subject_kind": "order",
        "steps": [{"name": "s", "approvers": [{"role": "m"}], "sla": {"hours": 10**10}}],
    }
    with pytest.raises(
        ConfigError, match=r"steps\[0\]\.sla\.hours: 10000000000 must be 0\.\.878400"
    ):
        ApprovalProcess.from_json(json.dumps(process))
    with pytest.raises(ValidationError):
        from_dict(
            ApprovalProcess,
            {
                **process,
                "steps": [{**process["steps"][0], "sla": {"hours": 24, "remind_before_hours": 5}}],
            },
        )  # type: ignore[dict-item]
