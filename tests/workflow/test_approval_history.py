"""An approval request's history is read from its events, line for line what the old log
kept; requests stored before (with their history lines) load, keep those lines and go on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from crmcore.serialization import from_dict, to_dict
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
    ManagerOf,
    OnReject,
    Role,
    Sla,
    Step,
    User,
)
from tests.workflow.test_approval_storage import PROCESS as STORED_PROCESS
from tests.workflow.workflow_helpers import T0, Order, actor, hours, org

#: Written by main before the history came from the events (scenarios of ``_requests``).
STORED = Path(__file__).parent / "stored_before_events" / "approvals.json"

#: test_approval_storage's process, its finance step sending a rejection back, with a fallback.
PROCESS = attrs.evolve(
    STORED_PROCESS,
    steps=[
        STORED_PROCESS.steps[0],
        attrs.evolve(STORED_PROCESS.steps[1], on_reject=OnReject.BACK_TO_PREVIOUS),
    ],
    fallback_approvers=[User("cfo")],
)


def _requests(d: StaticDirectory) -> list[ApprovalInstance]:
    """Reminded, escalated, delegated, reassigned; sent back and rejected; not required;
    withdrawn; a step skipped, overdue without escalation, approved."""
    one = ApprovalInstance.start(PROCESS, Order(), actor("sam"), d, at=T0, instance_id="AP-1")
    one.tick(hours(6.5), d)
    one.tick(hours(8.5), d)
    one.approve(actor("dan"), at=hours(9), directory=d, comment="ok")
    one.delegate(actor("f1"), "sue", at=hours(10), directory=d, comment="on leave")
    one.reassign(actor("mia"), "f2", "kim", at=hours(11), directory=d, reason="f2 left")
    one.approve(actor("sue"), at=hours(12), directory=d)
    two = ApprovalInstance.start(PROCESS, Order(), actor("sam"), d, at=T0, instance_id="AP-2")
    two.approve(actor("mia"), at=hours(1), directory=d)
    two.reject(actor("f1"), at=hours(2), directory=d, comment="price too low")
    two.reject(actor("f2"), at=hours(2), directory=d, comment="agreed")
    two.reject(actor("mia"), at=hours(3), directory=d, comment="no")
    south = {"field": "region", "op": "==", "value": "south"}
    unneeded = ApprovalProcess(
        "order-approval", 4, "order", [Step("manager", [ManagerOf(1)])], entry_condition=south
    )
    three = ApprovalInstance.start(unneeded, Order(), actor("sam"), d, at=T0, instance_id="AP-3")
    four = ApprovalInstance.start(
        PROCESS, Order(region="south"), actor("sam"), d, at=T0, instance_id="AP-4"
    )
    four.withdraw(actor("sam"), at=hours(1), comment="customer changed the order")
    skipping = ApprovalProcess(
        "p3",
        1,
        "order",
        [
            Step("finance", [Role("finance")], condition=south),
            Step("dir", [User("dan")], sla=Sla(4)),
        ],
    )
    five = ApprovalInstance.start(skipping, Order(), actor("sam"), d, at=T0, instance_id="AP-5")
    five.tick(hours(5), d)
    five.approve(actor("dan"), at=hours(6), directory=d)
    return [one, two, three, four, five]


def _lines(request: ApprovalInstance) -> list[list[Any]]:
    return [
        [h.at.isoformat(), h.actor_id, h.action, h.step, h.detail, h.comment]
        for h in request.history
    ]


def _stored() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(STORED.read_text("utf-8"))
    return rows


def test_the_history_read_from_the_events_is_the_one_the_log_kept() -> None:
    requests = _requests(org())
    assert [_lines(r) for r in requests] == [row["history"] for row in _stored()]
    assert _lines(requests[0])[-3:] == [
        ["2026-03-02T19:00:00+00:00", "f1", "delegated", "finance", "to sue", "on leave"],
        ["2026-03-02T20:00:00+00:00", "mia", "reassigned", "finance", "f2 to kim", "f2 left"],
        ["2026-03-02T21:00:00+00:00", "sue", "approved", "finance", "for f1", ""],
    ]


def test_the_history_is_not_stored_beside_the_events() -> None:
    request = _requests(org())[1]
    data = to_dict(request)
    assert "history" not in data
    assert data["earlier_history"] == []
    assert [e["event"] for e in data["events"]][-3:] == [
        "ApprovalTaskRejected",
        "ApprovalStepDecided",
        "ApprovalRequestRejected",
    ]
    assert from_dict(ApprovalInstance, json.loads(json.dumps(data))) == request


def test_requests_stored_before_keep_their_lines_and_go_on() -> None:
    d = org()
    rows = _stored()
    for row in rows:
        assert "history" in row["data"]
        assert "events" not in row["data"]
        loaded = from_dict(ApprovalInstance, row["data"])
        assert _lines(loaded) == row["history"]
        again = from_dict(ApprovalInstance, json.loads(json.dumps(to_dict(loaded))))
        assert again == loaded
    pending = from_dict(ApprovalInstance, rows[0]["data"])
    assert pending.status is ApprovalStatus.PENDING
    pending.approve(actor("kim"), at=hours(13), directory=d)
    assert pending.status is ApprovalStatus.APPROVED
    assert _lines(pending)[: len(rows[0]["history"])] == rows[0]["history"]
    assert _lines(pending)[len(rows[0]["history"]) :] == [
        ["2026-03-02T22:00:00+00:00", "kim", "approved", "finance", "for f2", ""],
        [
            "2026-03-02T22:00:00+00:00",
            "kim",
            "step approved",
            "finance",
            "QUORUM(2); no response: f3",
            "",
        ],
        ["2026-03-02T22:00:00+00:00", "kim", "request approved", "finance", "", ""],
    ]
