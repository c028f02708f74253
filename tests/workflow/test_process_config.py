"""Approval processes load from dicts / JSON, and bad configuration names its paths."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.workflow import (
    ALL,
    ANY,
    QUORUM,
    ApprovalProcess,
    Compare,
    FieldUser,
    ManagerOf,
    ManagerOfApprover,
    Mode,
    OnReject,
    Op,
    ProcessRegistry,
    Role,
    Sla,
    Step,
    User,
)
from tests.workflow.workflow_helpers import Order, Reason

ORDER_APPROVAL: dict[str, Any] = {
    "id": "order-approval",
    "version": 1,
    "subject_kind": "order",
    "name": "Orders beyond authority",
    "entry_condition": {
        "any": [
            {
                "field": "approval_reasons.kind",
                "op": "contains",
                "value": "discount_above_authority",
            },
            {"field": "net_total", "op": ">=", "value": {"amount": "100000", "currency": "CNY"}},
        ]
    },
    "steps": [
        {"name": "manager", "approvers": [{"manager_of": 1}], "mode": "ANY"},
        {
            "name": "finance",
            "approvers": [{"role": "finance"}, {"user": "cfo"}],
            "mode": "QUORUM(2)",
            "on_reject": "BACK_TO_PREVIOUS",
            "condition": {"field": "region", "op": "in", "value": ["north", "east"]},
            "sla": {
                "hours": 48,
                "remind_before_hours": [24, 4],
                "escalate_to": {"manager_of_approver": 1},
            },
            "allow_delegation": True,
        },
        {
            "name": "account",
            "approvers": [{"field_user": "key_account_manager_id"}],
            "allow_self_approval": True,
        },
    ],
    "fallback_approvers": [{"user": "dan"}],
}


def test_order_approval_loads_from_json_into_typed_configuration() -> None:
    process = ApprovalProcess.from_json(json.dumps(ORDER_APPROVAL))
    assert process.key == "order-approval@1"
    manager, finance, account = process.steps
    assert manager == Step("manager", [ManagerOf(1)], mode=ANY)
    assert finance.approvers == (Role("finance"), User("cfo"))
    assert finance.mode == QUORUM(2)
    assert finance.on_reject is OnReject.BACK_TO_PREVIOUS
    assert finance.sla == Sla(48, (24, 4), ManagerOfApprover(1))
    assert finance.condition == Compare("region", Op.IN, ["north", "east"])
    assert finance.allow_delegation is True
    assert account.approvers == (FieldUser("key_account_manager_id"),)
    assert account.mode == ALL
    assert account.allow_self_approval is True
    assert process.fallback_approvers == (User("dan"),)
    assert process.step("finance") is finance
    with pytest.raises(NotFound, match="has no step 'legal'"):
        process.step("legal")
    assert process.requires_approval(Order(approval_reasons=(Reason("discount_above_authority"),)))
    assert not process.requires_approval(Order())


def test_to_dict_round_trips() -> None:
    process = from_dict(ApprovalProcess, ORDER_APPROVAL)
    data = to_dict(process)
    assert data["steps"][1]["mode"] == "QUORUM(2)"
    assert data["steps"][1]["approvers"] == [{"role": "finance"}, {"user": "cfo"}]
    assert data["steps"][2]["approvers"] == [{"field_user": "key_account_manager_id"}]
    assert data["steps"][1]["sla"]["escalate_to"] == {"manager_of_approver": 1}
    assert from_dict(ApprovalProcess, json.loads(json.dumps(data))) == process


def with_steps(*steps: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(ORDER_APPROVAL)
    data["steps"] = list(steps)
    return data


def problems(data: object) -> list[str]:
    with pytest.raises(ConfigError) as err:
        from_dict(ApprovalProcess, data)
    return err.value.problems


def test_every_bad_path_is_named_at_once() -> None:
    data = with_steps(
        {"name": "a", "approvers": [{"role": None}], "mode": "MOST"},
        {"name": "b", "approvers": []},
        {"name": "c", "approvers": [{"user": "x"}, {"user": "y"}], "mode": "QUORUM(3)"},
        {"name": "d", "approvers": [{"team": "x"}], "on_reject": "SHRUG"},
    )
    assert problems(data) == [
        "steps[0].approvers[0].role: required",
        "steps[0].mode: unknown mode 'MOST' (use 'ANY', 'ALL' or 'QUORUM(n)' with n >= 1)",
        "steps[1].approvers: a step needs at least one approver",
        "steps[2].mode: QUORUM(3) needs 3 approvers but step 'c' can have at most 2 "
        "(user x, user y)",
        "steps[3].approvers[0]: unknown approver kind 'team'; expected one of {'role': name}, "
        "{'user': id}, {'manager_of': levels}, {'field_user': attribute}",
        "steps[3].on_reject: 'SHRUG' is not one of 'REJECT_ALL', 'BACK_TO_PREVIOUS'",
    ]


def test_duplicate_step_names_are_refused() -> None:
    step = {"name": "finance", "approvers": [{"user": "f1"}]}
    assert problems(with_steps(step, {"name": "x", "approvers": [{"user": "f"}]}, step, step)) == [
        "steps[2].name: duplicate step name 'finance' (also steps[0]); "
        "steps[3].name: duplicate step name 'finance' (also steps[0])"
    ]
    with pytest.raises(ConfigError) as err:
        ApprovalProcess("p", 1, "order", [Step("a", [User("x")]), Step("a", [User("y")])])
    assert err.value.problems == ["steps[1].name: duplicate step name 'a' (also steps[0])"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"steps": []}, "steps: a process needs at least one step"),
        ({"version": 0}, "version: must be a whole number >= 1, got 0"),
        ({"id": " "}, "id: must be a non-empty string"),
        ({"color": "red"}, "(top level): unknown keys ['color']"),
        ({"fallback_approvers": [{"manager_of": 0}]}, "fallback_approvers[0].manager_of: must be"),
        ({"fallback_approvers": ["boss"]}, "fallback_approvers[0]: expected one of"),
        (
            {"entry_condition": {"field": "x", "op": "~", "value": 1}},
            "entry_condition.op: unknown operator '~'",
        ),
    ],
)
def test_process_level_problems(change: dict[str, Any], expected: str) -> None:
    data = {**ORDER_APPROVAL, **change}
    assert any(p.startswith(expected) for p in problems(data)), problems(data)


@pytest.mark.parametrize(
    ("sla", "expected"),
    [
        ({"hours": 0}, "steps[0].sla.hours: must be a whole number >= 1, got 0"),
        ({"hours": 8, "remind_before_hours": [8]}, "steps[0].sla.remind_before_hours[0]: must be"),
        (
            {"hours": 8, "remind_before_hours": [2, 2]},
            "steps[0].sla.remind_before_hours: repeated",
        ),
        ({"hours": 8, "escalate_to": {"boss": 1}}, "steps[0].sla.escalate_to: unknown escalation"),
        ({"hours": 8, "escalate_to": {"user": ""}}, "steps[0].sla.escalate_to.user: must be"),
    ],
)
def test_sla_problems(sla: dict[str, Any], expected: str) -> None:
    data = with_steps({"name": "a", "approvers": [{"user": "f1"}], "sla": sla})
    assert any(p.startswith(expected) for p in problems(data)), problems(data)


def test_bad_json_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="approval process JSON"):
        ApprovalProcess.from_json("{")


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("ANY", ANY),
        ("all", ALL),
        ("QUORUM(2)", QUORUM(2)),
        ("quorum( 3 )", QUORUM(3)),
        ({"quorum": 2}, QUORUM(2)),
    ],
)
def test_mode_spellings(text: object, mode: Mode) -> None:
    data = with_steps({"name": "a", "approvers": [{"role": "finance"}], "mode": text})
    assert from_dict(ApprovalProcess, data).steps[0].mode == mode


@pytest.mark.parametrize(
    "text",
    ["QUORUM(0)", {"quorum": 0}, {"quorum": True}, 3, "MAJORITY", "QUORUM(٢)", "QUORUM(２)"],
)
def test_bad_modes(text: object) -> None:
    data = with_steps({"name": "a", "approvers": [{"role": "finance"}], "mode": text})
    assert problems(data)[0].startswith("steps[0].mode: unknown mode")


def test_modes_in_python() -> None:
    assert str(QUORUM(2)) == "QUORUM(2)"
    assert str(ANY) == "ANY"
    with pytest.raises(ValidationError, match="n: must be a whole number >= 1"):
        QUORUM(0)
    with pytest.raises(ValidationError, match="kind: unknown mode 'MOST'"):
        Mode("MOST")
    with pytest.raises(ValidationError, match="kind: unknown mode 'MAJORITY'"):
        Mode("MAJORITY")
    with pytest.raises(ValidationError, match="kind: unknown mode None"):
        Mode(None)  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError, match="n: only QUORUM takes a number of approvers; ALL got 3"
    ):
        Mode("ALL", 3)
    assert Mode("QUORUM", 2) == QUORUM(2)
    with pytest.raises(ValidationError, match="levels: must be"):
        ManagerOf(0)
    assert ManagerOf(2).describe() == "the submitter's manager (2 levels up)"
    assert ManagerOfApprover(1).describe() == "the approver's manager"


@given(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(1, 6))
def test_mode_outcomes(approved: int, rejected: int, pending: int, n: int) -> None:
    seats = approved + rejected + pending
    any_outcome = ANY.outcome(approved, rejected, pending)
    assert any_outcome == (True if approved else (False if rejected else None))
    all_outcome = ALL.outcome(approved, rejected, pending)
    if rejected:
        assert all_outcome is False
    else:
        assert all_outcome is (True if pending == 0 else None)
    quorum = QUORUM(n).outcome(approved, rejected, pending)
    if approved >= n:
        assert quorum is True
    elif approved + pending < n:
        assert quorum is False
    else:
        assert quorum is None
    if seats and pending == 0:
        assert QUORUM(n).outcome(approved, rejected, pending) is not None
        assert ALL.outcome(approved, rejected, pending) is not None


def test_a_host_may_configure_conditions_in_code_but_not_save_them() -> None:
    step = Step("big", [User("dan")], condition=lambda order: order.net_total.amount > 5000)
    assert step.condition is not None
    assert step.condition.evaluate(Order())
    process = ApprovalProcess("p", 1, "order", [step])
    with pytest.raises(ConfigError, match="is Python code and cannot be saved"):
        to_dict(process)


def test_registry_keeps_every_version() -> None:
    registry = ProcessRegistry()
    v1 = from_dict(ApprovalProcess, ORDER_APPROVAL)
    v2 = from_dict(ApprovalProcess, {**ORDER_APPROVAL, "version": 2})
    other = ApprovalProcess("leave", 1, "opportunity", [Step("m", [ManagerOf()])])
    registry.publish(v1)
    registry.publish(v2)
    registry.publish(other)
    assert registry.latest("order-approval") is v2
    assert registry.get("order-approval", 1) is v1
    assert registry.versions("order-approval") == [1, 2]
    assert registry.versions("nope") == []
    assert registry.for_subject("order") == [v2]
    assert registry.for_subject("opportunity") == [other]
    with pytest.raises(ConfigError, match="version 2 is not newer than the published version 2"):
        registry.publish(v2)
    with pytest.raises(ConfigError, match="version 1 is not newer"):
        registry.publish(v1)
    with pytest.raises(NotFound, match="no approval process 'x' is published"):
        registry.latest("x")
    with pytest.raises(NotFound, match="has no version 7"):
        registry.get("order-approval", 7)
