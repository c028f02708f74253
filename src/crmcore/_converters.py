"""The one place crmcore's converter learns every package's types.

``crmcore.serialization.converter`` calls ``configure_packages`` once, on its first use; no
package registers anything when it is imported. The order is the layers' (bottom up): a
hook generated for an order looks up the pricing and workflow hooks already in place.
"""

from __future__ import annotations

from typing import Final

import cattrs

from crmcore.forecast import configure_converter as _forecast
from crmcore.leads import configure_converter as _leads
from crmcore.orders import configure_converter as _orders
from crmcore.pricing import configure_converter as _pricing
from crmcore.receivables import configure_converter as _receivables
from crmcore.services import configure_converter as _services
from crmcore.visits import configure_converter as _visits
from crmcore.workflow import configure_converter as _workflow

__all__ = ["PACKAGES", "configure_packages"]

#: Every package's set-up, in the order they run.
PACKAGES: Final = (
    _pricing,
    _workflow,
    _receivables,
    _leads,
    _forecast,
    _visits,
    _orders,
    _services,
)


def configure_packages(converter: cattrs.Converter) -> None:
    """Teach ``converter`` every package's types (once per converter)."""
    for configure in PACKAGES:
        configure(converter)
