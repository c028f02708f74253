"""Plain data for the visits aggregates: ``configure_converter`` registers their hooks on a
converter explicitly (nothing happens at import; crmcore's converter calls it on first use),
and ``to_data`` / ``from_data`` are the adapters' dump / load through that converter.

Pending events are not data; an action's form values keep their types (Money, Decimal,
dates as tagged values, see ``crmcore.serialization``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import cattrs
from cattrs.gen import override

from crmcore.errors import ConfigError, CrmError, ValidationError
from crmcore.serialization import converter as _crmcore_converter
from crmcore.serialization import decode_values, encode_values, register_record
from crmcore.visits._customers import CustomerSite
from crmcore.visits._plan import VisitPlan
from crmcore.visits._visit import ActionRecord, Visit

__all__ = ["configure_converter", "from_data", "to_data"]

T = TypeVar("T", Visit, VisitPlan, CustomerSite)


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the visits aggregates (call once per converter)."""
    register_record(
        converter,
        ActionRecord,
        saving={"data": override(unstruct_hook=encode_values("data"))},
        loading={"data": override(struct_hook=decode_values)},
    )

    def actions(value: object, _: object) -> list[ActionRecord]:
        # crmcore's list hook structures items with its own converter: ask this one.
        if not isinstance(value, list):
            raise ValidationError(f"actions: expected a list, got {value!r}")
        return [converter.structure(item, ActionRecord) for item in value]

    register_record(converter, Visit, loading={"actions": override(struct_hook=actions)})
    register_record(converter, VisitPlan)
    register_record(converter, CustomerSite)


def to_data(aggregate: Visit | VisitPlan | CustomerSite) -> dict[str, Any]:
    """The aggregate as JSON-ready data (its pending events left out)."""
    data: dict[str, Any] = _crmcore_converter.unstructure(aggregate)
    return data


def from_data(cls: type[T], data: Mapping[str, Any]) -> T:
    """The aggregate back from ``to_data``'s output; ConfigError names a bad field."""
    try:
        return _crmcore_converter.structure({"version": 0, **data}, cls)
    except (cattrs.BaseValidationError, CrmError, ValueError, TypeError, KeyError) as exc:
        problems = cattrs.transform_error(exc, path="$")
        raise ConfigError(f"invalid {cls.__name__}: " + "; ".join(problems), problems) from None
