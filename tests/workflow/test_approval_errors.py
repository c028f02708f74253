"""Every refused command names the problem and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from crmcore.errors import (
    CrmError,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.ports import DirectoryUser
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ALL,
    QUORUM,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
    FieldUser,
    ManagerOf,
    Role,
    Step,
    User,
)
from tests.workflow.workflow_helpers import T0, Order, actor, hours


def proc(*steps: Step) -> ApprovalProcess:
    return ApprovalProcess("order-approval", 1, "order", steps)


TWO_STEPS = proc(
    Step("manager", [ManagerOf(1)]),
    Step("finance", [User("f1"), User("f2")], mode=ALL, allow_delegation=True),
)


def started(directory: StaticDirectory, process: ApprovalProcess = TWO_STEPS) -> ApprovalInstance:
    request = ApprovalInstance.start(
        process, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    request.pull_events()
    return request


def snapshot(request: ApprovalInstance) -> object:
    fields = attrs.asdict(request, recurse=False, filter=lambda a, _: a.name != "_events")
    return {k: list(v) if isinstance(v, list) else v for k, v in fields.items()}


def refused(
    request: ApprovalInstance, error: type[CrmError], match: str, command: Callable[[], object]
) -> None:
    before = snapshot(request)
    with pytest.raises(error, match=match):
        command()
    assert snapshot(request) == before
    assert request.pull_events() == []


def test_someone_without_a_task_is_refused(directory: StaticDirectory) -> None:
    request = started(directory)
    refused(
        request,
        PermissionDenied,
        "approval AP-1: f1 may not approve; awaited: mia",
        lambda: request.approve(actor("f1"), at=hours(1), directory=directory),
    )
    refused(
        request,
        PermissionDenied,
        "sam may not reject",
        lambda: request.reject(actor("sam"), at=hours(1), directory=directory, comment="x"),
    )
    refused(
        request,
        PermissionDenied,
        "dan may not delegate",
        lambda: request.delegate(actor("dan"), "f1", at=hours(1), directory=directory),
    )
    refused(
        request,
        PermissionDenied,
        "only the submitter sam may withdraw; actor mia",
        lambda: request.withdraw(actor("mia"), at=hours(1)),
    )


def test_a_decided_request_never_changes(directory: StaticDirectory) -> None:
    request = started(directory)
    request.reject(actor("mia"), at=hours(1), directory=directory, comment="no")
    request.pull_events()
    for name, command in [
        ("approve", lambda: request.approve(actor("mia"), at=hours(2), directory=directory)),
        (
            "reject",
            lambda: request.reject(actor("mia"), at=hours(2), directory=directory, comment="x"),
        ),
        (
            "delegate",
            lambda: request.delegate(actor("mia"), "dan", at=hours(2), directory=directory),
        ),
        ("withdraw", lambda: request.withdraw(actor("sam"), at=hours(2))),
    ]:
        refused(
            request,
            InvalidTransition,
            f"approval request: cannot {name} in state REJECTED",
            command,
        )
    assert request.tick(hours(100), directory) == []


def test_a_rejection_needs_a_comment(directory: StaticDirectory) -> None:
    request = started(directory)
    refused(
        request,
        ValidationError,
        "reject: a comment is required",
        lambda: request.reject(actor("mia"), at=hours(1), directory=directory, comment="  "),
    )


def test_delegation_refusals(directory: StaticDirectory) -> None:
    no_delegation = started(directory)
    refused(
        no_delegation,
        PermissionDenied,
        "step 'manager' does not allow delegation; actor mia",
        lambda: no_delegation.delegate(actor("mia"), "dan", at=hours(1), directory=directory),
    )
    request = started(directory)
    request.approve(actor("mia"), at=hours(1), directory=directory)
    request.pull_events()
    cases: list[tuple[type[CrmError], str, str]] = [
        (ValidationError, "f1", "cannot delegate to themselves"),
        (ValidationError, "old", "'old' is inactive"),
        (ValidationError, "sam", "submitted the request"),
        (ValidationError, "f2", "already has an open task"),
        (NotFound, "ghost", "no user with id 'ghost'"),
    ]
    for error, to, match in cases:
        refused(
            request,
            error,
            match,
            lambda to=to: request.delegate(actor("f1"), to, at=hours(2), directory=directory),
        )


def test_a_next_step_with_nobody_left_refuses_the_approval_and_changes_nothing(
    directory: StaticDirectory,
) -> None:
    request = started(directory)
    directory.put(DirectoryUser("f1", roles={"finance"}, active=False))
    directory.put(DirectoryUser("f2", roles={"finance"}, active=False))
    refused(
        request,
        InvariantViolation,
        r"step 'finance' of order-approval@1 has nobody to approve it \(f1 is inactive; f2 is",
        lambda: request.approve(actor("mia"), at=hours(1), directory=directory),
    )
    directory.put(DirectoryUser("f1", roles={"finance"}))
    directory.put(DirectoryUser("f2", roles={"finance"}))
    request.approve(actor("mia"), at=hours(2), directory=directory)
    assert [t.approver_id for t in request.open_tasks()] == ["f1", "f2"]


def test_a_quorum_the_people_cannot_reach_fails_the_submission(
    directory: StaticDirectory,
) -> None:
    with pytest.raises(InvariantViolation, match=r"needs QUORUM\(4\) but only 3 approver"):
        started(directory, proc(Step("board", [Role("finance")], mode=QUORUM(4))))


def test_submission_input_is_checked(directory: StaticDirectory) -> None:
    with pytest.raises(ValidationError, match="subject_id: the dict has no str id"):
        ApprovalInstance.start(TWO_STEPS, {"id": 7}, "sam", directory, at=T0, instance_id="AP-1")
    with pytest.raises(ValidationError, match="submitter: must be a user id"):
        ApprovalInstance.start(TWO_STEPS, Order(), " ", directory, at=T0, instance_id="AP-1")
    with pytest.raises(ValidationError, match="instance_id: must be a non-empty string"):
        ApprovalInstance.start(TWO_STEPS, Order(), "sam", directory, at=T0, instance_id="")
    with pytest.raises(ValidationError, match="expected a user id, got 42"):
        ApprovalInstance.start(
            proc(Step("x", [FieldUser("n")])),
            {"id": "o", "n": 42},
            "sam",
            directory,
            at=T0,
            instance_id="AP-1",
        )
    request = ApprovalInstance.start(
        TWO_STEPS, {"x": 1}, "sam", directory, at=T0, instance_id="AP-1", subject_id="SO-9"
    )
    assert request.subject_id == "SO-9"


def test_delegation_to_someone_who_already_answered_is_refused(
    directory: StaticDirectory,
) -> None:
    # Two of three must approve. f2 approved; if f1 could hand the seat to f2, f2 would
    # approve twice and the quorum of two would rest on one person.
    quorum = proc(
        Step(
            "finance", [User("f1"), User("f2"), User("f3")], mode=QUORUM(2), allow_delegation=True
        )
    )
    request = started(directory, quorum)
    request.approve(actor("f2"), at=hours(1), directory=directory)
    request.pull_events()
    refused(
        request,
        ValidationError,
        r"delegate: 'f2' already answered in step 'finance'; QUORUM\(2\) counts distinct people",
        lambda: request.delegate(actor("f1"), "f2", at=hours(2), directory=directory),
    )
    request.delegate(actor("f1"), "dan", at=hours(2), directory=directory)
    request.approve(actor("dan"), at=hours(3), directory=directory)
    assert request.status is ApprovalStatus.APPROVED
    assert [(t.approver_id, t.original_approver_id, t.status.name) for t in request.tasks] == [
        ("f1", "f1", "DELEGATED"),
        ("f2", "f2", "APPROVED"),
        ("f3", "f3", "NO_RESPONSE"),
        ("dan", "f1", "APPROVED"),
    ]


def test_moments_must_be_datetimes_in_time_order(directory: StaticDirectory) -> None:
    request = started(directory)
    request.approve(actor("mia"), at=hours(2), directory=directory)
    request.pull_events()
    naive = hours(3).replace(tzinfo=None)
    bad_moments: list[tuple[object, str]] = [
        (None, "at: expected a datetime, got None"),
        ("2026-03-02T12:00:00+00:00", "at: expected a datetime, got '2026-03-02T12:00:00"),
        (naive, "mix naive and timezone-aware datetimes"),
        (hours(1), "is before approval AP-1's last change 2026-03-02T11:00:00"),
    ]
    for at, match in bad_moments:
        commands: list[Callable[[], object]] = [
            lambda at=at: request.approve(actor("f1"), at=at, directory=directory),  # type: ignore[arg-type]
            lambda at=at: request.reject(actor("f1"), at=at, directory=directory, comment="x"),  # type: ignore[arg-type]
            lambda at=at: request.delegate(actor("f1"), "f3", at=at, directory=directory),  # type: ignore[arg-type]
            lambda at=at: request.withdraw(actor("sam"), at=at),  # type: ignore[arg-type]
            lambda at=at: request.tick(at, directory),  # type: ignore[arg-type]
        ]
        for command in commands:
            refused(request, ValidationError, match.replace("at:", "(at|now):"), command)
    with pytest.raises(ValidationError, match="at: expected a datetime, got None"):
        ApprovalInstance.start(TWO_STEPS, Order(), "sam", directory, at=None, instance_id="X")  # type: ignore[arg-type]
    # the same moment as the last change is fine
    request.approve(actor("f1"), at=hours(2), directory=directory)
    assert [t.approver_id for t in request.open_tasks()] == ["f2"]


def test_a_decided_request_ignores_a_late_sweep_but_not_a_bad_one(
    directory: StaticDirectory,
) -> None:
    request = started(directory)
    request.reject(actor("mia"), at=hours(5), directory=directory, comment="no")
    assert request.tick(hours(1), directory) == []  # nothing to do, whatever the clock says
    with pytest.raises(ValidationError, match="now: expected a datetime, got 'later'"):
        request.tick("later", directory)  # type: ignore[arg-type]


def test_delegate_and_comment_inputs_are_checked(directory: StaticDirectory) -> None:
    request = started(directory)
    request.approve(actor("mia"), at=hours(1), directory=directory)
    request.pull_events()
    refused(
        request,
        ValidationError,
        "delegate: expected a user id, got None",
        lambda: request.delegate(actor("f1"), None, at=hours(2), directory=directory),  # type: ignore[arg-type]
    )
    refused(
        request,
        ValidationError,
        "comment: expected a string, got 7",
        lambda: request.approve(actor("f1"), at=hours(2), directory=directory, comment=7),  # type: ignore[arg-type]
    )
    refused(
        request,
        ValidationError,
        "comment: expected a string, got None",
        lambda: request.delegate(
            actor("f1"), "f3", at=hours(2), directory=directory, comment=None
        ),  # type: ignore[arg-type]
    )
    refused(
        request,
        ValidationError,
        "comment: expected a string, got 1",
        lambda: request.withdraw(actor("sam"), at=hours(2), comment=1),  # type: ignore[arg-type]
    )
