"""The entity builder's table options: comment, storage, partitioning, inheritance, row-level
security, grants, owner, and comments on the table's constraints and indexes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
from typing import Generic, Literal, Self

from linkgress_async.errors import ModelError
from linkgress_async.model._args import (
    check_identifier,
    expression,
    names,
    privileges,
    roles,
    storage_parameters,
)
from linkgress_async.model._entity_parts import (
    EntityParts,
    T,
    check_comment,
    check_flag,
    check_text,
)
from linkgress_async.model.specs import (
    GrantSpec,
)
from linkgress_async.render.quote import RawSql

__all__ = ["TableOptions"]

_STRATEGIES = ("range", "list", "hash")
_FOR_VALUES = re.compile(r"FOR\s+VALUES\s")


class TableOptions(EntityParts, Generic[T]):
    """Table-level declarations of :class:`~linkgress_async.model.entity.EntityBuilder`."""

    def has_comment(self, comment: str) -> Self:
        """``COMMENT ON TABLE``."""
        self._spec.comment = check_comment(comment, f"{self._label}: has_comment")
        return self

    def is_unlogged(self, unlogged: bool = True) -> Self:
        """``UNLOGGED``: faster writes, emptied after a crash, not replicated."""
        self._spec.unlogged = check_flag(unlogged, f"{self._label}: is_unlogged")
        return self

    def has_storage_parameters(
        self, named: Mapping[str, object] | None = None, /, **parameters: object
    ) -> Self:
        """Storage parameters, ``WITH (fillfactor = 70, autovacuum_enabled = false)``; those
        of the TOAST table in a mapping: ``has_storage_parameters({"toast.fillfactor": 90})``.
        """
        where = f"{self._label}: has_storage_parameters"
        values = {**(named or {}), **parameters}
        checked = {option.partition("=")[0]: option for option in storage_parameters(values, where)}
        # In the order given: PostgreSQL keeps it, and pg_dump prints it.
        self._spec.storage = tuple(checked[name] for name in values)
        return self

    def has_partitioning(
        self,
        strategy: Literal["range", "list", "hash"],
        columns: str | SequenceOf[str] | None = None,
        *,
        expression_sql: str | RawSql | None = None,
    ) -> Self:
        """Make the table partitioned (Linkgress ``hasPartitioning``): ``PARTITION BY
        RANGE|LIST|HASH`` over properties, or over a raw key (``expression_sql``)."""
        where = f"{self._label}: has_partitioning"
        kind = strategy.lower() if isinstance(strategy, str) else ""
        if kind not in _STRATEGIES:
            raise ModelError(f"{where}: strategy is one of {', '.join(_STRATEGIES)}")
        if (columns is None) == (expression_sql is None):
            raise ModelError(f"{where}: give the key columns or expression_sql=, not both")
        if columns is not None:
            self._spec.partition_by = None
            self._spec.partition_columns = (kind, names(columns, where))
        else:
            assert expression_sql is not None
            key = expression(expression_sql, where)
            self._spec.partition_columns = None
            self._spec.partition_by = f"{kind.upper()} ({key})"
        return self

    def is_partition_of(self, parent: type, bound: str | RawSql) -> Self:
        """Make the table a partition of the table of entity ``parent`` (which has
        ``has_partitioning``): ``bound`` is ``"FOR VALUES FROM (...) TO (...)"``,
        ``"FOR VALUES IN (...)"``, ``"FOR VALUES WITH (MODULUS m, REMAINDER r)"`` or
        ``"DEFAULT"``. The partition declares all of its columns, in its own order."""
        where = f"{self._label}: is_partition_of"
        if not isinstance(parent, type):
            raise ModelError(f"{where}: the parent must be an entity class, not {parent!r}")
        if parent is self._spec.cls:
            raise ModelError(f"{where}: a table cannot be a partition of itself; name another")
        text = expression(bound, where + ", bound").strip()
        upper = text.upper()
        if upper != "DEFAULT" and not _FOR_VALUES.match(upper):
            raise ModelError(
                f"{where}: the bound is 'FOR VALUES FROM (...) TO (...)', 'FOR VALUES IN "
                f"(...)', 'FOR VALUES WITH (MODULUS m, REMAINDER r)' or 'DEFAULT', not {text!r}"
            )
        self._spec.partition_of = parent
        self._spec.partition_bound = "DEFAULT" if upper == "DEFAULT" else text
        return self

    def inherits(self, *parents: type) -> Self:
        """Classic inheritance (``INHERITS (parent, ...)``) from the tables of the entities
        ``parents``, in order. The child declares only its own columns and checks: the
        ones it inherits are its parents'."""
        where = f"{self._label}: inherits"
        if not parents or not all(isinstance(parent, type) for parent in parents):
            raise ModelError(f"{where}: name the parent entity classes, not {parents!r}")
        if self._spec.cls in parents:
            raise ModelError(f"{where}: a table cannot inherit from itself; name another")
        if len(set(parents)) != len(parents):
            raise ModelError(f"{where}: a parent is named twice; name each once")
        self._spec.inherits = tuple(parents)
        return self

    def has_row_level_security(self, *, force: bool = False) -> Self:
        """``ENABLE ROW LEVEL SECURITY`` (``force=True``: also ``FORCE``, for the owner)."""
        self._spec.rls_enabled = True
        self._spec.rls_forced = check_flag(force, f"{self._label}: has_row_level_security")
        return self

    def grant(
        self,
        *privilege: str,
        to: str | SequenceOf[str],
        columns: str | SequenceOf[str] | None = None,
        with_grant_option: bool = False,
    ) -> Self:
        """``GRANT privileges ON table TO roles`` (on ``columns`` only, when given)."""
        where = f"{self._label}: grant"
        self._spec.grants += (
            GrantSpec(
                privileges(privilege, where),
                roles(to, where),
                check_flag(with_grant_option, where + ", with_grant_option"),
                columns=() if columns is None else names(columns, where + ", columns"),
            ),
        )
        return self

    def has_constraint_comment(self, constraint: str, comment: str) -> Self:
        """``COMMENT ON CONSTRAINT constraint ON table``, for any constraint of the table by
        name, also one declared without a ``comment=`` of its own (a relationship's foreign
        key, a unique key from ``is_unique()``, a primary key)."""
        where = f"{self._label}: has_constraint_comment"
        check_identifier(constraint, where)
        self._spec.part_comments += (("constraint", constraint, check_text(comment, where)),)
        return self

    def has_index_comment(self, index: str, comment: str) -> Self:
        """``COMMENT ON INDEX``, for an index of the table by name (the same as
        ``has_index(..., comment=...)``; also for the index of a key)."""
        where = f"{self._label}: has_index_comment"
        check_identifier(index, where)
        self._spec.part_comments += (("index", index, check_text(comment, where)),)
        return self

    def has_owner(self, role: str) -> Self:
        """``ALTER TABLE ... OWNER TO role``."""
        check_identifier(role, f"{self._label}: has_owner")
        self._spec.owner = role
        return self
