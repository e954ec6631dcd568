"""Pull declares keys, constraints and indexes with all their options: a database of them is
pulled, recreated from the pulled model and dumped alike (``pg_dump --schema-only``)."""

from __future__ import annotations

from pathlib import Path

from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import load_sql, round_trip, sql_file
from tests.ruff_clean import ruff_problems

SCHEMAS = Path(__file__).parent / "pull_schemas"

# The operator classes the indexes use; extensions are another kind's business, so both
# databases get them before the schema.
EXTENSIONS = (
    "CREATE EXTENSION pg_trgm WITH SCHEMA public; CREATE EXTENSION btree_gist WITH SCHEMA public;"
)

# Words in the kinds of notes about keys, constraints and indexes (none may be left).
KEY_KINDS = ("key", "constraint", "index", "check", "exclusion")


async def test_every_key_constraint_and_index_option_is_pulled_and_recreated(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(source, EXTENSIONS)
    await load_sql(source, sql_file(SCHEMAS / "keys.sql"))
    if linkgress_server.server_version_num >= 180000:
        await load_sql(source, sql_file(SCHEMAS / "keys_18.sql"))

    result = await round_trip(source, empty, tmp_path, prelude=EXTENSIONS)

    undeclared = [
        item for item in result.module.undeclared if any(k in item.kind for k in KEY_KINDS)
    ]
    assert undeclared == []
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "keys_model.py") == ""
    source_code = result.module.source
    for declared in (
        "nulls_not_distinct=True",
        "initially_deferred=True",
        'options={"fillfactor": 80, "deduplicate_items": "off"}',
        "not_valid=True",
        "no_inherit=True",
        "e.has_exclusion(",
        'index_key("email", opclass="public.gin_trgm_ops")',
        'opclass_options={"siglen": 32}',
        "collation='\"C\"'",
        'nulls="first"',
        '.on_delete("set null", columns="site")',
        '.with_match("full")',
        ".is_not_valid()",
    ):
        assert declared in source_code, declared
    if linkgress_server.server_version_num >= 180000:
        for declared in ("without_overlaps=True", ".with_period()", "enforced=False"):
            assert declared in source_code, declared


async def test_a_not_valid_check_is_created_with_its_new_table(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    # ensure_created() once left NOT VALID checks out (CREATE TABLE cannot hold them).
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(
        source,
        "CREATE TABLE t (id integer, CONSTRAINT t_id_check CHECK (id > 0) NO INHERIT);"
        " ALTER TABLE t ADD CONSTRAINT t_small CHECK (id < 10) NOT VALID;",
    )
    result = await round_trip(source, empty, tmp_path)
    assert (result.on_source, result.on_copy) == ([], [])
    assert result.differing_lines == [], "\n".join(result.difference)
