"""crmcore: the rules and the numbers of B2B lead-to-cash, for embedding in CRM and ERP back ends.

The kernel is re-exported here; each domain package (``crmcore.pricing``,
``crmcore.workflow``, ``crmcore.receivables``...) has its own public API.
"""

from importlib.metadata import PackageNotFoundError, version

from crmcore._aggregate import UNCHANGED, Unchanged
from crmcore.errors import (
    ConcurrencyConflict,
    ConfigError,
    CrmError,
    CurrencyMismatch,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    StorageError,
    ValidationError,
)
from crmcore.l10n import format_money, parse_money
from crmcore.money import Currency, Money, Percent, get_currency, register_currency
from crmcore.ports import Actor

try:
    __version__ = version("crmcore")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "UNCHANGED",
    "Actor",
    "ConcurrencyConflict",
    "ConfigError",
    "CrmError",
    "Currency",
    "CurrencyMismatch",
    "InvalidTransition",
    "InvariantViolation",
    "Money",
    "NotFound",
    "Percent",
    "PermissionDenied",
    "StorageError",
    "Unchanged",
    "ValidationError",
    "__version__",
    "format_money",
    "get_currency",
    "parse_money",
    "register_currency",
]
