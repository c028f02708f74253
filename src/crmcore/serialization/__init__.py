"""One cattrs converter for all of crmcore: Decimal ⇄ str, Money ⇄ dict, dates ⇄ ISO 8601."""

from crmcore.serialization._converter import converter, from_dict, to_dict

__all__ = ["converter", "from_dict", "to_dict"]
