"""linkgress_async: async PostgreSQL schema management and migrations on an asyncpg pool.

Declare tables in a :class:`DbContext`; :meth:`DbContext.get_schema_manager` diffs the model
against the live catalog and migrates, and :class:`MigrationRunner` applies reviewed,
versioned migration files with a journal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkgress_async.catalog import Catalog, QualifiedName, Schema
    from linkgress_async.client import PgClient
    from linkgress_async.comparison import compare
    from linkgress_async.context import DbContext
    from linkgress_async.errors import (
        ChecksumMismatchError,
        ConnectionFailedError,
        ConnectionLostError,
        DestructiveMigrationError,
        JournalError,
        LinkgressError,
        LockTableExhaustedError,
        MigrationError,
        MigrationFileError,
        MigrationLockTimeoutError,
        MissingMigrationError,
        ModelError,
        NoSchemaDifferencesError,
        PullError,
        SchemaApplyError,
        TableLockTimeoutError,
        UnresolvedMigrationError,
    )
    from linkgress_async.fleet import (
        FleetResult,
        FleetTarget,
        FleetTargetError,
        TargetResult,
        migrate_many,
    )
    from linkgress_async.hazards import Hazard, HazardPolicy
    from linkgress_async.manager import DbSchemaManager
    from linkgress_async.migrations import (
        FailedMigration,
        Migration,
        MigrationResult,
        MigrationRunner,
        MigrationScaffold,
        MigrationStatus,
        ScaffoldResult,
    )
    from linkgress_async.migrations.drift import DriftReport
    from linkgress_async.model import (
        DbModelConfig,
        bigint,
        bigserial,
        boolean,
        bytea,
        char,
        cidr,
        custom_type,
        date,
        decimal,
        double_precision,
        enum_column,
        inet,
        integer,
        interval,
        json,
        jsonb,
        numeric,
        pg_enum,
        real,
        serial,
        smallint,
        smallserial,
        text,
        time,
        timestamp,
        timestamptz,
        timetz,
        uuid,
        varchar,
    )
    from linkgress_async.ops import MigrationOperation
    from linkgress_async.ownership import OwnershipPolicy, UnmanagedObject
    from linkgress_async.pulling import PulledModule, pull, pull_module
    from linkgress_async.render.quote import sql

# Names resolve on first use, so that importing one submodule (the pytest plugin, the CLI)
# does not pay for the whole library.
_EXPORTS: dict[str, str] = {
    "Catalog": "linkgress_async.catalog",
    "QualifiedName": "linkgress_async.catalog",
    "Schema": "linkgress_async.catalog",
    "PgClient": "linkgress_async.client",
    "compare": "linkgress_async.comparison",
    "DbContext": "linkgress_async.context",
    "ChecksumMismatchError": "linkgress_async.errors",
    "ConnectionFailedError": "linkgress_async.errors",
    "ConnectionLostError": "linkgress_async.errors",
    "JournalError": "linkgress_async.errors",
    "TableLockTimeoutError": "linkgress_async.errors",
    "UnresolvedMigrationError": "linkgress_async.errors",
    "DestructiveMigrationError": "linkgress_async.errors",
    "LinkgressError": "linkgress_async.errors",
    "LockTableExhaustedError": "linkgress_async.errors",
    "MigrationError": "linkgress_async.errors",
    "MigrationFileError": "linkgress_async.errors",
    "MigrationLockTimeoutError": "linkgress_async.errors",
    "MissingMigrationError": "linkgress_async.errors",
    "ModelError": "linkgress_async.errors",
    "NoSchemaDifferencesError": "linkgress_async.errors",
    "PullError": "linkgress_async.errors",
    "SchemaApplyError": "linkgress_async.errors",
    "FleetResult": "linkgress_async.fleet",
    "FleetTarget": "linkgress_async.fleet",
    "FleetTargetError": "linkgress_async.fleet",
    "TargetResult": "linkgress_async.fleet",
    "migrate_many": "linkgress_async.fleet",
    "DbSchemaManager": "linkgress_async.manager",
    "Hazard": "linkgress_async.hazards",
    "HazardPolicy": "linkgress_async.hazards",
    "OwnershipPolicy": "linkgress_async.ownership",
    "UnmanagedObject": "linkgress_async.ownership",
    "DbModelConfig": "linkgress_async.model",
    "bigint": "linkgress_async.model",
    "bigserial": "linkgress_async.model",
    "boolean": "linkgress_async.model",
    "bytea": "linkgress_async.model",
    "char": "linkgress_async.model",
    "cidr": "linkgress_async.model",
    "custom_type": "linkgress_async.model",
    "date": "linkgress_async.model",
    "decimal": "linkgress_async.model",
    "double_precision": "linkgress_async.model",
    "enum_column": "linkgress_async.model",
    "inet": "linkgress_async.model",
    "integer": "linkgress_async.model",
    "interval": "linkgress_async.model",
    "json": "linkgress_async.model",
    "jsonb": "linkgress_async.model",
    "numeric": "linkgress_async.model",
    "pg_enum": "linkgress_async.model",
    "real": "linkgress_async.model",
    "serial": "linkgress_async.model",
    "smallint": "linkgress_async.model",
    "smallserial": "linkgress_async.model",
    "text": "linkgress_async.model",
    "time": "linkgress_async.model",
    "timestamp": "linkgress_async.model",
    "timestamptz": "linkgress_async.model",
    "timetz": "linkgress_async.model",
    "uuid": "linkgress_async.model",
    "varchar": "linkgress_async.model",
    "FailedMigration": "linkgress_async.migrations",
    "Migration": "linkgress_async.migrations",
    "MigrationResult": "linkgress_async.migrations",
    "MigrationRunner": "linkgress_async.migrations",
    "MigrationScaffold": "linkgress_async.migrations",
    "MigrationStatus": "linkgress_async.migrations",
    "ScaffoldResult": "linkgress_async.migrations",
    "DriftReport": "linkgress_async.migrations.drift",
    "MigrationOperation": "linkgress_async.ops",
    "PulledModule": "linkgress_async.pulling",
    "pull": "linkgress_async.pulling",
    "pull_module": "linkgress_async.pulling",
    "sql": "linkgress_async.render.quote",
}

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "ChecksumMismatchError",
    "ConnectionFailedError",
    "ConnectionLostError",
    "DbContext",
    "DbModelConfig",
    "DbSchemaManager",
    "DestructiveMigrationError",
    "DriftReport",
    "FailedMigration",
    "FleetResult",
    "FleetTarget",
    "FleetTargetError",
    "Hazard",
    "HazardPolicy",
    "JournalError",
    "LinkgressError",
    "LockTableExhaustedError",
    "Migration",
    "MigrationError",
    "MigrationFileError",
    "MigrationLockTimeoutError",
    "MigrationOperation",
    "MigrationResult",
    "MigrationRunner",
    "MigrationScaffold",
    "MigrationStatus",
    "MissingMigrationError",
    "ModelError",
    "NoSchemaDifferencesError",
    "OwnershipPolicy",
    "PgClient",
    "PullError",
    "PulledModule",
    "QualifiedName",
    "ScaffoldResult",
    "Schema",
    "SchemaApplyError",
    "TableLockTimeoutError",
    "TargetResult",
    "UnmanagedObject",
    "UnresolvedMigrationError",
    "__version__",
    "bigint",
    "bigserial",
    "boolean",
    "bytea",
    "char",
    "cidr",
    "compare",
    "custom_type",
    "date",
    "decimal",
    "double_precision",
    "enum_column",
    "inet",
    "integer",
    "interval",
    "json",
    "jsonb",
    "migrate_many",
    "numeric",
    "pg_enum",
    "pull",
    "pull_module",
    "real",
    "serial",
    "smallint",
    "smallserial",
    "sql",
    "text",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "uuid",
    "varchar",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'linkgress_async' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
