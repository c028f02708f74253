"""A request is stored as plain data, pinned process included, and carries on after loading."""

from __future__ import annotations

import json

import pytest

from crmcore.errors import ConfigError
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    QUORUM,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
    ManagerOf,
    ManagerOfApprover,
    Role,
    Sla,
    Step,
)
from tests.workflow.workflow_helpers import T0, Order, actor, hours

PROCESS = ApprovalProcess(
    "order-approval",
    3,
    "order",
    [
        Step("manager", [ManagerOf(1)], sla=Sla(8, (2,), ManagerOfApprover())),
        Step(
            "finance",
            [Role("finance")],
            mode=QUORUM(2),
            condition={"field": "region", "op": "==", "value": "north"},
            allow_delegation=True,
        ),
    ],
)


def test_a_stored_request_loads_back_equal_and_carries_on(directory: StaticDirectory) -> None:
    request = ApprovalInstance.start(
        PROCESS, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    request.tick(hours(7), directory)
    request.approve(actor("mia"), at=hours(7.5), directory=directory)
    request.delegate(actor("f1"), "sue", at=hours(8), directory=directory)
    data = json.loads(json.dumps(to_dict(request)))
    assert data["process"]["version"] == 3
    assert data["tasks"][0]["status"] == "APPROVED"
    assert data["subject_users"] == []
    loaded = from_dict(ApprovalInstance, data)
    assert loaded == request
    assert loaded.pull_events() == []
    loaded.approve(actor("sue"), at=hours(9), directory=directory)
    loaded.approve(actor("f3"), at=hours(9), directory=directory)
    assert loaded.status is ApprovalStatus.APPROVED
    assert request.status is ApprovalStatus.PENDING


def test_bad_stored_data_names_the_path(directory: StaticDirectory) -> None:
    request = ApprovalInstance.start(
        PROCESS, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    data = to_dict(request)
    data["status"] = "LOST"
    data["tasks"][0]["assigned_at"] = "yesterday"
    with pytest.raises(ConfigError) as err:
        from_dict(ApprovalInstance, data)
    assert err.value.problems == [
        "status: 'LOST' is not one of 'PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN'",
        "tasks[0].assigned_at: 'yesterday' is not an ISO 8601 date-time",
    ]


def test_a_process_configured_with_python_code_cannot_be_stored(
    directory: StaticDirectory,
) -> None:
    coded = ApprovalProcess("p", 1, "order", [Step("m", [ManagerOf(1)], condition=lambda o: True)])
    request = ApprovalInstance.start(
        coded, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    with pytest.raises(ConfigError, match="Python code"):
        to_dict(request)


def test_a_stored_request_with_one_person_on_two_seats_counts_that_person_once(
    directory: StaticDirectory,
) -> None:
    # Data written before one-person-one-seat was enforced: f1 holds f2's seat as well.
    # Two of three must approve; f1's answer is one approval however many seats f1 holds.
    quorum = ApprovalProcess(
        "order-approval", 1, "order", [Step("finance", [Role("finance")], mode=QUORUM(2))]
    )
    request = ApprovalInstance.start(
        quorum, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    data = to_dict(request)
    data["tasks"][1]["approver_id"] = "f1"
    legacy = from_dict(ApprovalInstance, json.loads(json.dumps(data)))
    legacy.approve(actor("f1"), at=hours(1), directory=directory)
    assert legacy.status is ApprovalStatus.PENDING
    assert [t.approver_id for t in legacy.open_tasks()] == ["f3"]
    legacy.approve(actor("f3"), at=hours(2), directory=directory)
    assert legacy.status is ApprovalStatus.APPROVED

    alone = from_dict(ApprovalInstance, json.loads(json.dumps(data)))
    alone.reject(actor("f3"), at=hours(1), directory=directory, comment="no")
    # f1 alone is left: one person cannot make a quorum of two, so the step is rejected now
    assert alone.status is ApprovalStatus.REJECTED
