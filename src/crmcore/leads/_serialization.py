"""Hooks so pools and leads save to plain data and load back (``to_dict`` / ``from_dict``).

The aggregates' pending events are not part of their data (the unit of work collects them),
sets of names are saved as sorted lists so the output is stable, and free-form field
values (a lead's ``custom``, a created record's ``fields``) keep their types (``_values``).
"""

from __future__ import annotations

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.leads._conversion import CreatedRecord
from crmcore.leads._lead import Lead
from crmcore.leads._pool import Pool, PoolConfig
from crmcore.serialization import converter, decode_values, encode_values

__all__: list[str] = []


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


converter.register_unstructure_hook(
    Pool,
    make_dict_unstructure_fn(
        Pool,
        converter,
        admins=override(unstruct_hook=_sorted),
        admin_roles=override(unstruct_hook=_sorted),
    ),
)
converter.register_structure_hook(
    Pool,
    make_dict_structure_fn(Pool, converter, _cattrs_forbid_extra_keys=True),
)
converter.register_unstructure_hook(
    PoolConfig,
    make_dict_unstructure_fn(
        PoolConfig,
        converter,
        admins=override(unstruct_hook=_sorted),
        admin_roles=override(unstruct_hook=_sorted),
    ),
)
# Free-form values keep their types through JSON (tagged Money, dates...; see _values).
# CreatedRecord's hooks are registered before Lead's, whose generated code looks them up.
converter.register_unstructure_hook(
    CreatedRecord,
    make_dict_unstructure_fn(
        CreatedRecord, converter, fields=override(unstruct_hook=encode_values("fields"))
    ),
)
converter.register_structure_hook(
    CreatedRecord,
    make_dict_structure_fn(
        CreatedRecord,
        converter,
        fields=override(struct_hook=decode_values),
        _cattrs_forbid_extra_keys=True,
    ),
)
converter.register_unstructure_hook(
    Lead,
    make_dict_unstructure_fn(
        Lead,
        converter,
        custom=override(unstruct_hook=encode_values("custom")),
    ),
)
converter.register_structure_hook(
    Lead,
    make_dict_structure_fn(
        Lead,
        converter,
        custom=override(struct_hook=decode_values),
        _cattrs_forbid_extra_keys=True,
    ),
)
