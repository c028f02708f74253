"""Approval processes as configuration: steps, modes, SLAs, and a registry of versions.

A process is a frozen value: an [`ApprovalInstance`][crmcore.workflow.ApprovalInstance] keeps the
very
object it started with, so publishing a new version never changes a request in flight.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from crmcore._dates import MAX_DAYS, check_count
from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore._validators import non_empty
from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.serialization import from_dict, load_json, to_dict
from crmcore.workflow._approvers import Approver, EscalationTarget, static_capacity
from crmcore.workflow._conditions import Condition, as_condition

__all__ = [
    "ALL",
    "ANY",
    "QUORUM",
    "ApprovalProcess",
    "Mode",
    "OnReject",
    "ProcessRegistry",
    "Sla",
    "Step",
    "mode_from_data",
]


def _positive_int(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{attribute.name}: must be a whole number >= 1, got {show(value, 200)}"
        )


_MODE_KINDS: Final = ("ANY", "ALL", "QUORUM")


def _mode_kind(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _MODE_KINDS:
        raise ValidationError(
            f"{attribute.name}: unknown mode {show(value, 200)} "
            "(use 'ANY', 'ALL' or 'QUORUM' with n >= 1)"
        )


@attrs.frozen
class Mode:
    """How a step is decided: ``ANY`` (first answer), ``ALL`` (everyone), ``QUORUM(n)``.

    ALL and QUORUM count distinct people, never tasks: a request lets no one hold two seats
    of a step run, and one person's answer counts once even in a record that has them do so.
    """

    kind: str = attrs.field(validator=_mode_kind)
    n: int = attrs.field(default=1, validator=_positive_int)

    def __attrs_post_init__(self) -> None:
        if self.kind != "QUORUM" and self.n != 1:
            raise ValidationError(
                f"n: only QUORUM takes a number of approvers; {self.kind} got {self.n!r}"
            )

    def __str__(self) -> str:
        return f"QUORUM({self.n})" if self.kind == "QUORUM" else self.kind

    def outcome(self, approved: int, rejected: int, pending: int) -> bool | None:
        """True (approved), False (rejected) or None (undecided) for these counts of people.

        ``approved`` and ``rejected`` count the distinct people who answered so;
        ``pending`` the distinct people who may still answer.
        """
        if self.kind == "ANY":
            return True if approved else (False if rejected else None)
        if self.kind == "ALL":
            if rejected:
                return False
            return True if pending == 0 else None
        if approved >= self.n:
            return True
        return False if approved + pending < self.n else None


#: The first answer decides the step.
ANY: Final = Mode("ANY")
#: Everyone must approve; one rejection decides.
ALL: Final = Mode("ALL")


def QUORUM(n: int) -> Mode:  # noqa: N802 - reads like the configuration keyword
    """``n`` approvals decide the step; it is rejected once ``n`` can no longer be reached."""
    return Mode("QUORUM", n)


_QUORUM_TEXT: Final = re.compile(r"^QUORUM\((\d+)\)$", re.ASCII)


def mode_from_data(data: object, _: type) -> Mode:
    """A step's mode from its data form (``"ALL"``, ``"QUORUM(2)"``, ``{"quorum": 2}``)."""
    if isinstance(data, Mode):
        return data
    if isinstance(data, str):
        text = data.strip().upper().replace(" ", "")
        if text in ("ANY", "ALL"):
            return Mode(text)
        match = _QUORUM_TEXT.match(text)
        if match and int(match[1]) >= 1:
            return QUORUM(int(match[1]))
    if isinstance(data, Mapping) and set(data) == {"quorum"}:
        n = data["quorum"]
        if isinstance(n, int) and not isinstance(n, bool) and n >= 1:
            return QUORUM(n)
    raise ValidationError(f"unknown mode {data!r} (use 'ANY', 'ALL' or 'QUORUM(n)' with n >= 1)")


class OnReject(enum.Enum):
    """What a rejected step does to the request."""

    #: The whole request is rejected.
    REJECT_ALL = "REJECT_ALL"
    #: The previous step that ran starts again with fresh tasks (on the first: a rejection).
    BACK_TO_PREVIOUS = "BACK_TO_PREVIOUS"


def _hours(value: Iterable[int]) -> tuple[int, ...]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise ValidationError(f"remind_before_hours: expected a list of hours, got {value!r:.40}")
    return tuple(value)


def _sla_hours(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    check_count(value, attribute.name, MAX_DAYS * 24, "hours")


@attrs.frozen
class Sla:
    """A step's time limit: reminders ``remind_before_hours`` before it, then escalation.

    Without ``escalate_to`` an overdue task only raises an ``ApprovalTaskOverdue`` event.
    """

    hours: int = attrs.field(validator=[_positive_int, _sla_hours])
    remind_before_hours: tuple[int, ...] = attrs.field(default=(), converter=_hours)
    escalate_to: EscalationTarget | None = None

    def __attrs_post_init__(self) -> None:
        for i, h in enumerate(self.remind_before_hours):
            if isinstance(h, bool) or not isinstance(h, int) or not 0 < h < self.hours:
                raise ValidationError(
                    f"remind_before_hours[{i}]: must be a whole number of hours between 1 "
                    f"and {self.hours - 1} (the SLA is {self.hours} h), got {h!r}"
                )
        if len(set(self.remind_before_hours)) != len(self.remind_before_hours):
            raise ValidationError(
                f"remind_before_hours: repeated values in {list(self.remind_before_hours)}"
            )


def _approvers(value: Iterable[Approver]) -> tuple[Approver, ...]:
    return tuple(value)


ConditionInput = Condition | Callable[[Any], bool] | Mapping[str, Any]


def _condition(value: ConditionInput | None) -> Condition | None:
    return None if value is None else as_condition(value)


@attrs.frozen
class Step:
    """One approval step: who approves, how the answers combine, and what a rejection does."""

    name: str = attrs.field(validator=non_empty)
    approvers: tuple[Approver, ...] = attrs.field(converter=_approvers)
    mode: Mode = ALL
    condition: Condition | None = attrs.field(default=None, converter=_condition)
    on_reject: OnReject = OnReject.REJECT_ALL
    sla: Sla | None = None
    allow_delegation: bool = False
    allow_self_approval: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.approvers:
            raise ValidationError("approvers: a step needs at least one approver")
        capacity = static_capacity(self.approvers)
        if self.mode.kind == "QUORUM" and capacity is not None and self.mode.n > capacity:
            named = ", ".join(a.describe() for a in self.approvers)
            raise ValidationError(
                f"mode: {self.mode} needs {self.mode.n} approvers but step {self.name!r} can "
                f"have at most {capacity} ({named})"
            )


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


@attrs.frozen
class ApprovalProcess:
    """An approval process: when it applies, its ordered steps, and who approves when no one can.

    ``entry_condition`` (None: always) decides whether the subject needs approval at all.
    """

    id: str = attrs.field(validator=non_empty)
    version: int = attrs.field(validator=_positive_int)
    subject_kind: str = attrs.field(validator=non_empty)
    steps: tuple[Step, ...] = attrs.field(converter=_steps)
    entry_condition: Condition | None = attrs.field(default=None, converter=_condition)
    fallback_approvers: tuple[Approver, ...] = attrs.field(default=(), converter=_approvers)
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.steps:
            raise ValidationError("steps: a process needs at least one step")
        first: dict[str, int] = {}
        problems = []
        for i, step in enumerate(self.steps):
            if step.name in first:
                problems.append(
                    f"steps[{i}].name: duplicate step name {step.name!r} "
                    f"(also steps[{first[step.name]}])"
                )
            first.setdefault(step.name, i)
        if problems:
            raise ConfigError("; ".join(problems), problems)

    @property
    def key(self) -> str:
        """``id@version``, as shown in events and messages."""
        return f"{self.id}@{self.version}"

    def requires_approval(self, subject: object) -> bool:
        """True when the entry condition holds for ``subject`` (always, without one)."""
        return self.entry_condition is None or self.entry_condition.evaluate(subject)

    def step(self, name: str) -> Step:
        """The step called ``name``."""
        for step in self.steps:
            if step.name == name:
                return step
        raise NotFound(f"process {self.key} has no step {name!r}")

    @classmethod
    def from_dict(cls, data: object) -> ApprovalProcess:
        """Deprecated: use ``crmcore.serialization.from_dict(ApprovalProcess, data)``."""
        deprecated("ApprovalProcess.from_dict", "from_dict(ApprovalProcess, data)")
        return from_dict(cls, data)

    @classmethod
    def from_json(cls, text: str) -> ApprovalProcess:
        """Load from a JSON document (see
        [`from_dict`][crmcore.serialization.from_dict]); ConfigError names every bad path."""
        return from_dict(cls, load_json(text, "approval process JSON"))

    def to_dict(self) -> dict[str, Any]:
        """Deprecated: use ``crmcore.serialization.to_dict(process)``."""
        deprecated("ApprovalProcess.to_dict", "crmcore.serialization.to_dict(process)")
        data: dict[str, Any] = to_dict(self)
        return data


@attrs.define
class ProcessRegistry:
    """Published process versions; a new version never replaces one that requests pin."""

    _versions: dict[str, dict[int, ApprovalProcess]] = attrs.field(factory=dict)

    def publish(self, process: ApprovalProcess) -> None:
        """Add ``process``; its version must be newer than every published one of its id."""
        known = self._versions.get(process.id, {})
        if known and process.version <= max(known):
            raise ConfigError(
                f"process {process.id!r}: version {process.version} is not newer than the "
                f"published version {max(known)}"
            )
        self._versions.setdefault(process.id, {})[process.version] = process

    def latest(self, process_id: str) -> ApprovalProcess:
        """The newest published version of ``process_id``."""
        known = self._versions.get(process_id)
        if not known:
            raise NotFound(f"no approval process {process_id!r} is published")
        return known[max(known)]

    def get(self, process_id: str, version: int) -> ApprovalProcess:
        """One published version."""
        try:
            return self._versions[process_id][version]
        except KeyError:
            raise NotFound(f"approval process {process_id!r} has no version {version}") from None

    def versions(self, process_id: str) -> list[int]:
        """The published versions of ``process_id``, oldest first."""
        return sorted(self._versions.get(process_id, {}))

    def published(self) -> list[ApprovalProcess]:
        """Every published version of every process, by id then version."""
        return [
            self._versions[pid][v] for pid in sorted(self._versions) for v in self.versions(pid)
        ]

    def for_subject(self, subject_kind: str) -> list[ApprovalProcess]:
        """The latest version of every process for ``subject_kind``, by id."""
        return [
            self.latest(pid)
            for pid in sorted(self._versions)
            if self.latest(pid).subject_kind == subject_kind
        ]
