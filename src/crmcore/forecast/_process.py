"""The sales process: ordered stages with win probabilities, stage feedback and forecast category.

Configuration is data: ``from_dict(SalesProcess, data)`` loads it from plain dicts / JSON and names
every bad path (``stages[2].probability: must be between 0 % and 100 %, got 120 %``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs

from crmcore._deprecation import deprecated
from crmcore._validators import non_empty, percent_0_100, positive
from crmcore.errors import NotFound, ValidationError
from crmcore.money import Percent
from crmcore.serialization import from_dict, to_dict

__all__ = ["ForecastCategory", "HasProbabilities", "SalesProcess", "Stage"]


class ForecastCategory(enum.Enum):
    """Where a deal counts in the manager's call: Salesforce's forecast categories."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"

    # Members are singletons: hashing by identity keeps the forecast's hot loop in C.
    __hash__ = object.__hash__


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _departments(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _each_non_empty(_: object, attribute: attrs.Attribute[Any], value: Iterable[str]) -> None:
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(
                f"{attribute.name}[{i}]: must be a non-empty string, got {item!r}"
            )


@attrs.frozen
class Stage:
    """One step of the process.

    ``required_fields`` must be filled before an opportunity may leave the stage (the stage
    feedback); ``approval_process_id`` names a workflow ``ApprovalProcess`` that must have
    approved entering the stage; ``departments`` empty means every department.
    """

    name: str = attrs.field(validator=non_empty)
    probability: Percent = attrs.field(validator=percent_0_100)
    required_fields: tuple[str, ...] = attrs.field(
        default=(), converter=_names, validator=_each_non_empty
    )
    approval_process_id: str | None = None
    expected_days: int | None = attrs.field(default=None, validator=positive)
    departments: frozenset[str] = attrs.field(
        factory=frozenset, converter=_departments, validator=_each_non_empty
    )
    category: ForecastCategory = ForecastCategory.PIPELINE

    def applies_to(self, department: str | None) -> bool:
        """True when the stage is part of ``department``'s path (no departments: everyone's)."""
        return not self.departments or department in self.departments


class HasProbabilities(Protocol):
    """Anything giving a win probability per stage name, such as a funnel's ``Calibration``."""

    @property
    def probabilities(self) -> Mapping[str, Percent]: ...


def _stages(value: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(value)


def _roles(value: Iterable[str]) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


@attrs.frozen
class SalesProcess:
    """Ordered stages from first contact to the last step before won; won and lost are outcomes.

    ``sales_roles`` may advance, win, lose and reopen an opportunity; ``invalidate_roles``
    may declare one invalid (spam, duplicate); a deal is lost for one of ``lost_reasons``
    when the list is configured.
    """

    id: str = attrs.field(validator=non_empty)
    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    name: str = ""
    version: int = attrs.field(default=1, validator=positive)
    sales_roles: frozenset[str] = attrs.field(
        default=frozenset({"sales", "manager", "admin"}), converter=_roles
    )
    invalidate_roles: frozenset[str] = attrs.field(
        default=frozenset({"manager", "admin"}), converter=_roles
    )
    #: The reasons a deal may be lost for (empty: any non-empty text, as before issue 19).
    lost_reasons: tuple[str, ...] = attrs.field(
        default=(), converter=_names, validator=_each_non_empty
    )
    _index: dict[str, int] = attrs.field(init=False, eq=False, repr=False)

    @lost_reasons.validator
    def _check_lost_reasons(self, _: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for i, reason in enumerate(value):
            if reason in value[:i]:
                raise ValidationError(f"lost_reasons[{i}]: duplicate reason {reason!r}")

    @stages.validator
    def _check_stages(self, _: attrs.Attribute[Any], value: tuple[Stage, ...]) -> None:
        if not value:
            raise ValidationError("stages: a sales process needs at least one stage")
        seen: set[str] = set()
        for i, stage in enumerate(value):
            if stage.name in seen:
                raise ValidationError(f"stages[{i}].name: duplicate stage name {stage.name!r}")
            seen.add(stage.name)

    @_index.default
    def _build_index(self) -> dict[str, int]:
        return {stage.name: i for i, stage in enumerate(self.stages)}

    @classmethod
    def from_dict(cls, data: object) -> SalesProcess:
        """Deprecated: use ``crmcore.serialization.from_dict(SalesProcess, data)``."""
        deprecated("SalesProcess.from_dict", "crmcore.serialization.from_dict(SalesProcess, data)")
        return from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """Deprecated: use ``crmcore.serialization.to_dict(process)``."""
        deprecated("SalesProcess.to_dict", "crmcore.serialization.to_dict(process)")
        data: dict[str, Any] = to_dict(self)
        return data

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The stage names in order."""
        return tuple(stage.name for stage in self.stages)

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; NotFound names the known stages."""
        return self.stages[self.position(name)]

    def position(self, name: str) -> int:
        """The 0-based position of the stage called ``name`` in the process."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise NotFound(
                f"sales process {self.id!r} has no stage {name!r} "
                f"(stages: {', '.join(self.stage_names)})"
            ) from None

    def has_stage(self, name: str) -> bool:
        """True when the process has a stage called ``name``."""
        return name in self._index

    def with_probabilities(
        self, probabilities: Mapping[str, Percent] | HasProbabilities
    ) -> SalesProcess:
        """The same process with other win probabilities for the stages named (for example
        the team's calibrated ones: ``process.with_probabilities(funnel.calibration())``);
        an unknown stage or a probability outside 0–100 % is a ValidationError."""
        given = (
            probabilities if isinstance(probabilities, Mapping) else probabilities.probabilities
        )
        if not isinstance(given, Mapping):
            raise ValidationError(f"probabilities: expected stage → Percent, got {given!r}")
        unknown = sorted(str(name) for name in given if name not in self._index)
        if unknown:
            raise ValidationError(
                f"probabilities: sales process {self.id!r} has no stage "
                f"{', '.join(repr(u) for u in unknown)} (stages: {', '.join(self.stage_names)})"
            )
        stages = []
        for stage in self.stages:
            if stage.name in given:
                value = given[stage.name]
                chance = value if isinstance(value, Percent) else Percent(value)
                stage = attrs.evolve(stage, probability=chance)
            stages.append(stage)
        return attrs.evolve(self, stages=tuple(stages))

    def path_for(self, department: str | None) -> tuple[Stage, ...]:
        """The stages that apply to ``department``, in order."""
        return tuple(stage for stage in self.stages if stage.applies_to(department))
