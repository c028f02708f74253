"""Reference adapters implementing crmcore's ports: ``memory`` and ``sqlite``.

``WriteCheck`` says which writes a reference store loads back before storing them
(``verify_writes=`` of ``MemoryDatabase`` and ``SqliteDatabase``).
"""

from crmcore.adapters._verify import WriteCheck

__all__ = ["WriteCheck"]
