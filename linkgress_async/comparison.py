"""Compare two live databases: the plan that turns one into the other.

Both catalogs come from the server (the introspection the schema manager uses), so no model
and no canonical stage are involved: ``diff(introspect(from), introspect(to))``, ordered and
rendered like any plan. What migra did, on this library's catalog and diff.

The module is ``comparison``, not ``compare``: ``linkgress_async.compare`` is the function,
and importing a module of that name would rebind the package's attribute to the module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio
import attrs

from linkgress_async.canonical import diff_context, enum_spellings
from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.client import PgClient
from linkgress_async.diff import diff
from linkgress_async.introspect import introspect
from linkgress_async.ops import DropSchema, MigrationOperation
from linkgress_async.pulling import user_schemas

__all__ = ["compare"]


async def _read(client: PgClient, schemas: list[str]) -> tuple[Catalog, dict[QualifiedName, str]]:
    pool = await client.connect()
    catalog = await introspect(pool, schemas)
    async with client.acquire() as conn:
        return catalog, await enum_spellings(conn, catalog)


async def compare(
    from_client: PgClient,
    to_client: PgClient,
    schemas: Iterable[str] | None = None,
) -> list[MigrationOperation]:
    """The operations that make the database of ``from_client`` match ``to_client``'s.

    ``schemas`` default to the user schemas of both databases (every schema but ``pg_*``,
    ``information_schema`` and extensions' own). Nothing is changed; when a column's type
    differs, the ``from`` database is asked, in a transaction it rolls back, whether a cast
    converts it (else the plan drops and adds the column). A schema only the ``from``
    database has is dropped last. ``[]`` means the databases match.
    """
    if isinstance(schemas, str):
        raise TypeError(f"schemas must be an iterable of names, not the string {schemas!r}")
    if schemas is None:
        found: dict[str, list[str]] = {}

        async def list_schemas(key: str, client: PgClient) -> None:
            found[key] = await user_schemas(client)

        async with anyio.create_task_group() as group:
            group.start_soon(list_schemas, "from", from_client)
            group.start_soon(list_schemas, "to", to_client)
        names = sorted(set(found["from"]) | set(found["to"]))
    else:
        names = list(dict.fromkeys(schemas))
    read: dict[str, Any] = {}

    async def read_side(key: str, client: PgClient) -> None:
        read[key] = await _read(client, names)

    async with anyio.create_task_group() as group:
        group.start_soon(read_side, "from", from_client)
        group.start_soon(read_side, "to", to_client)
    current, current_enums = read["from"]
    target, target_enums = read["to"]
    pool = await from_client.connect()
    async with from_client.acquire() as conn:
        applier = await conn.fetchval("SELECT current_user::text")
    target = _without_applier_owners(current, target, applier)
    context = await diff_context(pool, current, target, {**current_enums, **target_enums})
    # The diff never drops a schema (a model that stops using one stops managing it); one
    # database without a schema the other has is a difference, dropped once it is empty.
    gone = [DropSchema(name) for name in current.schemas if name not in target.schemas]
    return [*diff(current, target, context), *gone]


def _without_applier_owners(current: Catalog, target: Catalog, applier: str) -> Catalog:
    """``target`` without the owners that the plan's role gets anyway: of the objects it
    creates, and of those it owns already (so two databases made by their own roles compare
    equal however those roles are called)."""
    owned = {owner.target: owner.role for owner in current.owners}
    kept = [
        owner
        for owner in target.owners
        if owner.role != applier or owned.get(owner.target, applier) != applier
    ]
    return attrs.evolve(target, owners=kept)
