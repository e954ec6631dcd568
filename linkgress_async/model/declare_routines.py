"""Declarations of views, materialized views, functions, procedures and aggregates."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
from typing import Literal

import attrs

from linkgress_async.catalog import (
    Aggregate,
    Comment,
    Function,
    Index,
    IndexElement,
    MaterializedView,
    ObjectRef,
    QualifiedName,
    TriggerEnabled,
    View,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import METHOD, check_identifier, expression, names
from linkgress_async.model._args import storage_parameters as parameters
from linkgress_async.model.access import ref_of
from linkgress_async.model.keys import IndexKey
from linkgress_async.model.specs import ModelSpec
from linkgress_async.model.triggers import trigger_of, trigger_spec
from linkgress_async.render.quote import RawSql

__all__ = ["MaterializedViewBuilder", "RoutineDeclarations"]


def _query(sql: str | RawSql, where: str) -> str:
    return expression(sql, where).strip().removesuffix(";").rstrip()


def _view_options(options: Mapping[str, object] | None, where: str) -> tuple[str, ...]:
    return parameters(options or {}, where + ", options")


def _element(key: str | RawSql | IndexKey) -> IndexElement:
    """A materialized view's index key: its output columns are named as they are."""
    if isinstance(key, RawSql):
        # The server parses a raw key, options and all, in the canonical stage.
        return IndexElement(expression=key.text, raw=True)
    if isinstance(key, str):
        return IndexElement(column=key)
    nulls_first = None if key.nulls is None else key.nulls == "first"
    # NULLS LAST is the default of an ascending key, NULLS FIRST of a descending one.
    if nulls_first is not None and nulls_first == key.descending:
        nulls_first = None
    return IndexElement(
        column=None if isinstance(key.key, RawSql) else key.key,
        expression=key.key.text if isinstance(key.key, RawSql) else None,
        collation=key.collation,
        opclass=key.opclass,
        opclass_options=key.opclass_options,
        descending=key.descending,
        nulls_first=nulls_first,
    )


class MaterializedViewBuilder:
    """A declared materialized view; ``has_index`` adds its indexes."""

    def __init__(self, spec: ModelSpec, position: int) -> None:
        self._spec = spec
        self._position = position

    @property
    def view(self) -> MaterializedView:
        """The declaration as it stands (a handle for grants and owners)."""
        return self._spec.materialized_views[self._position]

    def has_index(
        self,
        name: str,
        columns: str | RawSql | IndexKey | SequenceOf[str | RawSql | IndexKey],
        unique: bool = False,
        method: str = "btree",
        where: str | RawSql | None = None,
        include: str | SequenceOf[str] | None = None,
        *,
        options: Mapping[str, object] | None = None,
        nulls_not_distinct: bool = False,
        comment: str | None = None,
    ) -> MaterializedViewBuilder:
        """Add an index on the materialized view's output columns, ``sql(...)`` keys or
        ``index_key(...)`` keys (a column or expression with its operator class, collation,
        direction); ``nulls_not_distinct`` makes a unique index treat NULLs as equal."""
        view = self.view
        label = f"materialized view {view.schema}.{view.name}, index {name!r}"
        check_identifier(name, label)
        keys = (columns,) if isinstance(columns, str | RawSql | IndexKey) else tuple(columns)
        if not keys or not all(isinstance(k, str | RawSql | IndexKey) for k in keys):
            raise ModelError(
                f"{label}: columns are column names, sql(...) keys or index_key(...) keys"
            )
        access_method = method.lower() if isinstance(method, str) else ""
        if not METHOD.fullmatch(access_method):
            raise ModelError(f"{label}: {method!r} is not an index method such as btree or gin")
        if nulls_not_distinct and not unique:
            raise ModelError(f"{label}: nulls_not_distinct is for a unique index; add unique=True")
        index = Index(
            name,
            tuple(_element(key) for key in keys),
            unique,
            access_method,
            None if where is None else expression(where, label + ", where"),
            () if include is None else names(include, label + ", include"),
            options=parameters(options or {}, label + ", options"),
            nulls_not_distinct=bool(nulls_not_distinct),
        )
        if any(other.name == name for other in view.indexes):
            raise ModelError(f"{label}: declared twice; declare it once")
        self._spec.materialized_views[self._position] = attrs.evolve(
            view, indexes=(*view.indexes, index)
        )
        if comment is not None:
            self._spec.comments.append(Comment(ObjectRef("index", view.schema, name), comment))
        return self


class RoutineDeclarations:
    """``model.view``, ``materialized_view``, ``function``, ``procedure``, ``aggregate``."""

    _spec: ModelSpec

    def _commented(self, target: object, comment: str | None, where: str) -> None:
        if comment is None:
            return
        if not isinstance(comment, str):
            raise ModelError(f"{where}: a comment is a string, not {comment!r}")
        self._spec.comments.append(Comment(ref_of(target, where), comment))

    def view(
        self,
        name: str,
        sql: str | RawSql,
        schema: str | None = None,
        *,
        options: Mapping[str, object] | None = None,
        comment: str | None = None,
    ) -> View:
        """Declare a view whose query is ``sql`` (``SELECT ...``), created after the tables.

        The query is raw SQL, compared with the live view in the server's spelling: a change
        drops and creates the view again (with the views that use it). ``options`` are its
        ``WITH`` options: ``{"security_barrier": True, "check_option": "local"}``.
        """
        schema = "public" if schema is None else schema
        where = f"view {schema}.{name}"
        check_identifier(name, f"view {name!r}: name")
        check_identifier(schema, f"view {name!r}: schema name")
        query = _query(sql, where)
        for other in self._spec.views:
            if other.schema == schema and other.name == name:
                raise ModelError(f"view {schema}.{name} is declared twice; declare it once")
        view = View(
            schema,
            name,
            query,
            resolved=False,
            position=len(self._spec.views),
            options=_view_options(options, where),
        )
        self._spec.views.append(view)
        self._commented(view, comment, where)
        return view

    def view_trigger(
        self,
        view: View,
        name: str,
        function: Function | QualifiedName | str,
        *,
        timing: Literal["before", "after", "instead of"],
        events: str | SequenceOf[str],
        for_each: Literal["row", "statement"] = "statement",
        when: str | RawSql | None = None,
        arguments: SequenceOf[str] = (),
        enabled: TriggerEnabled = "origin",
        comment: str | None = None,
    ) -> View:
        """``CREATE TRIGGER name timing events ON view ...`` on a view ``model.view()``
        returned: an ``INSTEAD OF`` row trigger that makes it writable, or a statement
        trigger. The options mean what they mean in ``has_trigger``; returns the view."""
        names = [declared.qualified_name for declared in self._spec.views]
        if not isinstance(view, View) or view.qualified_name not in names:
            raise ModelError(
                f"model.view_trigger {name!r}: {view!r} is not a declared view; pass what "
                "model.view() returned"
            )
        where = f"view {view.schema}.{view.name}, trigger {name!r}"
        spec = trigger_spec(
            where,
            name,
            function,
            timing=timing,
            events=events,
            for_each=for_each,
            when=when,
            arguments=arguments,
            enabled=enabled,
            comment=comment,
        )
        position = names.index(view.qualified_name)
        current = self._spec.views[position]
        if any(trigger.name == name for trigger in current.triggers):
            raise ModelError(f"{where} is declared twice; declare it once")
        declared = attrs.evolve(current, triggers=(*current.triggers, trigger_of(spec, ())))
        self._spec.views[position] = declared
        if comment is not None:
            ref = ObjectRef("trigger", view.schema, view.name, name)
            self._spec.comments.append(Comment(ref, comment))
        return declared

    def materialized_view(
        self,
        name: str,
        sql: str | RawSql,
        schema: str | None = None,
        *,
        options: Mapping[str, object] | None = None,
        comment: str | None = None,
    ) -> MaterializedViewBuilder:
        """Declare a materialized view; add its indexes with ``.has_index(...)``."""
        schema = "public" if schema is None else schema
        where = f"materialized view {schema}.{name}"
        check_identifier(name, f"{where}: name")
        check_identifier(schema, f"{where}: schema name")
        for other in self._spec.materialized_views:
            if other.schema == schema and other.name == name:
                raise ModelError(f"{where} is declared twice; declare it once")
        position = len(self._spec.materialized_views)
        view = MaterializedView(
            schema,
            name,
            _query(sql, where),
            options=_view_options(options, where),
            resolved=False,
            position=position,
        )
        self._spec.materialized_views.append(view)
        self._commented(view, comment, where)
        return MaterializedViewBuilder(self._spec, position)

    def _routine(
        self, kind: str, name: str, definition: str | RawSql, schema: str | None
    ) -> tuple[str, str]:
        schema = "public" if schema is None else schema
        check_identifier(name, f"{kind} {name!r}: name")
        check_identifier(schema, f"{kind} {name!r}: schema name")
        text = expression(definition, f"{kind} {schema}.{name}").strip().removesuffix(";")
        return schema, text.rstrip()

    def function(
        self,
        name: str,
        definition: str | RawSql,
        schema: str | None = None,
        *,
        comment: str | None = None,
    ) -> Function:
        """Declare a function; ``definition`` is what follows its name in CREATE FUNCTION.

        For example ``"(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a + 1 $$"``.
        Functions are identified by schema, name and argument types, so overloads are
        separate declarations; the diff compares what the server stores, not the text.
        """
        schema, text = self._routine("function", name, definition, schema)
        position = len(self._spec.functions)
        function = Function(schema, name, definition=text, position=position)
        self._spec.functions.append(function)
        self._commented(function, comment, f"function {schema}.{name}")
        return function

    def procedure(
        self,
        name: str,
        definition: str | RawSql,
        schema: str | None = None,
        *,
        comment: str | None = None,
    ) -> Function:
        """Declare a procedure (``CREATE PROCEDURE name definition``), like :meth:`function`."""
        schema, text = self._routine("procedure", name, definition, schema)
        position = len(self._spec.functions)
        procedure = Function(schema, name, definition=text, position=position, kind="procedure")
        self._spec.functions.append(procedure)
        self._commented(procedure, comment, f"procedure {schema}.{name}")
        return procedure

    def aggregate(
        self,
        name: str,
        definition: str | RawSql,
        schema: str | None = None,
        *,
        comment: str | None = None,
    ) -> Aggregate:
        """Declare an aggregate: ``definition`` follows its name in CREATE AGGREGATE, e.g.
        ``"(text) (SFUNC = public.concat_step, STYPE = text)"``."""
        schema, text = self._routine("aggregate", name, definition, schema)
        position = len(self._spec.aggregates)
        aggregate = Aggregate(schema, name, definition=text, position=position)
        self._spec.aggregates.append(aggregate)
        self._commented(aggregate, comment, f"aggregate {schema}.{name}")
        return aggregate
