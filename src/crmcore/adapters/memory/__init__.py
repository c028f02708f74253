"""The in-memory reference adapter: repositories and unit of work over a dict of JSON rows."""

from crmcore.adapters._staging import StoreRepository, StoreUnitOfWork
from crmcore.adapters.memory._database import MemoryDatabase

__all__ = ["MemoryDatabase", "StoreRepository", "StoreUnitOfWork"]
