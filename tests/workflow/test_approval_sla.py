"""SLA: reminders before it runs out and escalation after it, each exactly once."""

from __future__ import annotations

from crmcore.ports import DirectoryUser
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ApprovalEscalationFailed,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalReminderSent,
    ApprovalStatus,
    ApprovalTaskEscalated,
    ApprovalTaskOverdue,
    ManagerOfApprover,
    Sla,
    Step,
    User,
)
from tests.workflow.workflow_helpers import T0, Order, actor, hours


def start(step: Step, directory: StaticDirectory, **kwargs: object) -> ApprovalInstance:
    proc = ApprovalProcess("order-approval", 1, "order", [step], **kwargs)  # type: ignore[arg-type]
    return ApprovalInstance.start(
        proc, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )


def test_reminders_and_escalation_fire_once_each_however_often_tick_runs(
    directory: StaticDirectory,
) -> None:
    step = Step("finance", [User("f1")], sla=Sla(48, [24, 4], ManagerOfApprover(1)))
    request = start(step, directory)
    request.pull_events()
    assert request.tasks[0].due_at == hours(48)
    fired: list[object] = []
    for h in [1, 23.9, 24, 24, 30, 44, 44.5, 47.99, 48, 48, 60, 100]:
        fired += request.tick(hours(h), directory)
    reminders = [e for e in fired if isinstance(e, ApprovalReminderSent)]
    assert [(e.occurred_at, e.recipient_id, e.hours_before) for e in reminders] == [
        (hours(24), "f1", 24),
        (hours(44), "f1", 4),
    ]
    escalations = [e for e in fired if isinstance(e, ApprovalTaskEscalated)]
    assert [(e.occurred_at, e.from_id, e.to_id) for e in escalations] == [(hours(48), "f1", "cfo")]
    assert len(fired) == 3
    assert request.pull_events() == fired
    assert [(t.approver_id, t.original_approver_id, t.status.name) for t in request.tasks] == [
        ("f1", "f1", "ESCALATED"),
        ("cfo", "f1", "PENDING"),
    ]
    request.approve(actor("cfo"), at=hours(61), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert request.tick(hours(200), directory) == []


def test_late_tick_sends_every_missed_reminder_once_then_escalates(
    directory: StaticDirectory,
) -> None:
    request = start(Step("f", [User("f1")], sla=Sla(10, [5, 2], ManagerOfApprover())), directory)
    first = request.tick(hours(9), directory)
    assert [e.hours_before for e in first if isinstance(e, ApprovalReminderSent)] == [5, 2]
    assert request.tick(hours(9.5), directory) == []
    assert request.tasks[0].reminders_sent == (5, 2)


def test_without_an_escalation_target_an_overdue_task_is_reported_once(
    directory: StaticDirectory,
) -> None:
    request = start(Step("f", [User("f1")], sla=Sla(8)), directory)
    events = request.tick(hours(9), directory) + request.tick(hours(10), directory)
    assert len(events) == 1
    assert isinstance(events[0], ApprovalTaskOverdue)
    assert events[0].approver_id == "f1"
    assert request.open_tasks()[0].approver_id == "f1"


def test_escalation_with_nobody_above_uses_the_fallback(directory: StaticDirectory) -> None:
    request = start(
        Step("f", [User("cfo")], sla=Sla(8, (), ManagerOfApprover())),
        directory,
        fallback_approvers=[User("dan")],
    )
    events = request.tick(hours(8), directory)
    assert [(e.from_id, e.to_id) for e in events if isinstance(e, ApprovalTaskEscalated)] == [
        ("cfo", "dan")
    ]


def test_escalation_with_nobody_at_all_fails_once_and_the_task_stays(
    directory: StaticDirectory,
) -> None:
    request = start(Step("f", [User("cfo")], sla=Sla(8, (), ManagerOfApprover())), directory)
    events = request.tick(hours(8), directory) + request.tick(hours(9), directory)
    assert len(events) == 1
    assert isinstance(events[0], ApprovalEscalationFailed)
    assert events[0].reason == "nobody to escalate to (the approver's manager of cfo)"
    assert request.open_tasks()[0].approver_id == "cfo"
    request.approve(actor("cfo"), at=hours(10), directory=directory)
    assert request.status is ApprovalStatus.APPROVED


def test_escalation_skips_an_inactive_target_and_the_submitter(
    directory: StaticDirectory,
) -> None:
    directory.put(DirectoryUser("cfo", roles={"cfo"}, active=False))
    request = start(
        Step("f", [User("f1")], sla=Sla(8, (), User("cfo"))),
        directory,
        fallback_approvers=[User("sam"), User("dan")],
    )
    events = request.tick(hours(8), directory)
    assert [(e.from_id, e.to_id) for e in events if isinstance(e, ApprovalTaskEscalated)] == [
        ("f1", "dan")
    ]
    missing = start(Step("f", [User("f1")], sla=Sla(8, (), User("ghost"))), directory)
    assert isinstance(missing.tick(hours(8), directory)[0], ApprovalEscalationFailed)


def test_escalation_to_a_user_by_id_and_delegated_tasks_keep_the_due_date(
    directory: StaticDirectory,
) -> None:
    request = start(
        Step("f", [User("f1")], sla=Sla(8, [2], User("dan")), allow_delegation=True), directory
    )
    request.delegate(actor("f1"), "f2", at=hours(1), directory=directory)
    assert request.open_tasks()[0].due_at == hours(8)
    reminded = request.tick(hours(6), directory)
    assert [e.recipient_id for e in reminded if isinstance(e, ApprovalReminderSent)] == ["f2"]
    escalated = request.tick(hours(8), directory)
    assert [(e.from_id, e.to_id) for e in escalated if isinstance(e, ApprovalTaskEscalated)] == [
        ("f2", "dan")
    ]
    assert [(t.approver_id, t.original_approver_id, t.status.name) for t in request.tasks] == [
        ("f1", "f1", "DELEGATED"),
        ("f2", "f1", "ESCALATED"),
        ("dan", "f1", "PENDING"),
    ]


def test_tick_without_sla_does_nothing(directory: StaticDirectory) -> None:
    request = start(Step("f", [User("f1")]), directory)
    assert request.tick(hours(1000), directory) == []


def test_a_delegated_overdue_seat_is_not_reported_overdue_again(
    directory: StaticDirectory,
) -> None:
    request = start(
        Step("finance", [User("f1")], allow_delegation=True, sla=Sla(48, [24])), directory
    )
    fired = request.tick(hours(25), directory) + request.tick(hours(49), directory)
    assert [(type(e).__name__, e.occurred_at) for e in fired] == [
        ("ApprovalReminderSent", hours(25)),
        ("ApprovalTaskOverdue", hours(49)),
    ]
    request.delegate(actor("f1"), "f2", at=hours(50), directory=directory)
    assert request.tick(hours(51), directory) == []
    assert request.tick(hours(100), directory) == []
    seat = request.open_tasks()[0]
    assert (seat.approver_id, seat.due_at, seat.reminders_sent, seat.overdue_handled) == (
        "f2",
        hours(48),
        (24,),
        True,
    )


def test_a_delegated_seat_is_not_reminded_again_but_still_goes_overdue_once(
    directory: StaticDirectory,
) -> None:
    request = start(
        Step("finance", [User("f1")], allow_delegation=True, sla=Sla(48, [24, 4])), directory
    )
    first = request.tick(hours(25), directory)
    assert [(e.recipient_id, e.hours_before) for e in first] == [("f1", 24)]  # type: ignore[attr-defined]
    request.delegate(actor("f1"), "f2", at=hours(26), directory=directory)
    assert request.tick(hours(27), directory) == []
    later = request.tick(hours(44), directory) + request.tick(hours(49), directory)
    assert [(type(e).__name__, e.occurred_at) for e in later] == [
        ("ApprovalReminderSent", hours(44)),
        ("ApprovalTaskOverdue", hours(49)),
    ]
    assert [e.recipient_id for e in later if isinstance(e, ApprovalReminderSent)] == ["f2"]
    assert request.tick(hours(60), directory) == []
