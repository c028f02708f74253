"""Hooks so pools and leads save to plain data and load back (``to_dict`` / ``from_dict``).

The aggregates' pending events are not part of their data (the unit of work collects them),
sets of names are saved as sorted lists so the output is stable, and free-form field
values (a lead's ``custom``, a created record's ``fields``) keep their types (``_values``).
"""

from __future__ import annotations

from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from crmcore.leads._conversion import CreatedRecord
from crmcore.leads._lead import Lead
from crmcore.leads._policies import AssignmentPolicy, policy_of
from crmcore.leads._pool import Pool, PoolConfig
from crmcore.serialization import decode_values, encode_values, register_record

__all__ = ["configure_converter"]


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the pools, leads and assignment policies (once per converter)."""
    converter.register_structure_hook(AssignmentPolicy, lambda data, _: policy_of(data))
    converter.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, AssignmentPolicy),
        lambda policy: {"kind": policy.kind},
    )
    admins: dict[str, Any] = {
        "admins": override(unstruct_hook=_sorted),
        "admin_roles": override(unstruct_hook=_sorted),
    }
    register_record(converter, Pool, saving=admins)
    converter.register_unstructure_hook(
        PoolConfig, make_dict_unstructure_fn(PoolConfig, converter, **admins)
    )
    # Free-form values keep their types through JSON (tagged Money, dates...; see _values).
    # CreatedRecord's hooks are registered before Lead's, whose generated code looks them up.
    for record, name in ((CreatedRecord, "fields"), (Lead, "custom")):
        register_record(
            converter,
            record,
            saving={name: override(unstruct_hook=encode_values(name))},
            loading={name: override(struct_hook=decode_values)},
        )
