"""An analysis' comparison: the model's spelling reconciled with the live catalog's, the
diff's context and the owned diff, kept per client for a catalog and spelling unchanged."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncpg
import attrs
from attrs import frozen

from linkgress_async._gc import paused_gc
from linkgress_async.canonical import Canonical, diff_context, reconcile
from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection, PgClient, server_version_num
from linkgress_async.diff import DiffContext, RenameCandidate, with_renames
from linkgress_async.plan.ownership import (
    OwnershipPolicy,
    OwnershipSplit,
    hide_excluded,
    owned_diff,
)

if TYPE_CHECKING:
    from linkgress_async.manager import DbSchemaManager

__all__ = ["Comparison", "compare", "owned_diff_of"]


@frozen
class Comparison:
    """What comparing a live catalog with the model's spelling made: the spelling reconciled
    with the live one, the diff's context and the owned diff, for these inputs."""

    current: Catalog
    canonical: Canonical
    ownership: OwnershipPolicy
    spelled: Canonical
    context: DiffContext
    owned: OwnershipSplit


async def compare(
    manager: DbSchemaManager,
    speller: asyncpg.Pool | AnyConnection,
    pool: asyncpg.Pool,
    current: Catalog,
    canonical: Canonical,
    renames: Sequence[RenameCandidate],
) -> Comparison:
    """The model's live spelling (``speller``: as for :func:`_spelled`), the diff's context
    and the owned diff of ``current`` (read through ``pool``) against ``canonical``; spelled
    on the database itself, the client's last comparison when it compared these very
    catalogs (a kept catalog and a kept spelling: nothing changed) the same way."""
    client = manager.db.client
    kept_here = speller is pool and not renames
    if kept_here:
        kept = _kept_comparison(client, current, canonical, manager.ownership)
        if kept is not None:
            return kept
    spelled, context = await _spelled(speller, current, canonical, renames)
    # The version decides some SQL forms and what the server names: no round trip.
    context = attrs.evolve(context, server_version_num=await server_version_num(pool))
    owned = owned_diff_of(manager, current, spelled.catalog, context)
    compared = Comparison(current, canonical, manager.ownership, spelled, context, owned)
    if kept_here:
        _kept_comparisons[client] = compared
    return compared


async def _spelled(
    speller: asyncpg.Pool | AnyConnection,
    current: Catalog,
    canonical: Canonical,
    renames: Sequence[RenameCandidate],
) -> tuple[Canonical, DiffContext]:
    """The model with renames and the live spelling of what means the same, and the
    diff's context; ``speller`` is the database that spells (the target or a scratch)."""
    if renames:
        canonical = attrs.evolve(canonical, catalog=with_renames(canonical.catalog, renames))
    # Where the model's spelling differs from the database's only in how the server
    # wrote it (a dump/restore copy, a check copied from \d), it is the same thing.
    canonical = attrs.evolve(
        canonical, catalog=await reconcile(speller, current, canonical.catalog)
    )
    context = await diff_context(speller, current, canonical.catalog, canonical.enum_type_names)
    return canonical, context


def owned_diff_of(
    manager: DbSchemaManager, current: Catalog, target: Catalog, context: DiffContext
) -> OwnershipSplit:
    """The diff, less the drops of undeclared objects ``manager``'s ownership policy keeps."""
    with paused_gc():
        visible = hide_excluded(current, target, manager.ownership)
        return owned_diff(visible, target, manager.ownership, context)


# Each client's last comparison. A kept catalog (unchanged state) compared with a kept
# spelling (unchanged state token) under the same policy compares alike: the reconciling and
# the diff's context ask the server only about what these catalogs hold, and the server is
# as it was.
_kept_comparisons: weakref.WeakKeyDictionary[PgClient, Comparison] = weakref.WeakKeyDictionary()


def _kept_comparison(
    client: PgClient, current: Catalog, canonical: Canonical, ownership: OwnershipPolicy
) -> Comparison | None:
    """``client``'s last comparison, if it compared these very catalogs under ``ownership``."""
    kept = _kept_comparisons.get(client)
    if (
        kept is not None
        and kept.current is current
        # The very spelling; a model the server need not spell is wrapped anew each time.
        and kept.canonical.catalog is canonical.catalog
        and kept.canonical.enum_type_names == canonical.enum_type_names
        and kept.ownership == ownership
    ):
        return kept
    return None
