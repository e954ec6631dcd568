"""The advisory lock keys linkgress_async takes, in one place so that every user agrees."""

from __future__ import annotations

import zlib
from typing import Final

__all__ = ["MIGRATE_LOCK_KEY"]

MIGRATE_LOCK_KEY: Final = zlib.crc32(b"linkgress_async:migrate")
"""Serialises schema changes on one database: ``migrate()``, ``ensure_created()`` and
``ensure_deleted()`` hold it exclusively while they apply; spelling the model in a scratch
transaction holds it shared, so that its scratch objects never meet a migration's."""
