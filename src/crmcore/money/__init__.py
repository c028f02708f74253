"""The money kernel: exact amounts, currencies with ISO 4217 minor units, and percentages."""

from crmcore.money._currency import Currency, get_currency, register_currency
from crmcore.money._money import Money
from crmcore.money._percent import Percent

__all__ = ["Currency", "Money", "Percent", "get_currency", "register_currency"]
