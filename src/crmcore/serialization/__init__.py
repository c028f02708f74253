"""One cattrs converter for all of crmcore: Decimal ⇄ str, Money ⇄ dict, dates ⇄ ISO 8601."""

from crmcore.serialization._converter import (
    converter,
    from_dict,
    kernel_data,
    load_aliases,
    register_record,
    to_dict,
)
from crmcore.serialization._limits import MAX_DEPTH, check_shape, load_json
from crmcore.serialization._values import check_values, decode_values, encode_values

__all__ = [
    "MAX_DEPTH",
    "check_shape",
    "check_values",
    "converter",
    "decode_values",
    "encode_values",
    "from_dict",
    "kernel_data",
    "load_aliases",
    "load_json",
    "register_record",
    "to_dict",
]
