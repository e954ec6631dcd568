"""The peers: Alembic autogenerate's ``compare_metadata`` and migra, driven as users do.

Alembic is configured as a careful user would: ``compare_type=True`` and
``compare_server_default=True``, ``include_schemas=True`` limited to the workload's schemas.
Both talk to PostgreSQL through psycopg2, the driver their documentation uses.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from benchmarks.schema import schema_names


def sqlalchemy_url(dsn: str) -> str:
    """The psycopg2 SQLAlchemy URL of a ``postgresql://`` DSN."""
    return dsn.replace("postgresql://", "postgresql+psycopg2://", 1)


def _flatten(diffs: list[Any]) -> list[Any]:
    # Column-level changes come grouped in a list per column.
    flat: list[Any] = []
    for item in diffs:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def alembic_compare(engine: sa.Engine, metadata: sa.MetaData) -> list[str]:
    """Run ``compare_metadata`` once; return each reported difference as a short string."""
    wanted = set(schema_names())

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return type_ != "schema" or name in wanted

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_schemas": True,
                "include_name": include_name,
                "target_metadata": metadata,
            },
        )
        diffs = compare_metadata(context, metadata)
    return [_describe(d) for d in _flatten(diffs)]


def _describe(diff: Any) -> str:
    kind = str(diff[0])
    details = [str(part) for part in diff[1:4] if not isinstance(part, dict)]
    text = f"{kind}: {', '.join(details)}"
    return text if len(text) <= 160 else text[:157] + "..."


def migra_compare(url_a: str, url_b: str) -> str:
    """Run migra between two databases once; return the SQL it proposes (empty when equal)."""
    # migra ships no type information.
    from migra import Migration  # type: ignore[import-untyped]
    from sqlbag import S  # type: ignore[import-untyped]

    with S(url_a) as a, S(url_b) as b:
        migration = Migration(a, b)
        migration.set_safety(False)
        migration.add_all_changes()
        sql: str = migration.sql
    return sql
