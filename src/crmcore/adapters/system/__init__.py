"""Production implementations of the small ports: clock, ids, directory and notifiers.

Wire these into [`crmcore.services.Crm`][crmcore.services.Crm] in an application; the fakes of
``crmcore.testing.fakes`` are for tests. Each is small enough to read in a minute, and to
replace with your own when your identity system or message bus needs more.
"""

from crmcore.adapters.system._clock import SystemClock
from crmcore.adapters.system._directory import CallableDirectory, MappingDirectory
from crmcore.adapters.system._ids import UuidV7Ids
from crmcore.adapters.system._notifiers import CallbackNotifier, LoggingNotifier

__all__ = [
    "CallableDirectory",
    "CallbackNotifier",
    "LoggingNotifier",
    "MappingDirectory",
    "SystemClock",
    "UuidV7Ids",
]
