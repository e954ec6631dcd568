"""The base class every migration file subclasses."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Migration"]


class Migration:
    """One schema change: override :meth:`up` and :meth:`down`.

    ``db`` is typed ``Any`` here so that a migration may annotate it with its own context class
    (``db: AppDatabase``) without breaking the override rules of a type checker. Set
    ``transactional = False`` for statements PostgreSQL refuses inside a transaction, such as
    ``CREATE INDEX CONCURRENTLY``.

    The scaffold also declares what the file deletes, so the runner can ask before it runs:
    ``destructive`` lists what ``up`` deletes, ``destructive_down`` what ``down`` deletes, and
    ``irreversible`` what ``down`` cannot restore. Hand-written files may set them too.

    ``replaces`` names the files a squashed file stands for (``squash`` writes it): on a
    database that applied all of them, the runner records this file as applied in their place
    instead of running it.
    """

    transactional: ClassVar[bool] = True
    destructive: ClassVar[tuple[str, ...]] = ()
    destructive_down: ClassVar[tuple[str, ...]] = ()
    irreversible: ClassVar[tuple[str, ...]] = ()
    replaces: ClassVar[tuple[str, ...]] = ()

    async def up(self, db: Any) -> None:
        """Apply the change."""
        raise NotImplementedError(f"{type(self).__name__} does not define up()")

    async def down(self, db: Any) -> None:
        """Revert the change."""
        raise NotImplementedError(f"{type(self).__name__} does not define down()")
