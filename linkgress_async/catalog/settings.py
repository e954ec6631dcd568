"""Database-level settings: ``ALTER DATABASE ... SET name = value``."""

from __future__ import annotations

from attrs import frozen

__all__ = ["DatabaseSetting"]


@frozen
class DatabaseSetting:
    """A setting every new session of the database starts with (``pg_db_role_setting`` for
    the database and no role). ``value`` is the text PostgreSQL stores (``64MB``, ``off``)."""

    name: str
    value: str
