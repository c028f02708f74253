"""Visit actions (拜访动作): configurable forms filled in during a visit — a stock count per
product, a shelf photo, a campaign execution report, a price check — with required fields,
and which departments may use each action."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Final

import attrs

from crmcore._decimal import to_decimal
from crmcore._validators import non_empty
from crmcore.errors import NotFound, PermissionDenied, ValidationError
from crmcore.money import Money

__all__ = ["ActionCatalog", "ActionSpec", "FieldKind", "FieldSpec"]


class FieldKind(enum.Enum):
    """What one form field holds."""

    TEXT = "text"
    INTEGER = "integer"  # a whole number >= 0
    DECIMAL = "decimal"  # an exact number (Decimal or str)
    BOOLEAN = "boolean"
    CHOICE = "choice"  # one of ``choices``
    DATE = "date"
    PHOTO = "photo"  # a reference to a stored photo (the host keeps the image)
    MONEY = "money"
    STOCK_COUNTS = "stock_counts"  # SKU -> whole units on hand
    PRICE_CHECKS = "price_checks"  # SKU -> Money seen on the shelf


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError(f"choices: expected a list of names, got {value!r}")
    return tuple(value)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _units(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: Form kinds whose value is taken as given once it passes its check: (check, expected).
_SCALAR_CHECKS: Final[dict[FieldKind, tuple[Callable[[object], bool], str]]] = {
    FieldKind.TEXT: (_text, "non-empty text"),
    FieldKind.PHOTO: (_text, "non-empty text"),
    FieldKind.INTEGER: (_units, "a whole number >= 0"),
    FieldKind.BOOLEAN: (lambda v: isinstance(v, bool), "true or false"),
    FieldKind.DATE: (lambda v: isinstance(v, date), "a date"),
    FieldKind.MONEY: (lambda v: isinstance(v, Money), "Money"),
}


@attrs.frozen(kw_only=True)
class FieldSpec:
    """One field of an action's form: its name, kind, whether required, allowed choices."""

    name: str = attrs.field(validator=non_empty)
    kind: FieldKind
    required: bool = True
    label: str = ""
    choices: tuple[str, ...] = attrs.field(default=(), converter=_names)

    def __attrs_post_init__(self) -> None:
        if self.kind is FieldKind.CHOICE and not self.choices:
            raise ValidationError(f"{self.name}.choices: a choice field needs its choices")

    def clean(self, value: object, path: str) -> object:
        """The value checked against the kind (Decimals normalised); ValidationError names
        ``path`` and what was wrong."""
        kind = self.kind
        if kind is FieldKind.DECIMAL:
            return to_decimal(value, path)
        if kind is FieldKind.CHOICE:
            if value not in self.choices:
                raise ValidationError(f"{path}: {value!r} is not one of {list(self.choices)}")
            return value
        if kind in _SCALAR_CHECKS:
            fits, expected = _SCALAR_CHECKS[kind]
            if not fits(value):
                raise ValidationError(f"{path}: expected {expected}, got {value!r}")
            return value
        return self._per_product(value, path)

    def _per_product(self, value: object, path: str) -> dict[str, object]:
        if not isinstance(value, Mapping) or not value:
            raise ValidationError(f"{path}: expected a non-empty mapping of SKU to value")
        cleaned: dict[str, object] = {}
        for sku, item in value.items():
            where = f"{path}.{sku}"
            if not isinstance(sku, str) or not sku.strip() or sku.startswith("$"):
                raise ValidationError(f"{path}: SKU {sku!r} must be non-empty text")
            if self.kind is FieldKind.STOCK_COUNTS:
                if isinstance(item, bool) or not isinstance(item, int) or item < 0:
                    raise ValidationError(f"{where}: expected whole units >= 0, got {item!r}")
                cleaned[sku] = item
            else:
                if not isinstance(item, Money) or item.amount < 0:
                    raise ValidationError(f"{where}: expected a Money price >= 0, got {item!r}")
                cleaned[sku] = item
        return dict(sorted(cleaned.items()))


def _fields(value: Iterable[FieldSpec]) -> tuple[FieldSpec, ...]:
    fields = tuple(value)
    names = [f.name for f in fields]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"fields: names {twice} appear twice")
    return fields


def _departments(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@attrs.frozen(kw_only=True)
class ActionSpec:
    """One action: its form, whether every visit needs it, and who may use it.

    ``departments`` None means every department may; otherwise only those listed (and a
    required action is required only of the departments that may use it).
    """

    id: str = attrs.field(validator=non_empty)
    name: str = ""
    fields: tuple[FieldSpec, ...] = attrs.field(default=(), converter=_fields)
    required: bool = False
    departments: frozenset[str] | None = attrs.field(default=None, converter=_departments)

    def __attrs_post_init__(self) -> None:
        if not self.fields:
            raise ValidationError(f"{self.id}.fields: an action needs at least one field")

    def usable_by(self, department: str | None) -> bool:
        """True when a visitor of ``department`` may record this action."""
        return self.departments is None or department in self.departments

    def clean(self, data: Mapping[str, object]) -> dict[str, object]:
        """The form's data checked field by field; unknown or missing required fields are
        refused with the field's path (``stock_count.counts: required``)."""
        if not isinstance(data, Mapping):
            raise ValidationError(f"{self.id}: expected a mapping of field values, got {data!r}")
        known = {f.name for f in self.fields}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValidationError(f"{self.id}: unknown fields {unknown}")
        cleaned: dict[str, object] = {}
        for spec in self.fields:
            path = f"{self.id}.{spec.name}"
            if spec.name not in data or data[spec.name] is None:
                if spec.required:
                    raise ValidationError(f"{path}: required")
                continue
            cleaned[spec.name] = spec.clean(data[spec.name], path)
        return cleaned


def _actions(value: Iterable[ActionSpec]) -> tuple[ActionSpec, ...]:
    actions = tuple(value)
    ids = [a.id for a in actions]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValidationError(f"actions: ids {twice} appear twice")
    return actions


@attrs.frozen
class ActionCatalog:
    """The actions a team has configured (``from_dict(ActionCatalog, {"actions": [...]})``)."""

    actions: tuple[ActionSpec, ...] = attrs.field(default=(), converter=_actions)

    def get(self, action_id: str) -> ActionSpec:
        """The action named ``action_id``; NotFound when none is configured."""
        for action in self.actions:
            if action.id == action_id:
                return action
        raise NotFound(f"action_id: no visit action {action_id!r} is configured")

    def for_department(self, department: str | None) -> tuple[ActionSpec, ...]:
        """The actions a visitor of ``department`` may record, in configured order."""
        return tuple(a for a in self.actions if a.usable_by(department))

    def required_for(self, department: str | None) -> tuple[str, ...]:
        """The ids of the actions every visit of ``department`` must record before check-out."""
        return tuple(a.id for a in self.for_department(department) if a.required)

    def clean(
        self, action_id: str, department: str | None, data: Mapping[str, object]
    ) -> dict[str, object]:
        """Check that ``department`` may use the action, then its data (see ActionSpec)."""
        action = self.get(action_id)
        if not action.usable_by(department):
            raise PermissionDenied(
                f"action_id: {action_id!r} is not available to department {department!r} "
                f"(only {sorted(action.departments or ())})"
            )
        return action.clean(data)
