"""The fluent model builder users configure in ``DbContext.setup_model``.

The builders only record declarations (in :mod:`~linkgress_async.model.specs`) and check what
can be checked locally; :meth:`DbModelConfig.build` checks the model as a whole and produces
the frozen :class:`~linkgress_async.catalog.Catalog`. The declarations live in one module per
family: entities (:mod:`.entity`, :mod:`.properties`, :mod:`.links`), types
(:mod:`.declare_types`), views and routines (:mod:`.declare_routines`); this module holds
:class:`DbModelConfig` itself, with schemas, enums, sequences and privileges.
"""

from __future__ import annotations

import enum as _enum
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as SequenceOf
from typing import Any, TypeVar

from linkgress_async.catalog import (
    Catalog,
    Comment,
    Grant,
    MaterializedView,
    ObjectRef,
    Owner,
    Sequence,
    View,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier, names, privileges, roles
from linkgress_async.model.access import Target, pg_schema, ref_of
from linkgress_async.model.build import BuiltModel, EntityMapping, build_catalog
from linkgress_async.model.database_settings import set_database_setting
from linkgress_async.model.declare_routines import RoutineDeclarations
from linkgress_async.model.declare_types import TypeDeclarations
from linkgress_async.model.entity import EntityBuilder
from linkgress_async.model.links import RelationshipBuilder
from linkgress_async.model.properties import PropertyBuilder
from linkgress_async.model.relationships import NAMINGS
from linkgress_async.model.search import SEARCH_NORMALIZE, SearchKey, search_support
from linkgress_async.model.sequences import SEQUENCE_TYPE_ALIASES, complete_sequence_options
from linkgress_async.model.specs import EntitySpec, ModelSpec
from linkgress_async.model.types import enum_labels, pg_composite, pg_enum

__all__ = [
    "DbModelConfig",
    "EntityBuilder",
    "PropertyBuilder",
    "RelationshipBuilder",
    "build_model",
]

T = TypeVar("T")


class DbModelConfig(TypeDeclarations, RoutineDeclarations):
    """The model being declared: entities, schemas, types, sequences, views, routines and
    privileges."""

    def __init__(self, *, naming: str = "default") -> None:
        """``naming="linkgress-ts"`` follows the conventions of Linkgress (TypeScript), so a
        database it created compares equal: foreign keys named
        ``FK_{table}_{target}_{first column}``, only ``has_one`` with a key makes a foreign
        key, identity sequences keep their default names (see docs/faq.md)."""
        if naming not in NAMINGS:
            raise ModelError(
                f"naming={naming!r} is not a naming convention; use one of "
                + ", ".join(repr(n) for n in NAMINGS)
            )
        self._spec = ModelSpec(naming=naming)
        self._builders: dict[type, EntityBuilder[Any]] = {}
        self._built: BuiltModel | None = None

    @property
    def naming(self) -> str:
        """The naming convention of this model (``"default"`` or ``"linkgress-ts"``)."""
        return self._spec.naming

    def entity(self, cls: type[T]) -> EntityBuilder[T]:
        """The builder of entity ``cls`` (the same one each time for the same class)."""
        if not isinstance(cls, type):
            raise ModelError(f"model.entity() takes an entity class, not {cls!r}")
        existing: EntityBuilder[T] | None = self._builders.get(cls)
        if existing is not None:
            return existing
        spec = self._spec.entities[cls] = EntitySpec(cls)
        builder: EntityBuilder[T] = EntityBuilder(spec)
        self._builders[cls] = builder
        return builder

    def schema(
        self, name: str, *, comment: str | None = None, owner: str | None = None
    ) -> pg_schema:
        """Declare a schema (schemas that tables, enums and sequences use are implied); the
        result is the name, usable as any declaration's ``schema=`` and as a grant target."""
        check_identifier(name, f"schema {name!r}")
        if name not in self._spec.schemas:
            self._spec.schemas.append(name)
        handle = pg_schema(name)
        self._annotate(handle, f"schema {name!r}", comment, owner)
        return handle

    def enum(
        self,
        name: str,
        values: Iterable[str] | type[_enum.Enum],
        schema: str | None = None,
        renamed_from: str | None = None,
        *,
        comment: str | None = None,
    ) -> pg_enum:
        """Declare an enum type; pass the returned handle to ``enum_column``.

        ``renamed_from`` is the type's previous name in the same schema: migrations rename
        the type instead of dropping it.
        """
        schema = "public" if schema is None else schema
        check_identifier(name, f"enum {name!r}: name")
        check_identifier(schema, f"enum {name!r}: schema name")
        if renamed_from is not None:
            check_identifier(renamed_from, f"enum {name!r}: renamed_from")
        handle = pg_enum(schema, name, enum_labels(name, values))
        for other in self._spec.enums:
            if other.qualified_name == handle.qualified_name:
                raise ModelError(
                    f"enum {schema}.{name} is declared twice; declare it once and reuse the handle"
                )
        self._spec.enums.append(handle)
        if renamed_from is not None:
            self._spec.enum_renames[handle.qualified_name] = renamed_from
        self._annotate(handle, f"enum {schema}.{name}", comment, None)
        return handle

    def sequence(
        self,
        name: str,
        schema: str | None = None,
        *,
        start_with: int | None = None,
        increment_by: int | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        cache: int | None = None,
        cycle: bool | None = None,
        data_type: str = "bigint",
        comment: str | None = None,
        owned_by: tuple[type, str] | None = None,
    ) -> Sequence:
        """Declare a standalone sequence, with PostgreSQL's defaults for unset options.

        ``owned_by=(Entity, "property")``: ``OWNED BY`` the property's column, so that
        dropping the column (or its table) drops the sequence.
        """
        schema = "public" if schema is None else schema
        check_identifier(name, f"sequence {name!r}: name")
        check_identifier(schema, f"sequence {name!r}: schema name")
        try:
            options = complete_sequence_options(
                data_type,
                start_with=start_with,
                increment_by=increment_by,
                min_value=min_value,
                max_value=max_value,
                cache=cache,
                cycle=cycle,
            )
        except ModelError as error:
            raise ModelError(f"sequence {schema}.{name}: {error}") from None
        kind = SEQUENCE_TYPE_ALIASES[data_type.strip().lower()]
        sequence = Sequence(schema, name, options, kind)
        for other in self._spec.sequences:
            if other.qualified_name == sequence.qualified_name:
                raise ModelError(f"sequence {schema}.{name} is declared twice; declare it once")
        if owned_by is not None:
            usable = isinstance(owned_by, tuple) and len(owned_by) == 2
            if not usable or not isinstance(owned_by[0], type) or not isinstance(owned_by[1], str):
                raise ModelError(
                    f"sequence {schema}.{name}: owned_by is (EntityClass, 'property'), "
                    f"not {owned_by!r}"
                )
            self._spec.sequence_owners[sequence.qualified_name] = owned_by
        self._spec.sequences.append(sequence)
        self._annotate(sequence, f"sequence {schema}.{name}", comment, None)
        return sequence

    # --- privileges, owners, comments ---------------------------------------------------

    def _annotate(self, target: object, where: str, comment: str | None, owner: str | None) -> None:
        ref = ref_of(target, where)
        if comment is not None:
            if not isinstance(comment, str):
                raise ModelError(f"{where}: a comment is a string, not {comment!r}")
            self._spec.comments.append(Comment(ref, comment))
        if owner is not None:
            check_identifier(owner, f"{where}: owner")
            self._spec.owners.append(Owner(ref, owner))

    def grant(
        self,
        *privilege: str,
        on: Target | type,
        to: str | SequenceOf[str],
        with_grant_option: bool = False,
        columns: str | SequenceOf[str] | None = None,
    ) -> DbModelConfig:
        """``GRANT privileges ON object TO roles``: ``on`` is an entity class or what a
        declaration returned (a schema, view, sequence, function, type...); ``columns``
        grants on those columns of an entity, view or materialized view only.

        Privileges are managed per role: the roles the model names here get exactly the
        privileges it declares on its objects; other roles' grants are left alone.
        """
        if isinstance(on, type):
            self.entity(on).grant(
                *privilege, to=to, with_grant_option=with_grant_option, columns=columns
            )
            return self
        if columns is None:
            self._privileges(privilege, on, to, grantable=with_grant_option, revoke=False)
            return self
        if not isinstance(on, View | MaterializedView):
            raise ModelError(
                f"model.grant: columns= grants on columns of an entity, view or materialized "
                f"view, not of {on!r}; leave columns out to grant on the whole object"
            )
        for column in names(columns, "model.grant, columns"):
            ref = ObjectRef("column", on.schema, on.name, column)
            self._privileges(privilege, ref, to, grantable=with_grant_option, revoke=False)
        return self

    def revoke(self, *privilege: str, on: Target, from_: str | SequenceOf[str]) -> DbModelConfig:
        """Take away a privilege PostgreSQL grants by default: ``EXECUTE`` on functions and
        ``USAGE`` on types from ``PUBLIC`` (``model.revoke("EXECUTE", on=f, from_="PUBLIC")``).
        """
        self._privileges(privilege, on, from_, grantable=False, revoke=True)
        return self

    def _privileges(
        self,
        privilege: tuple[str, ...],
        on: object,
        role: str | SequenceOf[str],
        *,
        grantable: bool,
        revoke: bool,
    ) -> None:
        verb = "revoke" if revoke else "grant"
        where = f"model.{verb}"
        ref = on if isinstance(on, ObjectRef) else ref_of(on, where)
        for name in privileges(privilege, where):
            for grantee in roles(role, where):
                # Declaration order: the diff grants in it, so the ACL lists roles alike.
                position = len(self._spec.grants)
                self._spec.grants.append(Grant(ref, grantee, name, grantable, revoke, position))

    def owner(self, target: Target | type, role: str) -> DbModelConfig:
        """``ALTER ... OWNER TO role`` for an entity class or a declared object."""
        if isinstance(target, type):
            self.entity(target).has_owner(role)
            return self
        self._annotate(target, "model.owner", None, role)
        return self

    def comment(
        self, target: Target | type, comment: str, *, column: str | None = None
    ) -> DbModelConfig:
        """``COMMENT ON`` an entity's table or a declared object; with ``column``, ``COMMENT
        ON COLUMN`` of a view, materialized view or composite type (an entity's columns take
        ``property(...).has_comment``)."""
        if column is None:
            if isinstance(target, type):
                self.entity(target).has_comment(comment)
                return self
            self._annotate(target, "model.comment", comment, None)
            return self
        where = "model.comment"
        if not isinstance(target, View | MaterializedView | pg_composite):
            raise ModelError(
                f"{where}: column= comments a column of a view, materialized view or composite "
                f"type, not of {target!r}; for an entity use e.property(...).has_comment(...)"
            )
        check_identifier(column, f"{where}: column")
        if not isinstance(comment, str):
            raise ModelError(f"{where}: a comment is a string, not {comment!r}")
        ref = ObjectRef("column", target.schema, target.name, column)
        self._spec.comments.append(Comment(ref, comment))
        return self

    # --- the result ---------------------------------------------------------------------

    def has_db_setting(self, name: str, value: str | int | float | bool) -> DbModelConfig:
        """``ALTER DATABASE <current> SET name = value``, which every new session of the
        database starts with (Linkgress' ``hasDbSetting``): ``has_db_setting("jit", False)``,
        ``has_db_setting("app.tenant", "acme")``. Booleans become ``on``/``off``, numbers
        their decimal text; a string is stored as given. ``migrate()`` sets a declared
        setting that is missing or differs and never resets an undeclared one; the role
        must own the database."""
        set_database_setting(self._spec, name, value)
        return self

    def use_search_normalize(self) -> DbModelConfig:
        """Declare the ``unaccent`` extension and ``public.search_normalize(text)`` even
        without an ``ix_normalized`` index, for queries that call it (Linkgress'
        ``useSearchNormalize()``)."""
        self._declare_search_support([SearchKey("-", (f"public.{SEARCH_NORMALIZE}",))])
        return self

    def _declare_search_support(self, keys: list[SearchKey]) -> None:
        """Declare what ``ix_unaccent``/``ix_normalized`` keys need, unless declared."""
        extensions, functions = search_support(keys)
        for name in extensions:
            if all(extension.name != name for extension in self._spec.extensions):
                self.extension(name, "public")
        for name, definition in functions:
            if all(
                (function.schema, function.name) != ("public", name)
                for function in self._spec.functions
            ):
                self.function(name, definition, "public")

    def build(self) -> Catalog:
        """Check the whole model and return it as a frozen catalog."""
        self._declare_search_support(
            [
                key
                for entity in self._spec.entities.values()
                for index in entity.indexes
                for key in index.elements
                if isinstance(key, SearchKey)
            ]
        )
        self._built = build_catalog(self._spec)
        return self._built.catalog

    @property
    def entities(self) -> Mapping[type, EntityMapping]:
        """Entity class → its table and property columns (builds the model if needed)."""
        if self._built is None:
            self.build()
        assert self._built is not None
        return self._built.entities


def build_model(setup: Callable[[DbModelConfig], object], *, naming: str = "default") -> Catalog:
    """Run ``setup`` (e.g. a context's ``setup_model``) on a fresh config and build it."""
    config = DbModelConfig(naming=naming)
    setup(config)
    return config.build()
