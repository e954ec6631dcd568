"""Run the catalog queries: on two pool connections sharing one snapshot, or on one connection.

Every family a connection reads goes in one statement (:func:`combined_sql`): each family's
query becomes a ``json_agg`` subquery, one column of a single row, decoded here into one
``dict`` per catalog row (the names from :func:`_learn_columns`). A round trip per family
cost more than the queries themselves once the database is a few milliseconds away.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar

import anyio
import anyio.lowlevel
import asyncpg

from linkgress_async._clean_release import left_clean
from linkgress_async._gc import paused_gc
from linkgress_async.errors import LinkgressError
from linkgress_async.render.quote import quote_ident

from ._catalog_state import CATALOG_STATE
from ._export import (
    AnyConnection,
    Export,
    begin_and_export,
    begin_with_snapshot,
    commit_and_read,
    join_snapshot,
)
from ._fingerprint import ReadDigests
from ._queries import (
    OWN_READ_SETUP_VALUES,
    SESSION_SETUP_VALUES,
    SPLIT,
    Family,
    sql,
)

__all__ = [
    "AnyConnection",
    "FamilyRows",
    "FamilyTexts",
    "combined_sql",
    "decoded",
    "family_statement",
    "fetch_concurrently_then",
    "fetch_sequentially",
    "fetch_set_up",
    "fetch_texts_sequentially",
    "set_up_reading",
]

FamilyRows: TypeAlias = "dict[Family, list[dict[str, Any]]]"
FamilyTexts: TypeAlias = "dict[Family, str | None]"
"""Each family's rows as the server sent them: one JSON text (``None`` for no rows)."""
_Result = TypeVar("_Result")


# Each family's column names, per server major version, read from the server once a process
# (:func:`_learn_columns`): the rows travel as JSON arrays, a third of the size of objects
# naming every value, and decoded several times faster.
_columns: dict[tuple[Family, int], tuple[str, ...]] = {}


async def _learn_columns(conn: AnyConnection, families: Sequence[Family], major: int) -> None:
    missing = [family for family in families if (family, major) not in _columns]
    if not missing:
        return
    # Preparing (parsing, not running) one statement that selects every missing family's
    # columns, each family's after a marker column, reads all the names in one round trip.
    select = ", ".join(f'NULL AS "|", f{i}.*' for i in range(len(missing)))
    sources = ", ".join(f"(\n{sql(family, major)}\n) AS f{i}" for i, family in enumerate(missing))
    statement = await conn.prepare(f"SELECT {select} FROM {sources}")
    names = [attribute.name for attribute in statement.get_attributes()]
    starts = [i for i, name in enumerate(names) if name == "|"] + [len(names)]
    for family, start, end in zip(missing, starts, starts[1:], strict=False):
        _columns[family, major] = tuple(names[start + 1 : end])


@functools.cache
def combined_sql(
    families: tuple[Family, ...], columns: tuple[tuple[str, ...], ...], server_major: int = 0
) -> str:
    """One statement returning one row: a column per family (``columns``: its query's column
    names), its rows as a JSON array of arrays (NULL for none). Each query's ``ORDER BY``
    holds: an aggregate over a sorted subquery, with nothing between them, takes the rows in
    that order."""
    parts = []
    for family, names in zip(families, columns, strict=True):
        values = ", ".join(f"q.{quote_ident(name)}" for name in names)
        parts.append(
            f"(SELECT pg_catalog.json_agg(pg_catalog.json_build_array({values}))"
            f" FROM (\n{sql(family, server_major)}\n) AS q)::text AS {family.value}"
        )
    return "SELECT " + ",\n".join(parts)


async def family_statement(conn: AnyConnection, families: Sequence[Family]) -> str:
    """The statement reading ``families`` on ``conn``'s server (:func:`combined_sql`); it takes
    the schemas as its one parameter."""
    major = conn.get_server_version().major
    await _learn_columns(conn, families, major)
    key = tuple(families)
    return combined_sql(key, tuple(_columns[family, major] for family in key), major)


async def _fetch_texts(
    conn: AnyConnection,
    families: Sequence[Family],
    schemas: list[str],
    digests: ReadDigests | None = None,
) -> FamilyTexts:
    """Each family's rows as the server sent them; with ``digests``, each text's digest is
    noted there too (:mod:`._fingerprint`)."""
    row = await conn.fetchrow(await family_statement(conn, families), schemas)
    assert row is not None
    texts = dict(zip(families, row, strict=True))
    if digests is not None:
        digests.note(conn.get_server_version().major, texts)
    return texts


def decoded(texts: FamilyTexts, major: int) -> FamilyRows:
    """One ``dict`` per catalog row (call with the collector paused: decoding allocates a
    few hundred thousand objects, none in a cycle)."""
    results: FamilyRows = {}
    for family, text in texts.items():
        names = _columns[family, major]
        rows = json.loads(text or "[]")
        # Every row is the same json_build_array of the family's columns: one length to check.
        if rows and len(rows[0]) != len(names):
            raise LinkgressError(
                f"the {family.value} query returned rows of {len(rows[0])} values for "
                f"{len(names)} columns; please report it with the server's version"
            )
        results[family] = list(map(dict, map(zip, itertools.repeat(names), rows)))
    return results


async def fetch_sequentially(
    conn: AnyConnection,
    schemas: list[str],
    state: list[str] | None = None,
    *,
    own_transaction: bool,
    digests: ReadDigests | None = None,
) -> FamilyRows:
    """Run every family's query on ``conn``, which must already be inside a transaction
    (``state``: as for :func:`fetch_concurrently_then`; ``own_transaction``: as for
    :func:`set_up_reading`; ``digests``: as for :func:`fetch_texts_sequentially`)."""
    texts = await fetch_texts_sequentially(
        conn, schemas, state, own_transaction=own_transaction, digests=digests
    )
    return _decoded_on(conn, texts)


async def fetch_texts_sequentially(
    conn: AnyConnection,
    schemas: list[str],
    state: list[str] | None = None,
    *,
    own_transaction: bool,
    digests: ReadDigests | None = None,
) -> FamilyTexts:
    """:func:`fetch_sequentially`'s texts, not decoded; with ``digests``, each family's
    digest is noted there (and the catalog's state, if they ask for it)."""
    # The caller's state and the catalog's, read in the setup's round trip (one snapshot).
    with_state = digests is not None and digests.with_state
    expressions = ([state[0]] if state else []) + ([CATALOG_STATE] if with_state else [])
    values = await _set_up_reading(conn, expressions, own_transaction=own_transaction)
    if state:
        state[0] = values[0]
    if digests is not None and with_state:
        digests.catalog_state = values[-1]
    return await _fetch_texts(conn, tuple(Family), schemas, digests)


async def set_up_reading(
    conn: AnyConnection, expression: str | None = None, *, own_transaction: bool
) -> Any:
    """Set ``conn``'s transaction up for the catalog queries, in one round trip; with
    ``expression`` (SQL), its value, read in the same statement (else ``None``).
    ``own_transaction``: the transaction is the read's own, which then waits for locks
    however long (:data:`~._queries.OWN_READ_SETUP`), not the caller's (a migration's, whose
    ``lock_timeout`` stays)."""
    values = await _set_up_reading(
        conn, [] if expression is None else [expression], own_transaction=own_transaction
    )
    return values[0] if values else None


async def _set_up_reading(
    conn: AnyConnection, expressions: Sequence[str], *, own_transaction: bool
) -> list[Any]:
    """:func:`set_up_reading` with any number of expressions, read before the settings
    change; their values."""
    values = OWN_READ_SETUP_VALUES if own_transaction else SESSION_SETUP_VALUES
    if not expressions:
        await conn.execute(f"SELECT {values}")
        return []
    row = await conn.fetchrow(f"SELECT {', '.join(expressions)}, {values}")
    assert row is not None
    return list(row)[: len(expressions)]


async def fetch_set_up(
    conn: AnyConnection, schemas: list[str], families: Sequence[Family] = tuple(Family)
) -> FamilyRows:
    """Run ``families``' queries (default: every family's) on ``conn``, inside a transaction
    whose session is set up (:data:`~._queries.SESSION_SETUP`) already."""
    return _decoded_on(conn, await _fetch_texts(conn, families, schemas))


def _decoded_on(conn: AnyConnection, texts: FamilyTexts) -> FamilyRows:
    """:func:`decoded`, for the texts read on ``conn``, the collector paused."""
    with paused_gc():
        return decoded(texts, conn.get_server_version().major)


@contextlib.asynccontextmanager
async def _read_only(
    conn: AnyConnection,
    begin: str | Callable[[], Awaitable[object]],
    commit: Callable[[], Awaitable[object]] | None = None,
) -> AsyncIterator[None]:
    """A read-only transaction opened by ``begin`` (SQL, which may also import a snapshot and
    set up the session in the same round trip, or a function that opens it), committed (by
    ``commit``, a function that ends it, if given), and the connection marked clean."""
    try:
        # Inside: the BEGIN may succeed and a later statement of the same round trip fail.
        if isinstance(begin, str):
            await conn.execute(begin)
        else:
            await begin()
        yield
    except BaseException:
        # A broken connection is closed by the pool; shielded, so that a cancellation
        # cannot leave the transaction open on a connection going back to the pool.
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    if commit is None:
        await conn.execute("COMMIT")
    else:
        await commit()
    # A committed read-only transaction with transaction-local settings only.
    left_clean(conn)


def _state_commit(
    conn: AnyConnection, digests: ReadDigests | None
) -> Callable[[], Awaitable[None]] | None:
    """How the exporting transaction ends: with the catalog's state read in its snapshot as
    it commits (while the client assembles), when ``digests`` ask for it; else plainly."""
    if digests is None or not digests.with_state:
        return None
    kept = digests

    async def commit() -> None:
        kept.catalog_state = await commit_and_read(conn, CATALOG_STATE)

    return commit


class _Turn:
    """The reads acquiring connections of one pool: a lock, and how many hold or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = anyio.Lock()
        self.users = 0


# Each pool's turn (by id: asyncpg's pools take no weak references), while a concurrent read
# is acquiring its connections on it or waiting to: a read in progress keeps its pool alive,
# so no other pool can have that id meanwhile, and the entry goes with the last read.
_turns: dict[int, _Turn] = {}


@contextlib.asynccontextmanager
async def _acquiring_alone(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    """Within the block, no other concurrent read acquires connections of ``pool``."""
    key = id(pool)
    turn = _turns.get(key)
    if turn is None:
        turn = _turns[key] = _Turn()
    turn.users += 1
    try:
        async with turn.lock:
            yield
    finally:
        turn.users -= 1
        if turn.users == 0:
            del _turns[key]


async def fetch_concurrently_then(
    pool: asyncpg.Pool[Any],
    schemas: list[str],
    state: list[str] | None,
    process: Callable[[FamilyRows], _Result],
    digests: ReadDigests | None = None,
) -> _Result:
    """Run the families on two pool connections, one statement each, on one exported snapshot,
    and ``process`` the rows while the two transactions' COMMITs travel.

    The exporting connection makes three round trips (begin with the export and the session
    setup, see :mod:`._export`; its statement; commit), the other one three as well, begun
    at the same moment (begin with its own snapshot and the session setup, its statement,
    commit) and a fourth only when another transaction ended between the two beginnings (to
    import the exported snapshot instead); so an application waits for two of them one after
    another, the last COMMIT's round trip overlapping ``process`` (synchronous: it runs once
    both statements' rows are in, after both COMMITs were sent). With ``state`` (a list
    holding one SQL expression), the expression is read in the snapshot's round trip,
    before the session settings change, and replaces the list's item. With ``digests``, each
    family's digest is noted there, and the catalog's state if they ask for it, read as the
    exporting transaction commits.
    """
    leading, following = SPLIT
    exported = anyio.Event()
    joined = anyio.Event()
    connected = [anyio.Event(), anyio.Event()]
    read = [anyio.Event(), anyio.Event()]
    export: Export | None = None
    texts: FamilyTexts = {}
    early: FamilyRows = {}
    major = 0

    async def lead() -> None:
        nonlocal export, major
        async with pool.acquire() as conn:
            connected[0].set()
            major = conn.get_server_version().major

            async def begin() -> None:
                nonlocal export
                value, export = await begin_and_export(conn, state[0] if state else None)
                if state:
                    state[0] = value or ""

            async with _read_only(conn, begin, _state_commit(conn, digests)):
                exported.set()
                mine = await _fetch_texts(conn, leading, schemas, digests)
                # An exported snapshot can be imported only while its transaction is open.
                await joined.wait()
                if read[1].is_set():
                    texts.update(mine)
                else:
                    # The other statement is still running: decode these rows meanwhile.
                    with paused_gc():
                        early.update(decoded(mine, major))
                read[0].set()

    async def follow() -> None:
        async with pool.acquire() as conn:
            connected[1].set()

            async def begin() -> None:
                # Begun at the same moment as the exporting transaction: in the usual case
                # both have the same snapshot and the follower never waits for the export.
                own = await begin_with_snapshot(conn)
                await exported.wait()
                assert export is not None
                await join_snapshot(conn, own, export)

            async with _read_only(conn, begin):
                joined.set()
                mine = await _fetch_texts(conn, following, schemas, digests)
                if read[0].is_set():
                    texts.update(mine)
                else:
                    # The other statement is still running: decode these rows meanwhile.
                    with paused_gc():
                        early.update(decoded(mine, major))
                read[1].set()

    async with anyio.create_task_group() as tg:
        # Both connections are acquired at once (a cold pool opens them in parallel), and no
        # other read acquires meanwhile: two reads each holding one connection of a pool
        # with no third free would wait for each other's second one forever.
        async with _acquiring_alone(pool):
            tg.start_soon(lead)
            tg.start_soon(follow)
            for event in connected:
                await event.wait()
        for done in read:
            await done.wait()
        # One turn of the event loop: each task sends its COMMIT before the work starts.
        await anyio.lowlevel.checkpoint()
        # Decoded here (but for the rows of the statement that finished first, decoded while
        # the other ran), not as each statement's rows arrive, so that the rows are made
        # and freed within one pause of the collector: its collection when the pause ends
        # then walks only what ``process`` keeps, not every row as well.
        with paused_gc():
            rows = {**early, **decoded(texts, major)}
            early.clear()
            texts.clear()
            processed = process(rows)
            rows.clear()
    # Returned after the task group (which mypy cannot tell never swallows an error), once
    # both transactions have ended.
    return processed
