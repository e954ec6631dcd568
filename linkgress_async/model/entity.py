"""The entity builder: one entity class's table (its partitioning, parent and storage), keys,
indexes, triggers and policies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from collections.abc import Sequence as SequenceOf
from types import TracebackType
from typing import Generic, Literal, TypeVar, get_args

from linkgress_async.catalog import (
    Function,
    PolicyCommand,
    QualifiedName,
    TriggerEnabled,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import (
    METHOD,
    attribute_names,
    check_identifier,
    expression,
    has_attribute,
    names,
    privileges,
    roles,
    selected_name,
    storage_parameters,
)
from linkgress_async.model.keys import IndexKey
from linkgress_async.model.links import RelationshipBuilder
from linkgress_async.model.properties import PropertyBuilder
from linkgress_async.model.search import SearchKey
from linkgress_async.model.specs import (
    CheckSpec,
    EntitySpec,
    ExclusionSpec,
    GrantSpec,
    IndexSpec,
    KeySpec,
    PolicySpec,
    PropertySpec,
    RelationshipSpec,
    UniqueSpec,
    entity_name,
)
from linkgress_async.model.statistics import StatisticsBuilder, new_statistics
from linkgress_async.model.triggers import function_name, trigger_spec
from linkgress_async.render.quote import RawSql

__all__ = ["EntityBuilder", "function_name"]

T = TypeVar("T")

_STRATEGIES = ("range", "list", "hash")
_FOR_VALUES = re.compile(r"FOR\s+VALUES\s")


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ModelError(f"{where}: expected True or False, not {value!r}")
    return value


def _comment(value: str | None, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ModelError(f"{where}: a comment is a string, not {value!r}")
    return value


def _text(value: str, where: str) -> str:
    if not isinstance(value, str):
        raise ModelError(f"{where}: a comment is a string, not {value!r}")
    return value


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
        nulls_not_distinct=_flag(nulls_not_distinct, where + ", nulls_not_distinct"),
        deferrable=_flag(deferrable, where + ", deferrable"),
        initially_deferred=_flag(initially_deferred, where + ", initially_deferred"),
        without_overlaps=_flag(without_overlaps, where + ", without_overlaps"),
        options=storage_parameters(options or {}, where + ", options"),
        comment=_comment(comment, where),
    )


class EntityBuilder(Generic[T]):
    """Configures one entity class; also a context manager (``with model.entity(User) as e``)."""

    def __init__(self, spec: EntitySpec) -> None:
        self._spec = spec

    def __enter__(self) -> EntityBuilder[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    @property
    def _label(self) -> str:
        return self._spec.label

    # --- the table ---------------------------------------------------------------------

    def to_table(
        self, name: str, schema: str | None = None, renamed_from: str | None = None
    ) -> EntityBuilder[T]:
        """Map the entity to table ``name`` in ``schema`` (default ``public``).

        ``renamed_from`` is the table's previous name in the same schema: migrations rename
        the table, keeping its rows, instead of dropping it and creating a new one.
        """
        if renamed_from is not None:
            check_identifier(renamed_from, f"{self._label}: renamed_from")
        self._spec.table = name
        self._spec.schema = schema
        self._spec.renamed_from = renamed_from
        return self

    def has_comment(self, comment: str) -> EntityBuilder[T]:
        """``COMMENT ON TABLE``."""
        self._spec.comment = _comment(comment, f"{self._label}: has_comment")
        return self

    def is_unlogged(self, unlogged: bool = True) -> EntityBuilder[T]:
        """``UNLOGGED``: faster writes, emptied after a crash, not replicated."""
        self._spec.unlogged = _flag(unlogged, f"{self._label}: is_unlogged")
        return self

    def has_storage_parameters(
        self, named: Mapping[str, object] | None = None, /, **parameters: object
    ) -> EntityBuilder[T]:
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
    ) -> EntityBuilder[T]:
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

    def is_partition_of(self, parent: type, bound: str | RawSql) -> EntityBuilder[T]:
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

    def inherits(self, *parents: type) -> EntityBuilder[T]:
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

    def has_row_level_security(self, *, force: bool = False) -> EntityBuilder[T]:
        """``ENABLE ROW LEVEL SECURITY`` (``force=True``: also ``FORCE``, for the owner)."""
        self._spec.rls_enabled = True
        self._spec.rls_forced = _flag(force, f"{self._label}: has_row_level_security")
        return self

    def grant(
        self,
        *privilege: str,
        to: str | SequenceOf[str],
        columns: str | SequenceOf[str] | None = None,
        with_grant_option: bool = False,
    ) -> EntityBuilder[T]:
        """``GRANT privileges ON table TO roles`` (on ``columns`` only, when given)."""
        where = f"{self._label}: grant"
        self._spec.grants.append(
            GrantSpec(
                privileges(privilege, where),
                roles(to, where),
                _flag(with_grant_option, where + ", with_grant_option"),
                columns=() if columns is None else names(columns, where + ", columns"),
            )
        )
        return self

    def has_constraint_comment(self, constraint: str, comment: str) -> EntityBuilder[T]:
        """``COMMENT ON CONSTRAINT constraint ON table``, for any constraint of the table by
        name, also one declared without a ``comment=`` of its own (a relationship's foreign
        key, a unique key from ``is_unique()``, a primary key)."""
        where = f"{self._label}: has_constraint_comment"
        check_identifier(constraint, where)
        self._spec.part_comments.append(("constraint", constraint, _text(comment, where)))
        return self

    def has_index_comment(self, index: str, comment: str) -> EntityBuilder[T]:
        """``COMMENT ON INDEX``, for an index of the table by name (the same as
        ``has_index(..., comment=...)``; also for the index of a key)."""
        where = f"{self._label}: has_index_comment"
        check_identifier(index, where)
        self._spec.part_comments.append(("index", index, _text(comment, where)))
        return self

    def has_owner(self, role: str) -> EntityBuilder[T]:
        """``ALTER TABLE ... OWNER TO role``."""
        check_identifier(role, f"{self._label}: has_owner")
        self._spec.owner = role
        return self

    # --- columns -----------------------------------------------------------------------

    def property(self, name_or_selector: str | Callable[[T], object]) -> PropertyBuilder:
        """Configure the property named ``name`` (or picked by ``lambda u: u.name``)."""
        cls = self._spec.cls
        label = self._label
        if isinstance(name_or_selector, str):
            name = name_or_selector
        elif callable(name_or_selector):
            name = selected_name(label, name_or_selector)
        else:
            raise ModelError(f"{label}: property() takes a name or a selector, not a number")
        if not has_attribute(cls, name):
            known = attribute_names(cls)
            hint = f" (its attributes: {', '.join(known)})" if known else ""
            raise ModelError(
                f"{label}, property {name!r}: {entity_name(cls)} has no attribute {name!r}"
                f"{hint}; name an attribute of the class"
            )
        spec = self._spec.properties.get(name)
        if spec is None:
            spec = self._spec.properties[name] = PropertySpec(name)
        return PropertyBuilder(self._spec, spec)

    # --- keys, constraints, indexes -----------------------------------------------------

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
    ) -> EntityBuilder[T]:
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
    ) -> EntityBuilder[T]:
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
        self._spec.uniques.append(UniqueSpec(name, names(columns, where), renamed_from, key))
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
        self._spec.statistics.append(spec)
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
    ) -> EntityBuilder[T]:
        """Add a ``CHECK`` constraint (``not_valid``: existing rows are not checked;
        ``enforced=False``: ``NOT ENFORCED``, PostgreSQL 18)."""
        where = f"{self._label}, check constraint {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, where + ", renamed_from")
        self._spec.checks.append(
            CheckSpec(
                name,
                expression(expression_sql, where),
                renamed_from,
                _flag(not_valid, where + ", not_valid"),
                _flag(no_inherit, where + ", no_inherit"),
                _flag(enforced, where + ", enforced"),
                _comment(comment, where),
            )
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
    ) -> EntityBuilder[T]:
        """Add an exclusion constraint: ``definition`` is the SQL from ``EXCLUDE`` on, e.g.
        ``"EXCLUDE USING gist (room WITH =, during WITH &&)"``."""
        where = f"{self._label}, exclusion constraint {name!r}"
        check_identifier(name, where)
        text = expression(definition, where).strip()
        if not text.upper().startswith("EXCLUDE"):
            text = f"EXCLUDE {text}"
        if initially_deferred and not deferrable:
            raise ModelError(f"{where}: initially_deferred needs deferrable=True")
        self._spec.exclusions.append(
            ExclusionSpec(
                name,
                text,
                _flag(deferrable, where + ", deferrable"),
                _flag(initially_deferred, where + ", initially_deferred"),
                _comment(comment, where),
                renamed_from,
            )
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
    ) -> EntityBuilder[T]:
        """Add an index on properties, ``sql(...)`` keys (an expression, or a column with its
        options: ``sql("created_at DESC")``) and ``index_key(...)`` keys.

        ``opclass`` is the operator class of every key that names none (Linkgress
        ``withOperatorClass``); ``options`` are storage parameters (``fillfactor``).
        """
        label = f"{self._label}, index {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, label + ", renamed_from")
        elements = (
            (columns,)
            if isinstance(columns, str | RawSql | IndexKey | SearchKey)
            else tuple(columns)
        )
        if not elements or not all(
            isinstance(e, str | RawSql | IndexKey | SearchKey) for e in elements
        ):
            raise ModelError(
                f"{label}: columns must be property names, sql(...) keys, index_key(...) or "
                f"ix_lower/ix_unaccent/ix_normalized(...), not {columns!r}"
            )
        if method == "btree" and any(isinstance(e, SearchKey) and e.gin for e in elements):
            method = "gin"  # ix_normalized(..., gin=True): a trigram index
        access_method = method.lower() if isinstance(method, str) else ""
        if not METHOD.fullmatch(access_method):
            raise ModelError(f"{label}: {method!r} is not an index method such as btree or gin")
        if unique and access_method != "btree":
            raise ModelError(
                f"{label}: only btree indexes can be unique in PostgreSQL, not {access_method}"
            )
        if opclass is not None and (not isinstance(opclass, str) or not opclass.strip()):
            raise ModelError(f"{label}: opclass must be an operator class name")
        self._spec.indexes.append(
            IndexSpec(
                name=name,
                elements=elements,
                unique=unique,
                method=access_method,
                where=None if where is None else expression(where, label + ", where"),
                include=() if include is None else names(include, label + ", include"),
                renamed_from=renamed_from,
                opclass=None if opclass is None else opclass.strip(),
                nulls_not_distinct=_flag(nulls_not_distinct, label + ", nulls_not_distinct"),
                options=storage_parameters(options or {}, label + ", options"),
                comment=_comment(comment, label),
            )
        )
        return self

    # --- triggers and policies ----------------------------------------------------------

    def has_trigger(
        self,
        name: str,
        function: Function | QualifiedName | str,
        *,
        timing: Literal["before", "after", "instead of"],
        events: str | SequenceOf[str],
        for_each: Literal["row", "statement"] = "statement",
        update_of: str | SequenceOf[str] | None = None,
        when: str | RawSql | None = None,
        arguments: SequenceOf[str] = (),
        referencing_old: str | None = None,
        referencing_new: str | None = None,
        constraint: bool = False,
        deferrable: bool = False,
        initially_deferred: bool = False,
        enabled: TriggerEnabled = "origin",
        comment: str | None = None,
        renamed_from: str | None = None,
    ) -> EntityBuilder[T]:
        """``CREATE TRIGGER name timing events ON table FOR EACH for_each EXECUTE FUNCTION
        function(arguments)``; ``enabled`` is ``origin`` (the default), ``disabled``,
        ``replica`` or ``always``."""
        where = f"{self._label}, trigger {name!r}"
        self._spec.triggers.append(
            trigger_spec(
                where,
                name,
                function,
                timing=timing,
                events=events,
                for_each=for_each,
                update_of=update_of,
                when=when,
                arguments=arguments,
                referencing_old=referencing_old,
                referencing_new=referencing_new,
                constraint=constraint,
                deferrable=deferrable,
                initially_deferred=initially_deferred,
                enabled=enabled,
                comment=comment,
                renamed_from=renamed_from,
            )
        )
        return self

    def has_policy(
        self,
        name: str,
        *,
        command: PolicyCommand = "all",
        permissive: bool = True,
        to: str | SequenceOf[str] = "public",
        using: str | RawSql | None = None,
        with_check: str | RawSql | None = None,
        comment: str | None = None,
        renamed_from: str | None = None,
    ) -> EntityBuilder[T]:
        """``CREATE POLICY name ON table [AS RESTRICTIVE] FOR command TO roles USING (...)
        WITH CHECK (...)``; needs ``has_row_level_security()`` to take effect."""
        where = f"{self._label}, policy {name!r}"
        check_identifier(name, where)
        if command not in get_args(PolicyCommand):
            raise ModelError(f"{where}: command is one of {', '.join(get_args(PolicyCommand))}")
        grantees = tuple(sorted(r.lower() if r == "PUBLIC" else r for r in roles(to, where)))
        self._spec.policies.append(
            PolicySpec(
                name=name,
                command=command,
                permissive=_flag(permissive, where + ", permissive"),
                roles=grantees,
                using=None if using is None else expression(using, where + ", using"),
                with_check=(
                    None if with_check is None else expression(with_check, where + ", with_check")
                ),
                comment=_comment(comment, where),
                renamed_from=renamed_from,
            )
        )
        return self

    # --- relationships -----------------------------------------------------------------

    def has_one(self, navigation: str, target: type) -> RelationshipBuilder:
        """A reference to one ``target``: the foreign key lives on this entity's table."""
        return self._relationship("one", navigation, target)

    def has_many(self, navigation: str, target: type) -> RelationshipBuilder:
        """A collection of ``target``: the foreign key lives on the target's table."""
        return self._relationship("many", navigation, target)

    def _relationship(
        self, kind: Literal["one", "many"], navigation: str, target: type
    ) -> RelationshipBuilder:
        call = "has_one" if kind == "one" else "has_many"
        if not isinstance(navigation, str) or not navigation:
            raise ModelError(f"{self._label}: {call} needs a navigation name")
        if not isinstance(target, type):
            raise ModelError(
                f"{self._label}, {call}({navigation!r}): the target must be an entity "
                f"class, not {target!r}"
            )
        spec = RelationshipSpec(self._spec.cls, kind, navigation, target)
        self._spec.relationships.append(spec)
        return RelationshipBuilder(spec)
