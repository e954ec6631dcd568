"""File-based migrations: the Migration base class, the runner and the scaffold."""

from __future__ import annotations

from linkgress_async.migrations.base import Migration
from linkgress_async.migrations.runner import (
    FailedMigration,
    MigrationResult,
    MigrationRunner,
    MigrationStatus,
)
from linkgress_async.migrations.scaffold import MigrationScaffold, ScaffoldResult

__all__ = [
    "FailedMigration",
    "Migration",
    "MigrationResult",
    "MigrationRunner",
    "MigrationScaffold",
    "MigrationStatus",
    "ScaffoldResult",
]
