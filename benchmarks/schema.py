"""The N-table workload, declared twice: as a linkgress model and as SQLAlchemy MetaData.

Tables are spread round-robin over a few schemas. Each has an identity primary key, a
foreign key to the previous table of its schema (the first one refers to itself), mixed
column types with literal, enum and expression defaults, and two indexes.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from linkgress_async import (
    DbContext,
    DbModelConfig,
    bigint,
    boolean,
    enum_column,
    integer,
    jsonb,
    numeric,
    text,
    timestamptz,
    varchar,
)

SCHEMA_COUNT: Final = 4
ENUM_NAME: Final = "status"
ENUM_VALUES: Final = ("new", "active", "archived")
COLUMNS: Final = (
    "id",
    "ref_id",
    "name",
    "status",
    "amount",
    "score",
    "is_active",
    "created_at",
    "note",
    "payload",
)


def schema_names() -> list[str]:
    """The schemas the workload uses."""
    return [f"bench_{k}" for k in range(SCHEMA_COUNT)]


def layout(n: int) -> list[tuple[str, str, str]]:
    """(schema, table, referenced table) for each of the ``n`` tables."""
    schemas = schema_names()
    result = []
    previous: dict[str, str] = {}
    for i in range(n):
        schema = schemas[i % SCHEMA_COUNT]
        name = f"t{i:05d}"
        result.append((schema, name, previous.get(schema, name)))
        previous[schema] = name
    return result


def context_class(n: int) -> type[DbContext]:
    """A ``DbContext`` subclass whose model is the ``n``-table workload.

    Its entity classes are made here, as an application's modules define them when imported,
    so that the model's declaration and build (timed as the first ``DbContext``) do not
    include making 1,000 Python classes.
    """
    tables = [
        (schema, name, _entity_class(schema, name), _entity_class(schema, target))
        for schema, name, target in layout(n)
    ]

    def setup_model(self: DbContext, model: DbModelConfig) -> None:
        statuses = {s: model.enum(ENUM_NAME, list(ENUM_VALUES), schema=s) for s in schema_names()}
        for schema, name, entity_cls, target_cls in tables:
            with model.entity(entity_cls) as e:
                e.to_table(name, schema=schema)
                e.property("id").has_type(bigint("id").primary_key().generated_always_as_identity())
                e.property("ref_id").has_type(bigint("ref_id"))
                e.property("name").has_type(varchar("name", 100)).is_required().has_default_value(
                    "unnamed"
                )
                e.property("status").has_type(
                    enum_column("status", statuses[schema])
                ).is_required().has_default_value("new")
                e.property("amount").has_type(
                    numeric("amount", 12, 2)
                ).is_required().has_default_value(0)
                e.property("score").has_type(integer("score"))
                e.property("is_active").has_type(
                    boolean("is_active")
                ).is_required().has_default_value(True)
                e.property("created_at").has_type(
                    timestamptz("created_at")
                ).is_required().has_default_sql("now()")
                e.property("note").has_type(text("note"))
                e.property("payload").has_type(jsonb("payload")).has_default_sql("'{}'::jsonb")
                e.has_one("ref", target_cls).with_foreign_key("ref_id").with_principal_key(
                    "id"
                ).on_delete("set null")
                e.has_index(f"ix_{name}_name", ["name"])
                e.has_index(f"ix_{name}_ref_created", ["ref_id", "created_at"])

    return type(f"Bench{n}Database", (DbContext,), {"setup_model": setup_model})


_classes: dict[tuple[str, str], type[Any]] = {}


def _entity_class(schema: str, name: str) -> type[Any]:
    """One plain class per table, reused so both ends of a foreign key name the same one."""
    key = (schema, name)
    cls = _classes.get(key)
    if cls is None:
        cls = _classes[key] = type(f"{schema}_{name}", (), dict.fromkeys(COLUMNS))
    return cls


def metadata(n: int) -> sa.MetaData:
    """The same ``n`` tables as SQLAlchemy ``MetaData``, as a careful Alembic user writes it."""
    md = sa.MetaData()
    enums = {
        s: postgresql.ENUM(*ENUM_VALUES, name=ENUM_NAME, schema=s, create_type=False)
        for s in schema_names()
    }
    for schema, name, target in layout(n):
        sa.Table(
            name,
            md,
            sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
            sa.Column(
                "ref_id",
                sa.BigInteger,
                sa.ForeignKey(
                    f"{schema}.{target}.id", name=f"FK_{name}_{target}", ondelete="SET NULL"
                ),
            ),
            sa.Column("name", sa.String(100), nullable=False, server_default="unnamed"),
            sa.Column("status", enums[schema], nullable=False, server_default="new"),
            sa.Column("amount", sa.Numeric(12, 2), nullable=False, server_default="0"),
            sa.Column("score", sa.Integer),
            sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            ),
            sa.Column("note", sa.Text),
            sa.Column("payload", postgresql.JSONB, server_default=sa.text("'{}'::jsonb")),
            sa.PrimaryKeyConstraint("id", name=f"{name}_pkey"),
            sa.Index(f"ix_{name}_name", "name"),
            sa.Index(f"ix_{name}_ref_created", "ref_id", "created_at"),
            schema=schema,
        )
    return md
