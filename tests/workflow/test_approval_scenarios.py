"""Approval scenarios named after the business case, with the tasks and history checked."""

from __future__ import annotations

import pytest

from crmcore.errors import InvalidTransition, InvariantViolation, PermissionDenied
from crmcore.money import Money
from crmcore.ports import DirectoryUser
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ALL,
    ANY,
    QUORUM,
    ApprovalEscalationFailed,
    ApprovalInstance,
    ApprovalNotRequired,
    ApprovalProcess,
    ApprovalRequestApproved,
    ApprovalRequestRejected,
    ApprovalRequestSubmitted,
    ApprovalRequestWithdrawn,
    ApprovalSentBack,
    ApprovalStatus,
    ApprovalStepDecided,
    ApprovalStepSkipped,
    ApprovalStepStarted,
    ApprovalTaskApproved,
    ApprovalTaskDelegated,
    ApprovalTaskEscalated,
    ApprovalTaskRejected,
    Compare,
    FieldUser,
    ManagerOf,
    ManagerOfApprover,
    OnReject,
    Op,
    ProcessRegistry,
    Role,
    Sla,
    Step,
    TaskStatus,
    User,
)
from tests.workflow.workflow_helpers import T0, Order, Reason, actor, hours


def start(
    process: ApprovalProcess,
    directory: StaticDirectory,
    subject: Order | None = None,
    submitter: str = "sam",
) -> ApprovalInstance:
    return ApprovalInstance.start(
        process, subject or Order(), actor(submitter), directory, at=T0, instance_id="AP-1"
    )


def process(*steps: Step, **kwargs: object) -> ApprovalProcess:
    return ApprovalProcess("order-approval", 1, "order", steps, **kwargs)  # type: ignore[arg-type]


def statuses(instance: ApprovalInstance) -> list[tuple[str, str, str, str]]:
    return [(t.step, t.approver_id, t.original_approver_id, t.status.name) for t in instance.tasks]


def names(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_manager_then_finance_all_of_two_is_approved(directory: StaticDirectory) -> None:
    proc = process(
        Step("manager", [ManagerOf(1)]),
        Step("finance", [User("f1"), User("f2")], mode=ALL),
    )
    request = start(proc, directory)
    assert request.progress().summary() == "step 1/2 manager: awaiting mia"
    request.approve(actor("mia"), at=hours(1), directory=directory, comment="ok")
    assert request.progress().summary() == "step 2/2 finance: awaiting f1, f2"
    request.approve(actor("f2"), at=hours(2), directory=directory)
    assert request.status is ApprovalStatus.PENDING
    assert request.progress().summary() == "step 2/2 finance: approved by f2; awaiting f1"
    request.approve(actor("f1"), at=hours(3), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert request.decided_at == hours(3)
    assert statuses(request) == [
        ("manager", "mia", "mia", "APPROVED"),
        ("finance", "f1", "f1", "APPROVED"),
        ("finance", "f2", "f2", "APPROVED"),
    ]
    events = request.pull_events()
    assert names(events) == [
        "ApprovalRequestSubmitted",
        "ApprovalStepStarted",
        "ApprovalTaskApproved",
        "ApprovalStepDecided",
        "ApprovalStepStarted",
        "ApprovalTaskApproved",
        "ApprovalTaskApproved",
        "ApprovalStepDecided",
        "ApprovalRequestApproved",
    ]
    assert all(e.subject_kind == "order" and e.subject_id == "SO-1" for e in events)
    submitted = events[0]
    assert isinstance(submitted, ApprovalRequestSubmitted)
    assert (submitted.process_id, submitted.process_version) == ("order-approval", 1)
    assert isinstance(events[-1], ApprovalRequestApproved)
    assert events[-1].actor_id == "f1"
    assert request.pull_events() == []
    assert [(h.actor_id, h.action, h.step) for h in request.history] == [
        ("sam", "submitted", None),
        ("sam", "step started", "manager"),
        ("mia", "approved", "manager"),
        ("mia", "step approved", "manager"),
        ("mia", "step started", "finance"),
        ("f2", "approved", "finance"),
        ("f1", "approved", "finance"),
        ("f1", "step approved", "finance"),
        ("f1", "request approved", "finance"),
    ]
    assert [(s.name, s.state) for s in request.progress().steps] == [
        ("manager", "approved"),
        ("finance", "approved"),
    ]
    assert request.progress().summary() == "approved"


def test_any_mode_first_response_decides_and_the_others_get_no_response(
    directory: StaticDirectory,
) -> None:
    request = start(process(Step("finance", [Role("finance")], mode=ANY)), directory)
    started = request.pull_events()[1]
    assert isinstance(started, ApprovalStepStarted)
    assert started.approver_ids == ("f1", "f2", "f3")  # "old" is inactive: skipped
    assert "old is inactive" in request.history[1].detail
    request.approve(actor("f2"), at=hours(1), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert statuses(request) == [
        ("finance", "f1", "f1", "NO_RESPONSE"),
        ("finance", "f2", "f2", "APPROVED"),
        ("finance", "f3", "f3", "NO_RESPONSE"),
    ]
    decided = [e for e in request.pull_events() if isinstance(e, ApprovalStepDecided)]
    assert decided[0].approved is True
    assert decided[0].no_response == ("f1", "f3")


def test_any_mode_first_response_may_be_a_rejection(directory: StaticDirectory) -> None:
    request = start(process(Step("finance", [Role("finance")], mode=ANY)), directory)
    request.reject(actor("f3"), at=hours(1), directory=directory, comment="margin too thin")
    assert request.status is ApprovalStatus.REJECTED
    rejected = request.pull_events()[-1]
    assert isinstance(rejected, ApprovalRequestRejected)
    assert (rejected.step, rejected.comment) == ("finance", "margin too thin")


def test_quorum_two_of_three_is_approved_by_the_second_approval(
    directory: StaticDirectory,
) -> None:
    request = start(
        process(Step("board", [User("f1"), User("f2"), User("f3")], mode=QUORUM(2))), directory
    )
    request.reject(actor("f1"), at=hours(1), directory=directory, comment="no")
    assert request.status is ApprovalStatus.PENDING  # 2 approvals still reachable
    request.approve(actor("f2"), at=hours(2), directory=directory)
    assert request.status is ApprovalStatus.PENDING
    request.approve(actor("f3"), at=hours(3), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert [t.status for t in request.tasks] == [
        TaskStatus.REJECTED,
        TaskStatus.APPROVED,
        TaskStatus.APPROVED,
    ]


def test_quorum_is_rejected_once_it_can_no_longer_be_reached(
    directory: StaticDirectory,
) -> None:
    request = start(
        process(Step("board", [User("f1"), User("f2"), User("f3")], mode=QUORUM(2))), directory
    )
    request.approve(actor("f1"), at=hours(1), directory=directory)
    request.reject(actor("f2"), at=hours(2), directory=directory, comment="no")
    assert request.status is ApprovalStatus.PENDING  # f3 can still make it 2
    request.reject(actor("f3"), at=hours(3), directory=directory, comment="no either")
    assert request.status is ApprovalStatus.REJECTED

    early = ApprovalInstance.start(
        process(Step("board", [User("f1"), User("f2"), User("f3")], mode=QUORUM(3))),
        Order(),
        actor("sam"),
        directory,
        at=T0,
        instance_id="AP-2",
    )
    early.reject(actor("f1"), at=hours(1), directory=directory, comment="no")
    assert early.status is ApprovalStatus.REJECTED  # 3 of 3 is unreachable at once
    assert [t.status.name for t in early.tasks] == ["REJECTED", "NO_RESPONSE", "NO_RESPONSE"]


def test_a_quorum_of_two_is_not_reached_by_one_manager_holding_escalated_seats(
    directory: StaticDirectory,
) -> None:
    # f1 and f2 report to the CFO, the third approver. Escalating their overdue seats to the
    # CFO would let the CFO alone fill three seats of a quorum of two; escalation passes a
    # seat holder over and goes to the fallback approvers instead, one seat each.
    proc = process(
        Step(
            "finance",
            [User("f1"), User("f2"), User("cfo")],
            mode=QUORUM(2),
            sla=Sla(8, (), ManagerOfApprover()),
        ),
        fallback_approvers=[User("dan")],
    )
    request = start(proc, directory)
    request.pull_events()
    events = request.tick(hours(9), directory)
    assert [(e.from_id, e.to_id) for e in events if isinstance(e, ApprovalTaskEscalated)] == [
        ("f1", "dan")
    ]
    assert [
        (e.approver_id, e.reason) for e in events if isinstance(e, ApprovalEscalationFailed)
    ] == [
        (
            "f2",
            "nobody to escalate to (the approver's manager of f2); already in step "
            "'finance': cfo, dan",
        ),
        (
            "cfo",
            "nobody to escalate to (the approver's manager of cfo); already in step "
            "'finance': dan",
        ),
    ]
    assert [(t.approver_id, t.original_approver_id) for t in request.open_tasks()] == [
        ("f2", "f2"),
        ("cfo", "cfo"),
        ("dan", "f1"),
    ]
    request.approve(actor("cfo"), at=hours(10), directory=directory)
    assert request.status is ApprovalStatus.PENDING  # one person, one approval
    request.approve(actor("dan"), at=hours(11), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    decided = [e for e in request.pull_events() if isinstance(e, ApprovalStepDecided)]
    assert [(e.approved, e.no_response) for e in decided] == [(True, ("f2",))]


def test_without_a_fallback_a_lone_manager_cannot_approve_a_quorum_of_two(
    directory: StaticDirectory,
) -> None:
    # The reviewer's case: everyone in the finance role, the CFO included; f1 and f2 escalate
    # to the CFO, who already has a seat, so both escalations fail and the seats stay.
    directory.put(DirectoryUser("cfo", roles={"cfo", "finance"}))
    directory.put(DirectoryUser("f3", roles={"sales"}, manager_id="cfo"))
    proc = process(
        Step("finance", [Role("finance")], mode=QUORUM(2), sla=Sla(8, (), ManagerOfApprover()))
    )
    request = start(proc, directory)
    failed = request.tick(hours(9), directory)
    assert [type(e).__name__ for e in failed] == ["ApprovalEscalationFailed"] * 3
    assert [t.approver_id for t in request.open_tasks()] == ["cfo", "f1", "f2"]
    request.approve(actor("cfo"), at=hours(10), directory=directory)
    assert request.status is ApprovalStatus.PENDING
    assert [t.approver_id for t in request.open_tasks()] == ["f1", "f2"]
    request.reject(actor("f1"), at=hours(11), directory=directory, comment="no")
    assert request.status is ApprovalStatus.PENDING  # f2 can still make it two people
    request.approve(actor("f2"), at=hours(12), directory=directory)
    assert request.status is ApprovalStatus.APPROVED


def test_reject_all_keeps_the_earlier_approvals_in_the_record(
    directory: StaticDirectory,
) -> None:
    request = start(
        process(Step("manager", [ManagerOf(1)]), Step("finance", [User("f1")])), directory
    )
    request.approve(actor("mia"), at=hours(1), directory=directory, comment="fine by me")
    request.reject(actor("f1"), at=hours(2), directory=directory, comment="credit hold")
    assert request.status is ApprovalStatus.REJECTED
    assert statuses(request) == [
        ("manager", "mia", "mia", "APPROVED"),
        ("finance", "f1", "f1", "REJECTED"),
    ]
    assert [(h.actor_id, h.action, h.comment) for h in request.history[2:]] == [
        ("mia", "approved", "fine by me"),
        ("mia", "step approved", ""),
        ("mia", "step started", ""),
        ("f1", "rejected", "credit hold"),
        ("f1", "step rejected", ""),
        ("f1", "request rejected", "credit hold"),
    ]
    assert [(s.name, s.state) for s in request.progress().steps] == [
        ("manager", "approved"),
        ("finance", "rejected"),
    ]


def test_back_to_previous_restarts_the_previous_step_with_fresh_tasks(
    directory: StaticDirectory,
) -> None:
    request = start(
        process(
            Step("manager", [ManagerOf(1)]),
            Step("skip me", [User("wes")], condition=Compare("region", Op.EQ, "south")),
            Step("finance", [User("f1")], on_reject=OnReject.BACK_TO_PREVIOUS),
        ),
        directory,
    )
    request.approve(actor("mia"), at=hours(1), directory=directory)
    request.reject(actor("f1"), at=hours(2), directory=directory, comment="fix the terms")
    assert request.status is ApprovalStatus.PENDING
    assert request.step is not None
    assert request.step.name == "manager"
    assert request.round == 3
    assert statuses(request) == [
        ("manager", "mia", "mia", "APPROVED"),
        ("finance", "f1", "f1", "REJECTED"),
        ("manager", "mia", "mia", "PENDING"),
    ]
    sent_back = [e for e in request.pull_events() if isinstance(e, ApprovalSentBack)]
    assert [(e.from_step, e.to_step) for e in sent_back] == [("finance", "manager")]
    request.approve(actor("mia"), at=hours(3), directory=directory)
    assert request.step is not None
    assert request.step.name == "finance"
    request.approve(actor("f1"), at=hours(4), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    skipped = [e for e in request.pull_events() if isinstance(e, ApprovalStepSkipped)]
    assert [e.step for e in skipped] == ["skip me"]


def test_back_to_previous_on_the_first_step_is_a_rejection(directory: StaticDirectory) -> None:
    request = start(
        process(Step("manager", [ManagerOf(1)], on_reject=OnReject.BACK_TO_PREVIOUS)),
        directory,
    )
    request.reject(actor("mia"), at=hours(1), directory=directory, comment="no")
    assert request.status is ApprovalStatus.REJECTED


def test_the_submitter_is_not_their_own_approver_and_the_fallback_is_used(
    directory: StaticDirectory,
) -> None:
    proc = process(Step("managers", [Role("manager")]), fallback_approvers=[User("dan")])
    request = start(proc, directory, submitter="mia")
    assert [t.approver_id for t in request.tasks] == ["dan"]
    started = request.pull_events()[1]
    assert isinstance(started, ApprovalStepStarted)
    assert started.fallback_used is True
    assert request.history[1].detail == (
        "approvers: dan (fallback); mia submitted the request (no self-approval)"
    )
    with pytest.raises(PermissionDenied):
        request.approve(actor("mia"), at=hours(1), directory=directory)


def test_self_approval_when_the_step_allows_it(directory: StaticDirectory) -> None:
    proc = process(Step("managers", [Role("manager")], allow_self_approval=True))
    request = start(proc, directory, submitter="mia")
    request.approve(actor("mia"), at=hours(1), directory=directory)
    assert request.status is ApprovalStatus.APPROVED


def test_nobody_to_approve_and_no_fallback_fails_the_submission(
    directory: StaticDirectory,
) -> None:
    proc = process(Step("managers", [Role("manager")]))
    with pytest.raises(InvariantViolation) as err:
        start(proc, directory, submitter="mia")
    assert str(err.value) == (
        "approval AP-1: step 'managers' of order-approval@1 has nobody to approve it (mia "
        "submitted the request (no self-approval)) and the process has no fallback approvers"
    )
    with pytest.raises(InvariantViolation, match="fallback approvers are not available"):
        start(process(Step("x", [Role("nobody")]), fallback_approvers=[User("ghost")]), directory)


def test_a_later_step_with_nobody_fails_the_submission_up_front(
    directory: StaticDirectory,
) -> None:
    proc = process(Step("manager", [ManagerOf(1)]), Step("legal", [Role("legal")]))
    with pytest.raises(InvariantViolation, match=r"step 'legal'.*nobody holds role legal"):
        start(proc, directory)


def test_delegation_counts_for_the_original_approver_and_keeps_both(
    directory: StaticDirectory,
) -> None:
    proc = process(Step("finance", [User("f1"), User("f2")], mode=ALL, allow_delegation=True))
    request = start(proc, directory)
    request.delegate(actor("f1"), "f3", at=hours(1), directory=directory, comment="on leave")
    assert [t.approver_id for t in request.open_tasks()] == ["f2", "f3"]
    request.approve(actor("f3"), at=hours(2), directory=directory)
    request.approve(actor("f2"), at=hours(3), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert statuses(request) == [
        ("finance", "f1", "f1", "DELEGATED"),
        ("finance", "f2", "f2", "APPROVED"),
        ("finance", "f3", "f1", "APPROVED"),
    ]
    assert request.tasks[0].handed_to == "f3"
    events = request.pull_events()
    delegated = next(e for e in events if isinstance(e, ApprovalTaskDelegated))
    assert (delegated.from_id, delegated.to_id, delegated.comment) == ("f1", "f3", "on leave")
    approved = [e for e in events if isinstance(e, ApprovalTaskApproved)]
    assert [(e.approver_id, e.original_approver_id) for e in approved] == [
        ("f3", "f1"),
        ("f2", "f2"),
    ]
    assert ("f3", "approved", "for f1") in [
        (h.actor_id, h.action, h.detail) for h in request.history
    ]


def test_a_delegate_may_delegate_again_and_the_original_is_kept(
    directory: StaticDirectory,
) -> None:
    proc = process(Step("finance", [User("f1")], allow_delegation=True))
    request = start(proc, directory)
    request.delegate(actor("f1"), "f2", at=hours(1), directory=directory)
    request.delegate(actor("f2"), "f3", at=hours(2), directory=directory)
    request.reject(actor("f3"), at=hours(3), directory=directory, comment="no stock")
    assert statuses(request) == [
        ("finance", "f1", "f1", "DELEGATED"),
        ("finance", "f2", "f1", "DELEGATED"),
        ("finance", "f3", "f1", "REJECTED"),
    ]
    rejected = [e for e in request.pull_events() if isinstance(e, ApprovalTaskRejected)]
    assert rejected[0].original_approver_id == "f1"


def test_the_submitter_withdraws_a_pending_request(directory: StaticDirectory) -> None:
    request = start(process(Step("finance", [User("f1"), User("f2")])), directory)
    request.approve(actor("f1"), at=hours(1), directory=directory)
    request.withdraw(actor("sam"), at=hours(2), comment="customer cancelled")
    assert request.status is ApprovalStatus.WITHDRAWN
    assert [t.status.name for t in request.tasks] == ["APPROVED", "NO_RESPONSE"]
    withdrawn = request.pull_events()[-1]
    assert isinstance(withdrawn, ApprovalRequestWithdrawn)
    assert withdrawn.comment == "customer cancelled"
    with pytest.raises(InvalidTransition, match="cannot approve in state WITHDRAWN"):
        request.approve(actor("f2"), at=hours(3), directory=directory)
    assert [(s.name, s.state) for s in request.progress().steps] == [("finance", "not decided")]


def test_a_request_in_flight_keeps_version_1_after_version_2_is_published(
    directory: StaticDirectory,
) -> None:
    registry = ProcessRegistry()
    registry.publish(process(Step("manager", [ManagerOf(1)])))
    old = start(registry.latest("order-approval"), directory)
    registry.publish(
        ApprovalProcess(
            "order-approval",
            2,
            "order",
            [Step("manager", [ManagerOf(1)]), Step("director", [ManagerOf(2)])],
        )
    )
    new = ApprovalInstance.start(
        registry.latest("order-approval"),
        Order(),
        actor("sam"),
        directory,
        at=T0,
        instance_id="AP-2",
    )
    old.approve(actor("mia"), at=hours(1), directory=directory)
    new.approve(actor("mia"), at=hours(1), directory=directory)
    assert old.process_version == 1
    assert old.status is ApprovalStatus.APPROVED
    assert new.process_version == 2
    assert new.status is ApprovalStatus.PENDING
    assert [t.approver_id for t in new.open_tasks()] == ["dan"]
    assert registry.versions("order-approval") == [1, 2]


def test_entry_condition_false_means_no_approval_is_needed(directory: StaticDirectory) -> None:
    proc = process(
        Step("manager", [ManagerOf(1)]),
        entry_condition={
            "field": "approval_reasons.kind",
            "op": "contains",
            "value": "discount_above_authority",
        },
    )
    plain = start(proc, directory)
    assert plain.status is ApprovalStatus.APPROVED
    assert plain.tasks == ()
    events = plain.pull_events()
    assert names(events) == ["ApprovalRequestSubmitted", "ApprovalNotRequired"]
    assert isinstance(events[1], ApprovalNotRequired)
    assert events[1].reason == (
        "entry condition is false: approval_reasons.kind contains 'discount_above_authority'"
    )
    assert [(s.name, s.state) for s in plain.progress().steps] == [("manager", "not reached")]

    beyond_authority = Order(approval_reasons=(Reason("discount_above_authority", "12 % > 10 %"),))
    needs = ApprovalInstance.start(
        proc, beyond_authority, actor("sam"), directory, at=T0, instance_id="AP-2"
    )
    assert needs.status is ApprovalStatus.PENDING
    assert [t.approver_id for t in needs.open_tasks()] == ["mia"]


def test_a_step_whose_condition_is_false_is_skipped(directory: StaticDirectory) -> None:
    proc = process(
        Step("manager", [ManagerOf(1)]),
        Step(
            "director",
            [ManagerOf(2)],
            condition={"field": "net_total", "op": ">=", "value": "50000"},
        ),
        Step("finance", [User("f1")]),
    )
    request = start(proc, directory, subject=Order(net_total=Money("8000", "CNY")))
    request.approve(actor("mia"), at=hours(1), directory=directory)
    assert [(s.name, s.state) for s in request.progress().steps] == [
        ("manager", "approved"),
        ("director", "skipped"),
        ("finance", "in progress"),
    ]
    assert request.progress().step_number == 3
    skipped = [e for e in request.pull_events() if isinstance(e, ApprovalStepSkipped)]
    assert skipped[0].reason == "condition is false: net_total >= 50000"

    big = ApprovalInstance.start(
        proc,
        Order(net_total=Money("60000", "CNY")),
        actor("sam"),
        directory,
        at=T0,
        instance_id="AP-2",
    )
    big.approve(actor("mia"), at=hours(1), directory=directory)
    assert [t.approver_id for t in big.open_tasks()] == ["dan"]


def test_every_step_skipped_approves_at_once(directory: StaticDirectory) -> None:
    never = Compare("region", Op.EQ, "mars")
    request = start(process(Step("a", [User("f1")], condition=never)), directory)
    assert request.status is ApprovalStatus.APPROVED
    assert names(request.pull_events()) == [
        "ApprovalRequestSubmitted",
        "ApprovalStepSkipped",
        "ApprovalRequestApproved",
    ]


def test_field_user_and_second_level_manager(directory: StaticDirectory) -> None:
    proc = process(
        Step("account", [FieldUser("key_account_manager_id")]),
        Step("director", [ManagerOf(2)]),
    )
    request = start(proc, directory)
    assert [t.approver_id for t in request.open_tasks()] == ["kim"]
    request.approve(actor("kim"), at=hours(1), directory=directory)
    assert [t.approver_id for t in request.open_tasks()] == ["dan"]


def test_field_user_naming_nobody_falls_back(directory: StaticDirectory) -> None:
    proc = process(
        Step("account", [FieldUser("key_account_manager_id")]), fallback_approvers=[ManagerOf(1)]
    )
    request = start(proc, directory, subject=Order(key_account_manager_id=None))
    assert [t.approver_id for t in request.open_tasks()] == ["mia"]
    assert "the subject names nobody in key_account_manager_id" in request.history[1].detail


def test_the_request_is_judged_on_the_subject_as_submitted(directory: StaticDirectory) -> None:
    proc = process(Step("account", [FieldUser("key_account_manager_id")]), Step("f", [User("f1")]))
    request = start(proc, directory)
    assert request.subject_users == (("key_account_manager_id", "kim"),)
    assert request.step_applies == (True, True)
