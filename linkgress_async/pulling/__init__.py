"""Pull: write the model of a live database as a Python module.

``pull(client)`` reads the catalog of the database's schemas (the same introspection the
schema manager uses) and writes a module that declares it with the model builder: an attrs
class per table and a ``DbContext`` subclass whose ``setup_model`` declares every object,
so that ``analyze()`` of the module's model against that database finds nothing to do.

Stages: :mod:`.names` (safe Python names), :mod:`.code` (Python source laid out as the
formatter leaves it), :mod:`.column_types`, the emitters of :mod:`.emit` (one per object
kind), :mod:`.module` (the assembly). Only :func:`pull_module` does I/O.

The package is ``pulling``, not ``pull``: ``linkgress_async.pull`` is the function, and
importing a submodule ``linkgress_async.pull.x`` would rebind that name to the package.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import anyio

from linkgress_async.canonical import enum_spellings
from linkgress_async.catalog import QualifiedName
from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.errors import PullError
from linkgress_async.introspect import introspect
from linkgress_async.pulling.context import Undeclared, check_class_name
from linkgress_async.pulling.module import PulledModule, render_module

__all__ = [
    "PulledModule",
    "Undeclared",
    "pull",
    "pull_module",
    "render_module",
    "user_schemas",
]

# Schemas that hold what users make: not the system's, not one an extension created.
_USER_SCHEMAS = """
SELECT n.nspname::text AS name
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname <> 'information_schema'
    AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_depend AS d
        WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
            AND d.objid = n.oid
            AND d.deptype = 'e'
    )
ORDER BY 1
"""

_JOURNAL = QualifiedName(DbContext.journal_schema, DbContext.journal_table)


async def user_schemas(client: PgClient) -> list[str]:
    """The database's own schemas: every schema but ``pg_*``, ``information_schema`` and
    those an extension created."""
    rows = await client.query(_USER_SCHEMAS)
    return [row["name"] for row in rows]


async def pull_module(
    client: PgClient,
    schemas: Iterable[str] | None = None,
    class_name: str = "Database",
    *,
    exclude_tables: Iterable[QualifiedName] = (_JOURNAL,),
) -> PulledModule:
    """Read the database of ``client`` and write the module declaring it.

    ``schemas`` default to :func:`user_schemas`; a schema that does not exist is a
    :class:`PullError`. ``exclude_tables`` are left out (by default the migration journal
    ``public.__migrations``, which the schema manager never manages). The result has the
    source and the objects the module could not declare (listed in it as comments).
    """
    check_class_name(class_name)
    if isinstance(schemas, str):
        raise TypeError(f"schemas must be an iterable of names, not the string {schemas!r}")
    pool = await client.connect()
    names = await user_schemas(client) if schemas is None else list(dict.fromkeys(schemas))
    catalog = await introspect(pool, names, exclude_tables=exclude_tables)
    missing = [name for name in names if name not in catalog.schemas]
    if missing:
        raise PullError(
            f"schema {', '.join(map(repr, missing))} does not exist in the database; "
            "name existing schemas, or none to pull every schema"
        )
    async with client.acquire() as conn:
        spellings = await enum_spellings(conn, catalog)
        current_user = await conn.fetchval("SELECT current_user::text")
    # Writing the module is pure CPU work, about a second at 1,000 tables: in a worker thread,
    # so that the application's other tasks keep running meanwhile.
    return await anyio.to_thread.run_sync(
        functools.partial(
            render_module, catalog, spellings, class_name=class_name, current_user=current_user
        )
    )


async def pull(
    client: PgClient, schemas: Iterable[str] | None = None, class_name: str = "Database"
) -> str:
    """The source of a module declaring the database of ``client`` (see :func:`pull_module`,
    which also says what the module could not declare)."""
    return (await pull_module(client, schemas, class_name)).source
