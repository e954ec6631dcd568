"""How a changed key, constraint or index is carried out: in place where PostgreSQL can.

:mod:`.tables` pairs the old and new versions by name; these functions say whether the pair
differs only in what an ``ALTER`` changes without rebuilding the object:

* a check or foreign key whose flags alone change (deferral, ``NOT VALID``, ``ENFORCED``,
  ``NO INHERIT``) becomes one :class:`~linkgress_async.ops.AlterConstraint`, rendered in
  place where PostgreSQL allows it (see :mod:`linkgress_async.render.constraints_sql`);
* an index, primary key or unique constraint whose storage parameters alone change becomes
  :class:`~linkgress_async.ops.AlterIndexOptions` (``ALTER INDEX ... SET/RESET``).

Everything else is dropped and created again, which deletes no data.
"""

from __future__ import annotations

import attrs

from linkgress_async.catalog import (
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    UniqueConstraint,
)
from linkgress_async.ops import AlterConstraint, AlterIndexOptions

__all__ = ["altered_constraint", "altered_index_options"]


def altered_constraint(
    table: str, schema: str, old: CheckConstraint | ForeignKey, new: CheckConstraint | ForeignKey
) -> AlterConstraint | None:
    """The in-place change from ``old`` to ``new``, or ``None`` when more than flags differ."""
    same: bool
    if isinstance(old, ForeignKey) and isinstance(new, ForeignKey):
        same = new == attrs.evolve(
            old,
            not_valid=new.not_valid,
            enforced=new.enforced,
            deferrable=new.deferrable,
            initially_deferred=new.initially_deferred,
        )
    elif isinstance(old, CheckConstraint) and isinstance(new, CheckConstraint):
        same = new == attrs.evolve(
            old, not_valid=new.not_valid, enforced=new.enforced, no_inherit=new.no_inherit
        )
    else:
        return None
    return AlterConstraint(table, old, new, schema) if same else None


def altered_index_options(
    table: str,
    schema: str,
    old: Index | PrimaryKey | UniqueConstraint,
    new: Index | PrimaryKey | UniqueConstraint,
) -> AlterIndexOptions | None:
    """``ALTER INDEX ... SET/RESET`` when only the storage parameters differ, else ``None``.

    The index of a primary key or unique constraint has the constraint's name.
    """
    if type(old) is not type(new) or attrs.evolve(old, options=new.options) != new:
        return None
    return AlterIndexOptions(table, new.name, old.options, new.options, schema)
