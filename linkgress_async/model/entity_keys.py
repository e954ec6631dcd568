"""The entity builder's keys, constraints and indexes."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
from typing import Generic, Self

from linkgress_async.errors import ModelError
from linkgress_async.model._args import (
    METHOD,
    check_identifier,
    expression,
    names,
    storage_parameters,
)
from linkgress_async.model._entity_parts import (
    EntityParts,
    T,
    check_comment,
    check_flag,
)
from linkgress_async.model.keys import IndexKey
from linkgress_async.model.search import SearchKey
from linkgress_async.model.specs import (
    CheckSpec,
    ExclusionSpec,
    IndexSpec,
    KeySpec,
    UniqueSpec,
)
from linkgress_async.model.statistics import StatisticsBuilder, new_statistics
from linkgress_async.render.quote import RawSql

__all__ = ["KeysAndIndexes"]

_INDEX_KEYS = (str, RawSql, IndexKey, SearchKey)


def _key(
    where: str,
    *,
    include: str | SequenceOf[str] | None,
    nulls_not_distinct: bool = False,
    deferrable: bool,
    initially_deferred: bool,
    without_overlaps: bool,
    options: Mapping[str, object] | None,
    comment: str | None,
) -> KeySpec:
    if initially_deferred and not deferrable:
        raise ModelError(f"{where}: initially_deferred needs deferrable=True")
    return KeySpec(
        include=() if include is None else names(include, where + ", include"),
        nulls_not_distinct=check_flag(nulls_not_distinct, where + ", nulls_not_distinct"),
        deferrable=check_flag(deferrable, where + ", deferrable"),
        initially_deferred=check_flag(initially_deferred, where + ", initially_deferred"),
        without_overlaps=check_flag(without_overlaps, where + ", without_overlaps"),
        options=storage_parameters(options or {}, where + ", options"),
        comment=check_comment(comment, where),
    )


class KeysAndIndexes(EntityParts, Generic[T]):
    """Keys, checks, exclusions and indexes of
    :class:`~linkgress_async.model.entity.EntityBuilder`."""

    def has_primary_key(
        self,
        columns: str | SequenceOf[str],
        name: str | None = None,
        *,
        include: str | SequenceOf[str] | None = None,
        deferrable: bool = False,
        initially_deferred: bool = False,
        without_overlaps: bool = False,
        options: Mapping[str, object] | None = None,
        comment: str | None = None,
    ) -> Self:
        """Set the primary key (instead of marking columns with ``.primary_key()``).

        ``without_overlaps=True`` (PostgreSQL 18) makes the last column a temporal key part.
        """
        where = f"{self._label}, primary key"
        self._spec.primary_key = names(columns, where)
        self._spec.primary_key_name = name
        self._spec.primary_key_options = _key(
            where,
            include=include,
            deferrable=deferrable,
            initially_deferred=initially_deferred,
            without_overlaps=without_overlaps,
            options=options,
            comment=comment,
        )
        return self

    def has_unique(
        self,
        name: str | None,
        columns: str | SequenceOf[str],
        renamed_from: str | None = None,
        *,
        include: str | SequenceOf[str] | None = None,
        nulls_not_distinct: bool = False,
        deferrable: bool = False,
        initially_deferred: bool = False,
        without_overlaps: bool = False,
        options: Mapping[str, object] | None = None,
        comment: str | None = None,
    ) -> Self:
        """Add a unique constraint (``name=None`` gives ``{table}_{cols}_key``)."""
        where = f"{self._label}, unique constraint {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, where + ", renamed_from")
        key = _key(
            where,
            include=include,
            nulls_not_distinct=nulls_not_distinct,
            deferrable=deferrable,
            initially_deferred=initially_deferred,
            without_overlaps=without_overlaps,
            options=options,
            comment=comment,
        )
        self._spec.uniques += (UniqueSpec(name, names(columns, where), renamed_from, key),)
        return self

    def has_statistics(
        self, name: str, columns: str | SequenceOf[str] | None = None
    ) -> StatisticsBuilder:
        """``CREATE STATISTICS name ON columns FROM table`` (Linkgress' ``hasStatistics``):
        planner statistics on how the properties' values relate; narrow them with
        ``.with_kinds("dependencies")``, add expressions with ``.with_expression(...)``.
        ``migrate()`` creates a missing one and rebuilds one that differs; an undeclared one
        is left alone."""
        spec, builder = new_statistics(name, columns, self._label)
        self._spec.statistics += (spec,)
        return builder

    def has_check(
        self,
        name: str,
        expression_sql: str | RawSql,
        renamed_from: str | None = None,
        *,
        not_valid: bool = False,
        no_inherit: bool = False,
        enforced: bool = True,
        comment: str | None = None,
    ) -> Self:
        """Add a ``CHECK`` constraint (``not_valid``: existing rows are not checked;
        ``enforced=False``: ``NOT ENFORCED``, PostgreSQL 18)."""
        where = f"{self._label}, check constraint {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, where + ", renamed_from")
        self._spec.checks += (
            CheckSpec(
                name,
                expression(expression_sql, where),
                renamed_from,
                check_flag(not_valid, where + ", not_valid"),
                check_flag(no_inherit, where + ", no_inherit"),
                check_flag(enforced, where + ", enforced"),
                check_comment(comment, where),
            ),
        )
        return self

    def has_exclusion(
        self,
        name: str,
        definition: str | RawSql,
        *,
        deferrable: bool = False,
        initially_deferred: bool = False,
        comment: str | None = None,
        renamed_from: str | None = None,
    ) -> Self:
        """Add an exclusion constraint: ``definition`` is the SQL from ``EXCLUDE`` on, e.g.
        ``"EXCLUDE USING gist (room WITH =, during WITH &&)"``."""
        where = f"{self._label}, exclusion constraint {name!r}"
        check_identifier(name, where)
        text = expression(definition, where).strip()
        if not text.upper().startswith("EXCLUDE"):
            text = f"EXCLUDE {text}"
        if initially_deferred and not deferrable:
            raise ModelError(f"{where}: initially_deferred needs deferrable=True")
        self._spec.exclusions += (
            ExclusionSpec(
                name,
                text,
                check_flag(deferrable, where + ", deferrable"),
                check_flag(initially_deferred, where + ", initially_deferred"),
                check_comment(comment, where),
                renamed_from,
            ),
        )
        return self

    def has_index(
        self,
        name: str,
        columns: str
        | RawSql
        | IndexKey
        | SearchKey
        | SequenceOf[str | RawSql | IndexKey | SearchKey],
        unique: bool = False,
        method: str = "btree",
        where: str | RawSql | None = None,
        include: str | SequenceOf[str] | None = None,
        renamed_from: str | None = None,
        *,
        opclass: str | None = None,
        nulls_not_distinct: bool = False,
        options: Mapping[str, object] | None = None,
        comment: str | None = None,
    ) -> Self:
        """Add an index on properties, ``sql(...)`` keys (an expression, or a column with its
        options: ``sql("created_at DESC")``) and ``index_key(...)`` keys.

        ``opclass`` is the operator class of every key that names none (Linkgress
        ``withOperatorClass``); ``options`` are storage parameters (``fillfactor``).
        """
        label = f"{self._label}, index {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, label + ", renamed_from")
        elements = (columns,) if isinstance(columns, _INDEX_KEYS) else tuple(columns)
        if not elements or not all(isinstance(e, _INDEX_KEYS) for e in elements):
            raise ModelError(
                f"{label}: columns must be property names, sql(...) keys, index_key(...) or "
                f"ix_lower/ix_unaccent/ix_normalized(...), not {columns!r}"
            )
        if method == "btree" and any(isinstance(e, SearchKey) and e.gin for e in elements):
            method = "gin"  # ix_normalized(..., gin=True): a trigram index
        access_method = method.lower() if isinstance(method, str) else ""
        if access_method != "btree" and not METHOD.fullmatch(access_method):
            raise ModelError(f"{label}: {method!r} is not an index method such as btree or gin")
        if unique and access_method != "btree":
            raise ModelError(
                f"{label}: only btree indexes can be unique in PostgreSQL, not {access_method}"
            )
        if opclass is not None and (not isinstance(opclass, str) or not opclass.strip()):
            raise ModelError(f"{label}: opclass must be an operator class name")
        # The contexts of the checks below are spelled only for arguments that are given.
        predicate = None if where is None else expression(where, label + ", where")
        included = () if include is None else names(include, label + ", include")
        if not isinstance(nulls_not_distinct, bool):
            check_flag(nulls_not_distinct, label + ", nulls_not_distinct")
        parameters = storage_parameters(options, label + ", options") if options else ()
        self._spec.indexes += (
            IndexSpec(
                name=name,
                elements=elements,
                unique=unique,
                method=access_method,
                where=predicate,
                include=included,
                renamed_from=renamed_from,
                opclass=None if opclass is None else opclass.strip(),
                nulls_not_distinct=nulls_not_distinct,
                options=parameters,
                comment=None if comment is None else check_comment(comment, label),
            ),
        )
        return self
