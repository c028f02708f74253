"""Fuzz every use case and query of crmcore.services with hostile arguments."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import FUZZ, HOSTILE, contained
from tests.services.helpers import ACTORS, memory_world
from tests.services.test_visit_services import SETTINGS

SERVICES = (
    "leads",
    "opportunities",
    "approvals",
    "receivables",
    "accounts",
    "orders",
    "visits",
    "queries",
)
_PROBE = memory_world(visits=SETTINGS)
USE_CASES = [
    (service, name)
    for service in SERVICES
    for name, member in inspect.getmembers(type(getattr(_PROBE.crm, service)))
    if not name.startswith("_") and inspect.isfunction(member)
]
#: Ids that exist in a fresh world or look like them, so some calls get past the lookups.
IDS = st.sampled_from(
    ["lead-1", "order-1", "opportunity-1", "receivable-1", "approval-1", "east", "visit-1"]
)
ARGUMENT = st.one_of(HOSTILE, IDS)
ACTOR = st.one_of(st.sampled_from(list(ACTORS.values())), HOSTILE)


def test_every_service_of_the_crm_is_fuzzed_and_checks_its_arguments() -> None:
    crm = _PROBE.crm
    services = {
        name
        for name, value in vars(crm).items()
        if type(value).__module__.startswith("crmcore.services._") and hasattr(value, "_crm")
    }
    assert services == set(SERVICES)
    for service, name in USE_CASES:
        method = getattr(type(getattr(crm, service)), name)
        assert hasattr(method, "__wrapped__"), f"{service}.{name} is not behind typed_boundary"


def test_every_use_case_is_fuzzed() -> None:
    assert len(USE_CASES) >= 40
    assert ("leads", "create") in USE_CASES
    assert ("queries", "payment_view") in USE_CASES
    assert ("accounts", "receive") in USE_CASES
    assert ("visits", "reschedule") in USE_CASES


@pytest.mark.parametrize(("service", "name"), USE_CASES, ids=[f"{s}.{n}" for s, n in USE_CASES])
@FUZZ
@given(data=st.data())
def test_a_use_case_with_hostile_arguments(service: str, name: str, data: st.DataObject) -> None:
    method = getattr(getattr(_PROBE.crm, service), name)
    arguments: dict[str, Any] = {}
    for parameter in inspect.signature(method).parameters.values():
        optional = parameter.default is not inspect.Parameter.empty
        if optional and data.draw(st.booleans()):
            continue
        arguments[parameter.name] = data.draw(ACTOR if parameter.name == "actor" else ARGUMENT)
    if data.draw(st.booleans()):
        arguments[data.draw(st.sampled_from(["colour", "at", "self"]))] = data.draw(HOSTILE)
    contained(lambda: method(**arguments))
