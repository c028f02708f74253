"""One cattrs converter for all of crmcore: Decimal ⇄ str, Money ⇄ dict, dates ⇄ ISO 8601."""

from crmcore.serialization._converter import converter, from_dict, load_aliases, to_dict
from crmcore.serialization._values import check_values, decode_values, encode_values

__all__ = [
    "check_values",
    "converter",
    "decode_values",
    "encode_values",
    "from_dict",
    "load_aliases",
    "to_dict",
]
