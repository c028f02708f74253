"""Each package's events have one public home: ``crmcore.<package>.events``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import crmcore
from crmcore.events import DomainEvent

PACKAGES = ("forecast", "leads", "orders", "receivables", "services", "visits", "workflow")


def _defined_in(package: str) -> set[str]:
    """Every DomainEvent class defined in a module of ``crmcore.<package>``."""
    root = importlib.import_module(f"crmcore.{package}")
    found: set[str] = set()
    for info in pkgutil.iter_modules(root.__path__):
        module = importlib.import_module(f"crmcore.{package}.{info.name}")
        found |= {
            name
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and issubclass(obj, DomainEvent)
            and obj.__module__ == module.__name__
        }
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_event_of_a_package_is_in_its_events_module(package: str) -> None:
    events = importlib.import_module(f"crmcore.{package}.events")
    assert set(events.__all__) == _defined_in(package)
    assert all(issubclass(getattr(events, name), DomainEvent) for name in events.__all__)


def test_no_other_package_defines_events() -> None:
    others = {
        info.name
        for info in pkgutil.iter_modules(crmcore.__path__)
        if info.ispkg and info.name not in PACKAGES
    }
    # the contract kit's sample aggregate has events of its own, for adapter authors' tests
    assert {p for p in others if _defined_in(p)} == {"testing"}
