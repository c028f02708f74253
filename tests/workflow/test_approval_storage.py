"""A request is stored as plain data, pinned process included, and carries on after loading."""

from __future__ import annotations

import json

import pytest

from crmcore.errors import ConfigError
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

from ._org import T0, Order, actor, hours

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
    data = json.loads(json.dumps(request.to_dict()))
    assert data["process"]["version"] == 3
    assert data["tasks"][0]["status"] == "APPROVED"
    assert data["subject_users"] == []
    loaded = ApprovalInstance.from_dict(data)
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
    data = request.to_dict()
    data["status"] = "LOST"
    data["tasks"][0]["assigned_at"] = "yesterday"
    with pytest.raises(ConfigError) as err:
        ApprovalInstance.from_dict(data)
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
        request.to_dict()
