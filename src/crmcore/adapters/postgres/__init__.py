"""The PostgreSQL reference adapter: a table per kind, a shared outbox, a connection pool.

Needs the ``postgres`` extra (``pip install 'crmcore[postgres]'``: psycopg 3 and
psycopg_pool). See ``docs/adapters.md``, where this adapter is the worked example.
"""

try:
    import psycopg as _psycopg  # noqa: F401  # fail here, with the fix, when it is missing
    import psycopg_pool as _psycopg_pool  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "crmcore.adapters.postgres needs psycopg 3 and psycopg_pool: "
        "pip install 'crmcore[postgres]'"
    ) from exc

from crmcore.adapters.postgres._database import PostgresDatabase
from crmcore.adapters.postgres._schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresDatabase"]
