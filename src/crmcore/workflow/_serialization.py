"""The workflow's converter set-up: conditions, step modes and approvers as their data forms.

A condition is ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` or
``{"field", "op", "value"}``; a mode ``"ALL"``, ``"ANY"`` or ``"QUORUM(n)"``; an approver
``{"role": name}``, ``{"user": id}``, ``{"manager_of": levels}`` or ``{"field_user": name}``.
"""

from __future__ import annotations

import cattrs

from crmcore.serialization import load_aliases
from crmcore.workflow._approval import ApprovalInstance
from crmcore.workflow._approval_data import InstanceRecord, instance_fields, record_of
from crmcore.workflow._approvers import (
    APPROVER_TYPES,
    TARGET_TYPES,
    approver_from_data,
    approver_to_data,
    members,
    target_from_data,
)
from crmcore.workflow._conditions import Condition, condition_data, condition_of
from crmcore.workflow._process import Mode, mode_from_data

__all__ = ["configure_converter"]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the workflow's configuration types (call once per converter)."""
    converter.register_structure_hook_func(
        lambda t: t is Condition, lambda data, _: condition_of(data)
    )
    converter.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, Condition), condition_data
    )
    converter.register_structure_hook(Mode, mode_from_data)
    converter.register_unstructure_hook(Mode, str)
    converter.register_structure_hook_func(
        lambda t: members(t) == set(APPROVER_TYPES), lambda d, _: approver_from_data(d)
    )
    converter.register_structure_hook_func(
        lambda t: members(t) == set(TARGET_TYPES), lambda d, _: target_from_data(d)
    )
    converter.register_structure_hook_func(
        lambda t: members(t) == {*TARGET_TYPES, type(None)},
        lambda d, _: None if d is None else target_from_data(d),
    )
    for cls in (*APPROVER_TYPES, *TARGET_TYPES):
        converter.register_unstructure_hook(cls, approver_to_data)
    # A request is stored with its pinned process inside; refused (ConfigError) when the
    # process holds a condition written as Python code.
    converter.register_unstructure_hook(
        ApprovalInstance, lambda instance: converter.unstructure(record_of(instance))
    )
    # Stored before the history was read from the events: its lines, under "history".
    load_aliases(InstanceRecord, converter, history="earlier_history")
    converter.register_structure_hook(
        ApprovalInstance,
        lambda data, _: ApprovalInstance(
            **instance_fields(converter.structure(data, InstanceRecord))
        ),
    )
