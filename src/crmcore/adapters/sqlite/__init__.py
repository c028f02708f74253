"""The SQLite reference adapter: a table per aggregate kind, a transactional outbox, WAL."""

from crmcore.adapters._staging import StoreRepository, StoreUnitOfWork
from crmcore.adapters.sqlite._database import MIGRATIONS, SCHEMA_VERSION, SqliteDatabase

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteDatabase", "StoreRepository", "StoreUnitOfWork"]
