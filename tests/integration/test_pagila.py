"""Pagila, a real-world schema: pulled, recreated from the pulled model, and compared.

pg_dump is the oracle: the pull is clean, the model finds nothing to do on either database,
and the schema-only dumps of the source and of the copy built from the pulled model are
identical, privileges and comments included.

Pagila needs PostgreSQL 18 (``uuidv7()``, a virtual generated column) and pgvector, which the
embedded server ships.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async import PgClient
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import (
    context_class,
    dump_schema,
    import_module,
    load_sql,
    round_trip,
    sql_file,
)
from tests.ruff_clean import ruff_problems

PAGILA = Path(__file__).resolve().parents[1] / "realworld" / "pagila"


def temporal_ddl() -> str:
    """The DDL of pagila-temporal-setup.sql: what precedes its first INSERT (the rest needs
    PostgreSQL 19)."""
    text = sql_file(PAGILA / "pagila-temporal-setup.sql")
    return text[: text.index("INSERT INTO")]


async def test_pagila_is_pulled_and_recreated(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    if linkgress_server.server_version_num < 180000:
        pytest.skip("Pagila uses PostgreSQL 18 features (uuidv7(), virtual generated columns)")
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(source, sql_file(PAGILA / "pagila-schema.sql"))
    # A session of its own: the schema file empties search_path for its session.
    await load_sql(source, temporal_ddl())

    result = await round_trip(source, empty, tmp_path)

    source_code = result.module.source
    assert ruff_problems(source_code, tmp_path, "pagila_model.py") == ""
    model = context_class(import_module(source_code, tmp_path, "pagila_again")).__name__
    assert model == "Database"
    # 16 tables, 2 temporal ones and the 55 partitions of payment.
    assert source_code.count("with model.entity(") == 73
    assert result.on_source == []
    assert result.on_copy == []
    assert result.by_kind == {}
    assert result.differing_lines == []
    assert result.module.undeclared_by_kind == {}

    # Dump/restore stability: the source's pg_dump restored elsewhere is the same database to
    # the pulled model, although the server may store some expressions in another spelling.
    restored = await linkgress_databases.create()
    await load_sql(restored, "\n".join(dump_schema(source)))
    cls = context_class(import_module(source_code, tmp_path, "pagila_restored"))
    async with cls(PgClient(dsn=restored)) as db:
        assert await db.get_schema_manager(out=lambda _line: None).analyze() == []
