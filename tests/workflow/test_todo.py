"""To-do lists for approvers and the progress view for submitters."""

from __future__ import annotations

from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ApprovalInstance,
    ApprovalProcess,
    Awaiting,
    ManagerOf,
    Role,
    Sla,
    Step,
    User,
    pending_tasks_for,
)
from tests.workflow.workflow_helpers import T0, Order, actor, hours

PROCESS = ApprovalProcess(
    "order-approval",
    1,
    "order",
    [
        Step("manager", [ManagerOf(1)], sla=Sla(24)),
        Step("finance", [Role("finance")], allow_delegation=True),
    ],
)


def submit(
    directory: StaticDirectory, n: int, at_hour: float, by: str = "sam"
) -> ApprovalInstance:
    return ApprovalInstance.start(
        PROCESS,
        Order(id=f"SO-{n}"),
        actor(by),
        directory,
        at=hours(at_hour),
        instance_id=f"AP-{n}",
    )


def test_the_managers_to_do_list_puts_the_most_urgent_first(directory: StaticDirectory) -> None:
    late = submit(directory, 1, at_hour=5)
    early = submit(directory, 2, at_hour=1, by="sue")
    done = submit(directory, 3, at_hour=0)
    done.approve(actor("mia"), at=hours(6), directory=directory)
    todo = pending_tasks_for("mia", [late, early, done])
    assert [(t.instance_id, t.subject_id, t.step, t.submitter_id, t.due_at) for t in todo] == [
        ("AP-2", "SO-2", "manager", "sue", hours(25)),
        ("AP-1", "SO-1", "manager", "sam", hours(29)),
    ]
    assert todo[0].process == "order-approval@1"
    assert todo[0].on_behalf_of is None
    assert todo[0].since == hours(1)
    assert pending_tasks_for("dan", [late, early, done]) == []
    finance = pending_tasks_for("f1", [late, early, done])
    assert [(t.instance_id, t.step, t.due_at) for t in finance] == [("AP-3", "finance", None)]


def test_a_delegate_sees_the_task_on_behalf_of_the_original(directory: StaticDirectory) -> None:
    request = submit(directory, 1, at_hour=0)
    request.approve(actor("mia"), at=hours(1), directory=directory)
    request.delegate(actor("f1"), "sue", at=hours(2), directory=directory)
    [item] = pending_tasks_for("sue", [request])
    assert (item.on_behalf_of, item.since) == ("f1", hours(2))
    assert pending_tasks_for("f1", [request]) == []


def test_decided_requests_leave_every_to_do_list(directory: StaticDirectory) -> None:
    request = submit(directory, 1, at_hour=0)
    request.withdraw(actor("sam"), at=hours(1))
    assert pending_tasks_for("mia", [request]) == []


def test_the_submitter_sees_which_step_who_answered_and_who_is_awaited_since_when(
    directory: StaticDirectory,
) -> None:
    request = submit(directory, 1, at_hour=0)
    request.approve(actor("mia"), at=hours(2), directory=directory)
    request.approve(actor("f2"), at=hours(3), directory=directory, comment="credit ok")
    progress = request.progress()
    assert (progress.status, progress.step, progress.step_number, progress.step_count) == (
        "PENDING",
        "finance",
        2,
        2,
    )
    assert progress.step_since == hours(2)
    assert [(a.approver_id, a.decision, a.at, a.comment) for a in progress.answered] == [
        ("f2", "APPROVED", hours(3), "credit ok")
    ]
    assert progress.awaiting == (
        Awaiting(approver_id="f1", original_approver_id="f1", since=hours(2), due_at=None),
        Awaiting(approver_id="f3", original_approver_id="f3", since=hours(2), due_at=None),
    )
    assert progress.summary() == "step 2/2 finance: approved by f2; awaiting f1, f3"
    assert progress.decided_at is None
    request.approve(actor("f1"), at=hours(4), directory=directory)
    request.approve(actor("f3"), at=hours(5), directory=directory)
    final = request.progress()
    assert (final.status, final.step, final.awaiting, final.decided_at) == (
        "APPROVED",
        None,
        (),
        hours(5),
    )


def test_open_tasks_and_current_tasks(directory: StaticDirectory) -> None:
    request = ApprovalInstance.start(
        ApprovalProcess("p", 1, "order", [Step("s", [User("f1"), User("f2")])]),
        Order(),
        actor("sam"),
        directory,
        at=T0,
        instance_id="AP-1",
    )
    request.approve(actor("f1"), at=hours(1), directory=directory)
    assert [t.approver_id for t in request.current_tasks()] == ["f1", "f2"]
    assert [t.approver_id for t in request.open_tasks()] == ["f2"]
    assert request.open_tasks_for("f1") == []
    assert request.is_decided is False
    assert request.subject_kind == "order"
