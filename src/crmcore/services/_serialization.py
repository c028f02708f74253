"""The services' converter set-up: notification routes load through ``from_dict``."""

from __future__ import annotations

import cattrs

from crmcore.services._notifications import NotificationRoutes, routes_of

__all__ = ["configure_converter"]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the notification routes' data form (call once per converter)."""
    converter.register_structure_hook(NotificationRoutes, lambda data, _: routes_of(data))
