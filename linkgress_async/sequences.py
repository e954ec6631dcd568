"""Runtime access to a declared sequence: ``await db.sequence(seq).next_value()``.

The Linkgress ``DbSequence`` in Python: ``next_value()``, ``current_value()`` and
``resync(value)``, run through the context's ``query``, so inside ``db.transaction()`` they
use the transaction's connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkgress_async.catalog import QualifiedName, Sequence
from linkgress_async.errors import ModelError
from linkgress_async.render.quote import qualified

if TYPE_CHECKING:
    from linkgress_async.context import DbContext

__all__ = ["DbSequence"]


class DbSequence:
    """A sequence of the model, bound to a context."""

    def __init__(self, db: DbContext, name: QualifiedName) -> None:
        self._db = db
        self.name = name
        """The sequence's schema-qualified name."""
        self._regclass = qualified(name.schema, name.name)

    def __repr__(self) -> str:
        return f"<DbSequence {self.name}>"

    async def next_value(self) -> int:
        """``nextval``: advance the sequence and return its new value."""
        rows = await self._db.query("SELECT pg_catalog.nextval($1::regclass) AS v", self._regclass)
        return int(rows[0]["v"])

    async def current_value(self) -> int | None:
        """The last value the sequence gave out in any session (``None`` before its first
        ``nextval``). Unlike ``currval`` it does not depend on the connection the pool hands
        out, which need not be the one that called ``next_value``."""
        rows = await self._db.query(
            "SELECT pg_catalog.pg_sequence_last_value($1::regclass) AS v", self._regclass
        )
        value = rows[0]["v"]
        return None if value is None else int(value)

    async def resync(self, value: int) -> None:
        """``setval(value)``: the next ``next_value()`` returns ``value`` plus the increment
        (for instance after rows were loaded with explicit ids)."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"resync takes an integer, not {value!r}")
        await self._db.query(
            "SELECT pg_catalog.setval($1::regclass, $2, true)", self._regclass, value
        )


def sequence_of(db: DbContext, sequence: Sequence | str) -> DbSequence:
    """The runtime handle of ``sequence``: what ``model.sequence(...)`` returned, or the name
    (``"seq"`` in ``public``, ``"schema.seq"``) of a sequence the model declares."""
    declared = {s.qualified_name: s for s in db.model.sequences}
    if isinstance(sequence, Sequence):
        name = sequence.qualified_name
    elif isinstance(sequence, str):
        schema, _, bare = sequence.rpartition(".")
        name = QualifiedName(schema or "public", bare)
    else:
        raise TypeError(f"db.sequence() takes a declared sequence or its name, not {sequence!r}")
    if name not in declared:
        known = ", ".join(str(n) for n in declared) or "none"
        raise ModelError(
            f"sequence {name} is not declared in {type(db).__name__}'s model (declared: "
            f"{known}); declare it with model.sequence(...)"
        )
    return DbSequence(db, name)
