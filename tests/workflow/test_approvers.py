"""Approver specifications and how the Directory turns them into people."""

from __future__ import annotations

import pytest

from crmcore.errors import ConfigError
from crmcore.serialization import converter, from_dict
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ANY,
    ApprovalProcess,
    Approver,
    EscalationTarget,
    FieldUser,
    ManagerOf,
    ManagerOfApprover,
    Mode,
    Role,
    User,
)
from crmcore.workflow._approvers import resolve_approvers, resolve_target, static_capacity


def test_each_kind_describes_itself() -> None:
    assert [
        a.describe() for a in (Role("finance"), User("f1"), ManagerOf(), FieldUser("owner_id"))
    ] == [
        "role finance",
        "user f1",
        "the submitter's manager",
        "the user in owner_id",
    ]


def test_resolution_skips_and_explains(directory: StaticDirectory) -> None:
    found = resolve_approvers(
        [
            ManagerOf(1),
            Role("finance"),
            User("f1"),
            User("ghost"),
            FieldUser("kam"),
            Role("legal"),
        ],
        submitter_id="dan",
        directory=directory,
        subject_users={"kam": "dan"},
        allow_self=False,
    )
    assert found.user_ids == ("f1", "f2", "f3")
    assert found.notes == (
        "dan has no manager 1 level(s) up",
        "old is inactive",
        "ghost is not in the directory",
        "dan submitted the request (no self-approval)",
        "nobody holds role legal",
    )


def test_escalation_target_of_an_approver_who_left_is_nobody(directory: StaticDirectory) -> None:
    assert resolve_target(ManagerOfApprover(), "ghost", directory) is None
    target = resolve_target(ManagerOfApprover(2), "f1", directory)
    assert target is None  # cfo is the top
    found = resolve_target(ManagerOfApprover(), "f1", directory)
    assert found is not None
    assert found.id == "cfo"


def test_static_capacity() -> None:
    assert static_capacity([User("a"), User("a"), ManagerOf(1)]) == 2
    assert static_capacity([User("a"), Role("finance")]) is None


def test_objects_pass_through_the_converter_unchanged() -> None:
    assert converter.structure(Role("x"), Approver) == Role("x")  # type: ignore[arg-type]
    assert converter.structure(User("x"), EscalationTarget) == User("x")  # type: ignore[arg-type]
    assert converter.structure(ANY, Mode) is ANY
    assert converter.structure(None, EscalationTarget | None) is None  # type: ignore[arg-type]


def test_required_levels_and_names() -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(
            ApprovalProcess,
            {
                "id": "p",
                "version": 1,
                "subject_kind": "order",
                "steps": [{"name": "a", "approvers": [{"manager_of": None}, {"field_user": 3}]}],
            },
        )
    assert err.value.problems == [
        "steps[0].approvers[0].manager_of: required",
        "steps[0].approvers[1].field_user: must be a non-empty string, got 3",
    ]
