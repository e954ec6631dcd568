"""File-based migrations: the Migration base class, the runner and the scaffold.

The names are resolved on first use, so importing the runner does not import the scaffold
(and with it the diff and the renderers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkgress_async.migrations.base import Migration
    from linkgress_async.migrations.guard import FileHazard
    from linkgress_async.migrations.runner import (
        FailedMigration,
        MigrationResult,
        MigrationRunner,
        MigrationStatus,
    )
    from linkgress_async.migrations.scaffold import MigrationScaffold, ScaffoldResult

__all__ = [
    "FailedMigration",
    "FileHazard",
    "Migration",
    "MigrationResult",
    "MigrationRunner",
    "MigrationScaffold",
    "MigrationStatus",
    "ScaffoldResult",
]

_MODULES = {
    "Migration": "base",
    "FileHazard": "guard",
    "FailedMigration": "runner",
    "MigrationResult": "runner",
    "MigrationRunner": "runner",
    "MigrationStatus": "runner",
    "MigrationScaffold": "scaffold",
    "ScaffoldResult": "scaffold",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
