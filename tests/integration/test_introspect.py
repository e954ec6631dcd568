"""Introspection against a real PostgreSQL: every object kind, spelled as ``catalog`` says."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any, cast

import anyio
import asyncpg
import attrs
import pytest

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Generated,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
)
from linkgress_async.introspect import introspect, introspect_connection
from linkgress_async.introspect._queries import SPLIT

INT4_MAX = 2_147_483_647
INT8_MAX = 9_223_372_036_854_775_807


def _identity(max_value: int, *, always: bool = True) -> Identity:
    return Identity(always, SequenceOptions(1, 1, 1, max_value))


@pytest.fixture
async def pool(linkgress_dsn: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    async with asyncpg.create_pool(linkgress_dsn, min_size=1, max_size=6) as pool:
        yield pool


async def read(
    pool: asyncpg.Pool[Any],
    ddl: str,
    schemas: Iterable[str] = ("public",),
    *,
    exclude_tables: Iterable[QualifiedName] = (),
) -> Catalog:
    """Run ``ddl``, then introspect every way there is; all of them must agree."""
    if ddl:
        await pool.execute(ddl)
    schemas, excluded = list(schemas), list(exclude_tables)
    concurrent = await introspect(pool, schemas, exclude_tables=excluded)
    sequential = await introspect(pool, schemas, exclude_tables=excluded, concurrent=False)
    async with pool.acquire() as conn:
        on_connection = await introspect_connection(conn, schemas, exclude_tables=excluded)
    assert sequential == concurrent
    assert on_connection == concurrent
    return without_attached(concurrent)


def without_attached(catalog: Catalog) -> Catalog:
    """``catalog`` without comments, privileges and owners (see test_introspect_security)."""
    return attrs.evolve(catalog, comments=(), grants=(), owners=())


async def test_empty_database(pool: asyncpg.Pool[Any]) -> None:
    assert await read(pool, "") == Catalog(schemas=("public",))


async def test_only_requested_schemas_that_exist(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE SCHEMA wanted;
        CREATE SCHEMA ignored;
        CREATE TYPE ignored.e AS ENUM ('x');
        CREATE SEQUENCE ignored.s;
        CREATE TABLE ignored.t (id int PRIMARY KEY);
        CREATE TABLE wanted.t (id int);
        CREATE VIEW wanted.v AS SELECT id FROM wanted.t;
        CREATE MATERIALIZED VIEW wanted.mv AS SELECT id FROM wanted.t;
        CREATE TYPE wanted.composite AS (a int);
        """,
        ["wanted", "missing", "wanted"],
    )
    # The view is read as a view, the materialized view as one, neither as a table.
    assert [(v.schema, v.name, v.depends_on) for v in catalog.views] == [
        ("wanted", "v", (QualifiedName("wanted", "t"),))
    ]
    assert [(v.schema, v.name) for v in catalog.materialized_views] == [("wanted", "mv")]
    assert [(t.schema, t.name) for t in catalog.composite_types] == [("wanted", "composite")]
    assert attrs.evolve(catalog, views=(), materialized_views=(), composite_types=()) == Catalog(
        schemas=("wanted",),
        tables=(Table("wanted", "t", (Column("id", "integer"),)),),
    )


async def test_bare_string_is_refused(pool: asyncpg.Pool[Any]) -> None:
    with pytest.raises(TypeError, match="iterable of names"):
        await introspect(pool, "public")


async def test_enums_keep_sort_order(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE SCHEMA other;
        CREATE TYPE public.post_status AS ENUM ('draft', 'published');
        ALTER TYPE public.post_status ADD VALUE 'review' BEFORE 'published';
        ALTER TYPE public.post_status ADD VALUE 'archived';
        ALTER TYPE public.post_status ADD VALUE 'new' BEFORE 'draft';
        CREATE TYPE other.mood AS ENUM ('it''s', 'with space', 'ünï');
        CREATE TYPE public.nothing AS ENUM ();
        CREATE TYPE public.not_an_enum AS (a int);
        """,
        ["public", "other"],
    )
    assert catalog.schemas == ("other", "public")
    assert catalog.enums == (
        Enum("other", "mood", ("it's", "with space", "ünï")),
        Enum("public", "nothing", ()),
        Enum("public", "post_status", ("new", "draft", "review", "published", "archived")),
    )


async def test_column_types_nullability_and_defaults(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE TYPE public.st AS ENUM ('a', 'b');
        CREATE TABLE public.t (
            a integer NOT NULL,
            b varchar(100) DEFAULT 'untitled',
            c numeric(10, 2) DEFAULT 0,
            d timestamptz NOT NULL DEFAULT now(),
            e integer[],
            f public.st DEFAULT 'a',
            g public.st[],
            h char(3),
            i boolean DEFAULT true,
            j jsonb DEFAULT '{}',
            k double precision,
            l timestamp(3) without time zone,
            m text
        );
        ALTER TABLE public.t DROP COLUMN m;
        """,
    )
    assert catalog.tables == (
        Table(
            "public",
            "t",
            (
                Column("a", "integer", False),
                Column("b", "character varying(100)", True, "'untitled'::character varying"),
                Column("c", "numeric(10,2)", True, "0"),
                Column("d", "timestamp with time zone", False, "now()"),
                Column("e", "integer[]"),
                Column("f", "public.st", True, "'a'::public.st"),
                Column("g", "public.st[]"),
                Column("h", "character(3)"),
                Column("i", "boolean", True, "true"),
                Column("j", "jsonb", True, "'{}'::jsonb"),
                Column("k", "double precision"),
                Column("l", "timestamp(3) without time zone"),
            ),
        ),
    )


async def test_identity_columns(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE TABLE public.t (
            a int GENERATED ALWAYS AS IDENTITY,
            b bigint GENERATED BY DEFAULT AS IDENTITY,
            c smallint GENERATED BY DEFAULT AS IDENTITY (
                SEQUENCE NAME public.custom_seq
                START WITH 10 INCREMENT BY 5 MINVALUE 2 MAXVALUE 1000 CACHE 20 CYCLE
            ),
            d bigint GENERATED ALWAYS AS IDENTITY (INCREMENT BY -1)
        );
        """,
    )
    (table,) = catalog.tables
    assert table.columns == (
        Column("a", "integer", False, None, _identity(INT4_MAX)),
        Column("b", "bigint", False, None, _identity(INT8_MAX, always=False)),
        Column(
            "c",
            "smallint",
            False,
            None,
            Identity(False, SequenceOptions(10, 5, 2, 1000, 20, True), "custom_seq"),
        ),
        Column(
            "d",
            "bigint",
            False,
            None,
            Identity(True, SequenceOptions(-1, -1, -INT8_MAX - 1, -1)),
        ),
    )
    assert catalog.sequences == ()


async def test_serial_columns_and_standalone_sequences(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE SEQUENCE public.shared START 100;
        CREATE SEQUENCE public.small AS integer
            START WITH 7 INCREMENT BY 3 MINVALUE 4 MAXVALUE 500 CACHE 10 CYCLE;
        CREATE SEQUENCE public.adopted;
        CREATE TABLE public.t (
            a serial,
            b bigserial PRIMARY KEY,
            c smallserial,
            d integer DEFAULT nextval('public.shared'),
            e bigint NOT NULL DEFAULT nextval('public.adopted') + 1
        );
        ALTER SEQUENCE public.adopted OWNED BY public.t.e;
        """,
    )
    (table,) = catalog.tables
    assert table.columns == (
        Column("a", "serial", False),
        Column("b", "bigserial", False),
        Column("c", "smallserial", False),
        Column("d", "integer", True, "nextval('public.shared'::regclass)"),
        Column("e", "bigint", False, "(nextval('public.adopted'::regclass) + 1)"),
    )
    # A sequence owned by a column whose default is not exactly its nextval is standalone.
    adopted = SequenceOptions(1, 1, 1, INT8_MAX)
    assert catalog.sequences == (
        Sequence("public", "adopted", adopted, owned_by=(QualifiedName("public", "t"), "e")),
        Sequence("public", "shared", SequenceOptions(100, 1, 1, INT8_MAX)),
        Sequence("public", "small", SequenceOptions(7, 3, 4, 500, 10, True), "integer"),
    )


async def test_generated_columns_have_no_default(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE TABLE public.t (
            price numeric NOT NULL,
            doubled numeric GENERATED ALWAYS AS (price * 2) STORED
        );
        """,
    )
    assert catalog.tables[0].columns == (
        Column("price", "numeric", False),
        Column("doubled", "numeric", generated=Generated("(price * (2)::numeric)")),
    )


async def test_constraints(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE SCHEMA outside;
        CREATE TABLE outside.owner (id int PRIMARY KEY);
        CREATE TABLE public.parent (
            a int,
            b text,
            code text CONSTRAINT parent_code_key UNIQUE,
            CONSTRAINT parent_pk PRIMARY KEY (b, a),
            CONSTRAINT parent_ab_uq UNIQUE (a, b)
        );
        CREATE TABLE public.child (
            id int NOT NULL,
            pa int,
            pb text DEFAULT 'x',
            code text,
            owner_id int,
            price numeric,
            CONSTRAINT child_price_check CHECK (price > 0),
            CONSTRAINT child_both CHECK (id < 10 OR code IS NOT NULL),
            CONSTRAINT fk_composite FOREIGN KEY (pa, pb) REFERENCES public.parent (a, b)
                ON DELETE SET DEFAULT ON UPDATE CASCADE,
            CONSTRAINT fk_reversed FOREIGN KEY (pb, pa) REFERENCES public.parent (b, a)
                MATCH FULL,
            CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES public.parent (code)
                ON DELETE SET NULL ON UPDATE RESTRICT,
            CONSTRAINT fk_owner FOREIGN KEY (owner_id) REFERENCES outside.owner
                ON DELETE RESTRICT ON UPDATE NO ACTION
        );
        """,
    )
    parent = catalog.table("public", "parent")
    assert parent is not None
    assert parent.primary_key == PrimaryKey("parent_pk", ("b", "a"))
    assert parent.uniques == (
        UniqueConstraint("parent_ab_uq", ("a", "b")),
        UniqueConstraint("parent_code_key", ("code",)),
    )
    assert parent.indexes == ()
    child = catalog.table("public", "child")
    assert child is not None
    assert child.primary_key is None
    assert child.checks == (
        CheckConstraint("child_both", "((id < 10) OR (code IS NOT NULL))"),
        CheckConstraint("child_price_check", "(price > (0)::numeric)"),
    )
    parent_name = QualifiedName("public", "parent")
    assert child.foreign_keys == (
        ForeignKey("fk_code", ("code",), parent_name, ("code",), "set null", "restrict"),
        ForeignKey("fk_composite", ("pa", "pb"), parent_name, ("a", "b"), "set default", "cascade"),
        ForeignKey(
            "fk_owner", ("owner_id",), QualifiedName("outside", "owner"), ("id",), "restrict"
        ),
        ForeignKey("fk_reversed", ("pb", "pa"), parent_name, ("b", "a"), match="full"),
    )


async def test_indexes(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE TABLE public.target (k int, l int, parent_k int, parent_l int);
        CREATE UNIQUE INDEX target_k_l_uidx ON public.target (k, l);
        ALTER TABLE public.target ADD CONSTRAINT target_parent_fkey
            FOREIGN KEY (parent_k, parent_l) REFERENCES public.target (k, l);
        CREATE TABLE public.t (
            id int PRIMARY KEY,
            email text CONSTRAINT t_email_key UNIQUE,
            title text,
            k int,
            l int,
            during tsrange,
            CONSTRAINT t_no_overlap EXCLUDE USING gist (during WITH &&),
            CONSTRAINT t_kl_fkey FOREIGN KEY (k, l) REFERENCES public.target (k, l)
        );
        CREATE INDEX ix_plain ON public.t (title);
        CREATE UNIQUE INDEX ix_unique_pair ON public.t (k DESC, title);
        CREATE INDEX ix_partial ON public.t (k) WHERE title IS NOT NULL AND k > 3;
        CREATE INDEX ix_expr ON public.t (lower(email), (k + l), title);
        CREATE INDEX ix_include ON public.t (k) INCLUDE (title, email);
        CREATE INDEX ix_hash ON public.t USING hash (email);
        """,
    )
    table = catalog.table("public", "t")
    assert table is not None
    assert table.indexes == (
        Index(
            "ix_expr",
            (
                IndexElement(expression="lower(email)"),
                IndexElement(expression="(k + l)"),
                IndexElement(column="title"),
            ),
        ),
        Index("ix_hash", (IndexElement(column="email"),), method="hash"),
        Index("ix_include", (IndexElement(column="k"),), include=("title", "email")),
        Index("ix_partial", (IndexElement(column="k"),), where="((title IS NOT NULL) AND (k > 3))"),
        Index("ix_plain", (IndexElement(column="title"),)),
        Index(
            "ix_unique_pair",
            (IndexElement(column="k", descending=True), IndexElement(column="title")),
            unique=True,
        ),
    )
    # Both foreign keys' conindid point at this index, one from the table itself; it is
    # still a plain unique index.
    assert catalog.table("public", "target") == Table(
        "public",
        "target",
        (
            Column("k", "integer"),
            Column("l", "integer"),
            Column("parent_k", "integer"),
            Column("parent_l", "integer"),
        ),
        foreign_keys=(
            ForeignKey(
                "target_parent_fkey",
                ("parent_k", "parent_l"),
                QualifiedName("public", "target"),
                ("k", "l"),
            ),
        ),
        indexes=(
            Index(
                "target_k_l_uidx",
                (IndexElement(column="k"), IndexElement(column="l")),
                unique=True,
            ),
        ),
    )


async def test_hostile_identifiers(pool: asyncpg.Pool[Any]) -> None:
    schema = 'My "Schema"'
    s = '"My ""Schema"""'  # the schema as SQL spells it
    enum_type = f'{s}."we\'ird enum"'
    sequence = f'{s}."seq ""q"" ü"'
    catalog = await read(
        pool,
        f"""
        CREATE SCHEMA {s};
        CREATE TYPE {enum_type} AS ENUM ('o''k', 'select');
        CREATE SEQUENCE {sequence};
        CREATE TABLE {s}."select" (
            "from" serial PRIMARY KEY,
            "we'ird col" {enum_type} DEFAULT 'o''k',
            "naïve ünïcode" int GENERATED ALWAYS AS IDENTITY,
            "Upper" int DEFAULT nextval('{sequence}'),
            CONSTRAINT "check ""it"" now" CHECK ("Upper" <> 0),
            CONSTRAINT "uq order" UNIQUE ("Upper", "from")
        );
        CREATE TABLE {s}."we'ird.table" (
            "id" bigserial,
            "ref" int REFERENCES {s}."select" ON DELETE CASCADE
        );
        CREATE INDEX "ix ""where"" ok" ON {s}."select" ("we'ird col") WHERE "Upper" > 1;
        """,
        [schema],
    )
    assert catalog == Catalog(
        schemas=(schema,),
        enums=(Enum(schema, "we'ird enum", ("o'k", "select")),),
        sequences=(Sequence(schema, 'seq "q" ü', SequenceOptions(1, 1, 1, INT8_MAX)),),
        tables=(
            Table(
                schema,
                "select",
                (
                    Column("from", "serial", False),
                    Column("we'ird col", enum_type, True, f"'o''k'::{enum_type}"),
                    Column("naïve ünïcode", "integer", False, None, _identity(INT4_MAX)),
                    Column("Upper", "integer", True, f"nextval('{sequence}'::regclass)"),
                ),
                PrimaryKey("select_pkey", ("from",)),
                uniques=(UniqueConstraint("uq order", ("Upper", "from")),),
                checks=(CheckConstraint('check "it" now', '("Upper" <> 0)'),),
                indexes=(
                    Index(
                        'ix "where" ok', (IndexElement(column="we'ird col"),), where='("Upper" > 1)'
                    ),
                ),
            ),
            Table(
                schema,
                "we'ird.table",
                (Column("id", "bigserial", False), Column("ref", "integer")),
                foreign_keys=(
                    ForeignKey(
                        "we'ird.table_ref_fkey",
                        ("ref",),
                        QualifiedName(schema, "select"),
                        ("from",),
                        on_delete="cascade",
                    ),
                ),
            ),
        ),
    )


async def test_uppercase_schema_and_reserved_words(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE SCHEMA "Sales";
        CREATE TABLE "Sales"."Order" ("User" int, "table" text DEFAULT 't');
        CREATE TABLE sales (id int);
        """,
        ["Sales"],
    )
    assert catalog == Catalog(
        schemas=("Sales",),
        tables=(
            Table(
                "Sales",
                "Order",
                (Column("User", "integer"), Column("table", "text", True, "'t'::text")),
            ),
        ),
    )


async def test_exclude_tables(pool: asyncpg.Pool[Any]) -> None:
    catalog = await read(
        pool,
        """
        CREATE TABLE public.__migrations (
            id SERIAL PRIMARY KEY,
            filename VARCHAR(255) NOT NULL UNIQUE,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
        );
        CREATE INDEX ix_applied ON public.__migrations (applied_at);
        CREATE TABLE public.kept (id int);
        """,
        exclude_tables=[QualifiedName("public", "__migrations"), QualifiedName("x", "kept")],
    )
    assert catalog == Catalog(
        schemas=("public",), tables=(Table("public", "kept", (Column("id", "integer"),)),)
    )


async def test_partitions_are_tables_with_their_own_declarations(
    pool: asyncpg.Pool[Any],
) -> None:
    catalog = await read(
        pool,
        """
        CREATE TABLE public.ref (id int, PRIMARY KEY (id)) PARTITION BY RANGE (id);
        CREATE TABLE public.ref_1 PARTITION OF public.ref FOR VALUES FROM (0) TO (10);
        CREATE TABLE public.ref_2 PARTITION OF public.ref FOR VALUES FROM (10) TO (20);
        CREATE TABLE public.m (id int, ref_id int REFERENCES public.ref, v int CHECK (v > 0))
            PARTITION BY LIST (id);
        CREATE TABLE public.m_1 PARTITION OF public.m FOR VALUES IN (1);
        CREATE INDEX ix_m_v ON public.m (v);
        CREATE INDEX ix_m_1_own ON public.m_1 (ref_id);
        """,
    )
    assert [t.name for t in catalog.tables] == ["m", "m_1", "ref", "ref_1", "ref_2"]
    m = catalog.table("public", "m")
    assert m is not None
    assert m.partition_by == "LIST (id)"
    assert m.foreign_keys == (
        ForeignKey("m_ref_id_fkey", ("ref_id",), QualifiedName("public", "ref"), ("id",)),
    )
    assert m.checks == (CheckConstraint("m_v_check", "(v > 0)"),)
    assert m.indexes == (Index("ix_m_v", (IndexElement(column="v"),)),)
    # The partition's copies of its parent's check, key and index are the parent's
    # declarations; its own index is its own.
    m_1 = catalog.table("public", "m_1")
    assert m_1 == Table(
        "public",
        "m_1",
        (Column("id", "integer"), Column("ref_id", "integer"), Column("v", "integer")),
        indexes=(Index("ix_m_1_own", (IndexElement(column="ref_id"),)),),
        partition_of=QualifiedName("public", "m"),
        partition_bound="FOR VALUES IN (1)",
    )
    ref_2 = catalog.table("public", "ref_2")
    assert ref_2 is not None
    assert ref_2.primary_key is None
    assert ref_2.partition_bound == "FOR VALUES FROM (10) TO (20)"


async def test_extension_members_are_skipped(pool: asyncpg.Pool[Any]) -> None:
    available = await pool.fetchval(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'"
    )
    if not available:
        pytest.skip("the citext extension is not installed on this server")
    catalog = await read(
        pool,
        """
        CREATE EXTENSION citext;
        CREATE TABLE public.mine (name public.citext);
        CREATE TABLE public.theirs (id serial);
        CREATE TYPE public.their_enum AS ENUM ('x');
        CREATE SEQUENCE public.their_seq;
        ALTER EXTENSION citext ADD TABLE public.theirs;
        ALTER EXTENSION citext ADD TYPE public.their_enum;
        ALTER EXTENSION citext ADD SEQUENCE public.their_seq;
        """,
    )
    # The extension stands for what it owns.
    assert [(e.name, e.schema) for e in catalog.extensions] == [("citext", "public")]
    assert attrs.evolve(catalog, extensions=()) == Catalog(
        schemas=("public",),
        tables=(Table("public", "mine", (Column("name", "public.citext"),)),),
    )


async def test_connection_in_transaction_sees_its_ddl_and_keeps_its_settings(
    pool: asyncpg.Pool[Any],
) -> None:
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("SET LOCAL search_path = public; CREATE TABLE t (id int)")
            catalog = await introspect_connection(conn, ["public"])
            assert catalog.tables == (Table("public", "t", (Column("id", "integer"),)),)
            assert await conn.fetchval("SHOW search_path") == "public"
            assert conn.is_in_transaction()
        finally:
            await transaction.rollback()
        after = await introspect_connection(conn, ["public"])
        assert without_attached(after) == Catalog(schemas=("public",))
        assert not conn.is_in_transaction()


class _HookedPool:
    """``pool``, whose connections call ``before(query)`` ahead of each simple query."""

    def __init__(self, pool: asyncpg.Pool[Any], before: Any) -> None:
        self._pool = pool
        self._before = before

    def get_max_size(self) -> int:
        return self._pool.get_max_size()

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        before = self._before

        class Hooked:
            def __init__(self, conn: Any) -> None:
                self._conn = conn

            def __getattr__(self, name: str) -> Any:
                return getattr(self._conn, name)

            async def execute(self, query: str, *args: object) -> str:
                await before(query)
                return str(await self._conn.execute(query, *args))

        async with self._pool.acquire() as conn:
            yield Hooked(conn)


async def test_concurrent_queries_share_one_snapshot(
    pool: asyncpg.Pool[Any], linkgress_dsn: str
) -> None:
    """DDL committed while the queries run is invisible to all of them, not to some: when
    it ends between the two transactions' beginnings, the second imports the first's
    snapshot."""
    await pool.execute("CREATE TABLE t (id int)")
    before = await introspect(pool, ["public"], concurrent=False)
    writer = await asyncpg.connect(linkgress_dsn)
    exported = anyio.Event()
    sent: list[str] = []

    async def commit_between(query: str) -> None:
        sent.append(query)
        if "pg_export_snapshot" in query:
            exported.set()
        elif "pg_current_snapshot" in query:
            # The other transaction has its snapshot: commit DDL before this one takes its own.
            await exported.wait()
            await writer.execute(
                "CREATE TYPE e AS ENUM ('x'); CREATE SEQUENCE s;"
                "ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0); CREATE INDEX i ON t (id)"
            )

    try:
        during = await introspect(cast(Any, _HookedPool(pool, commit_between)), ["public"])
    finally:
        await writer.close()
    assert len(SPLIT) == 2
    assert sum("SET TRANSACTION SNAPSHOT" in query for query in sent) == 1
    assert during == before
    after = await introspect(pool, ["public"])
    assert len(after.enums) == len(after.sequences) == len(after.tables[0].checks) == 1


async def test_concurrent_queries_on_the_same_snapshot_import_nothing(
    pool: asyncpg.Pool[Any],
) -> None:
    """With no transaction ending between the two beginnings, both transactions have the
    same snapshot: the second never waits for the export to import it."""
    await pool.execute("CREATE TABLE t (id int PRIMARY KEY)")
    sent: list[str] = []

    async def note(query: str) -> None:
        sent.append(query)

    catalog = await introspect(cast(Any, _HookedPool(pool, note)), ["public"])
    assert catalog == await introspect(pool, ["public"], concurrent=False)
    assert sum("pg_export_snapshot" in query for query in sent) == 1
    assert sum("pg_current_snapshot" in query for query in sent) == 2
    assert not any("SET TRANSACTION SNAPSHOT" in query for query in sent)


async def test_concurrent_reads_on_a_pool_of_two(linkgress_dsn: str) -> None:
    """Reads that each need both connections of the pool take turns acquiring them: none
    holds one while waiting for another read's (that waited forever)."""
    async with asyncpg.create_pool(linkgress_dsn, min_size=1, max_size=2) as pool:
        await pool.execute("CREATE TABLE t (id int PRIMARY KEY)")
        alone = await introspect(pool, ["public"])
        found: list[Catalog] = []

        async def read() -> None:
            found.append(await introspect(pool, ["public"]))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for _ in range(6):
                    group.start_soon(read)
    assert found == [alone] * 6


async def test_pool_of_one_connection(linkgress_dsn: str) -> None:
    async with asyncpg.create_pool(linkgress_dsn, min_size=1, max_size=1) as pool:
        await pool.execute("CREATE TABLE t (id int)")
        catalog = await introspect(pool, ["public"])
    assert catalog.tables == (Table("public", "t", (Column("id", "integer"),)),)


async def test_query_count_does_not_grow_with_tables(linkgress_dsn: str) -> None:
    statements: list[str] = []

    async def log_queries(conn: asyncpg.Connection[Any]) -> None:
        conn.add_query_logger(lambda record: statements.append(record.query))

    async def count(logged: asyncpg.Pool[Any], schema: str, *, concurrent: bool) -> int:
        statements.clear()
        catalog = await introspect(logged, [schema], concurrent=concurrent)
        assert catalog.tables
        return len(statements)

    async with asyncpg.create_pool(
        linkgress_dsn, min_size=1, max_size=6, init=log_queries
    ) as logged:
        for schema, tables in (("one", 1), ("many", 40)):
            await logged.execute(
                f"CREATE SCHEMA {schema};"
                + "".join(
                    f"CREATE TABLE {schema}.t{i} (id int PRIMARY KEY, v int CHECK (v > 0));"
                    f"CREATE INDEX ix{i} ON {schema}.t{i} (v);"
                    for i in range(tables)
                )
            )
        for concurrent in (True, False):
            one = await count(logged, "one", concurrent=concurrent)
            assert one == await count(logged, "many", concurrent=concurrent)
        # One statement for all the families a connection reads. Concurrently: the
        # exporter's BEGIN (with the export and setup), statement and COMMIT, the other's
        # BEGIN (with its snapshot and setup), statement and COMMIT, and the pool's reset of
        # both (this pool has asyncpg's own reset). In sequence: BEGIN, setup, statement,
        # COMMIT, reset.
        assert await count(logged, "many", concurrent=True) == 8
        assert await count(logged, "many", concurrent=False) == 5
