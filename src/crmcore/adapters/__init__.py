"""Reference adapters implementing crmcore's ports: ``memory`` and ``sqlite``."""

__all__: list[str] = []
