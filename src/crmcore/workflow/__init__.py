"""Approvals and lifecycles: conditions as data, a state machine, approval processes."""

from crmcore.workflow._conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Op,
    Predicate,
    as_condition,
    condition_from_dict,
    condition_to_dict,
)
from crmcore.workflow._statemachine import Guard, StateMachine, Transition

__all__ = [
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "Guard",
    "Not",
    "Op",
    "Predicate",
    "StateMachine",
    "Transition",
    "as_condition",
    "condition_from_dict",
    "condition_to_dict",
]
