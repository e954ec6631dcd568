"""Immutable values describing a database schema, shared by every stage of the pipeline.

The model builder produces a :class:`Catalog` from the user's declarations; introspection
produces one from ``pg_catalog``; the diff compares two of them. Values compare by content, so
two catalogs that describe the same database are equal. One module per family of objects:
:mod:`.names`, :mod:`.columns`, :mod:`.constraints`, :mod:`.indexes`, :mod:`.tables`,
:mod:`.types`, :mod:`.routines`, :mod:`.attached` (comments, grants, owners),
:mod:`.dependencies` and :mod:`.catalog`; import them from here.

Conventions (both producers follow them, so the diff can compare with ``==``):

* ``Column.data_type`` is PostgreSQL's own spelling of the type as ``format_type`` prints it
  with ``search_path = pg_catalog``: ``integer``, ``character varying(100)``,
  ``timestamp with time zone``, ``numeric(10,2)``, ``integer[]``, ``public.post_status``.
  Columns declared ``serial``/``bigserial``/``smallserial`` (an integer column whose default
  is ``nextval`` of a sequence owned by the column) are spelled ``serial``, ``bigserial``,
  ``smallserial`` with ``default=None``.
* Defaults and expressions are SQL text; the canonical stage rewrites model text into the
  server's spelling (``pg_get_expr`` and friends with ``search_path = pg_catalog``, and the
  session settings of ``introspect._queries.SESSION_SETUP``: UTC, ISO dates) before
  comparing. Where the server spells one meaning two ways (a dump/restore copy), the
  canonical stage compares what the server means, not one of its spellings.
* Names of other objects inside values (collations, operator classes, trigger functions,
  referenced tables) are schema-qualified outside ``pg_catalog`` and quoted where needed,
  as ``format_type`` and ``pg_get_indexdef`` print them with that search path.
* Options that PostgreSQL defaults are stored only when they differ from the default
  (``None``, ``False``, ``()``), so a declaration that leaves them out compares equal.
* Sequence and identity options are always complete: the model fills PostgreSQL's defaults.
* An identity's ``sequence_name`` is ``None`` when it is PostgreSQL's default name
  (``{table}_{column}_seq``).
* Foreign-key actions are lower-case words: ``no action``, ``restrict``, ``cascade``,
  ``set null``, ``set default``.
* ``renamed_from`` (tables, columns, enums, indexes, constraints, triggers, policies) is a
  hint of the model's: the object's previous name, so the diff renames instead of dropping
  and adding. It takes no part in equality; introspected values never carry it.
* Views and functions compare by what the server stores: a view's query as
  ``pg_get_viewdef`` prints it, a function's ``pg_proc`` fields (not its CREATE text).
* Objects that belong to an extension are never part of a catalog; the
  :class:`Extension` stands for them.
* Comments, privileges and owners attach to an :class:`ObjectRef` in the catalog's flat
  ``comments``, ``grants`` and ``owners`` collections.
"""

from __future__ import annotations

from linkgress_async.catalog.attached import Comment, Grant, Owner
from linkgress_async.catalog.catalog import Catalog, Schema
from linkgress_async.catalog.columns import (
    SERIAL_STORAGE_TYPES,
    Column,
    Generated,
    Identity,
    SequenceOptions,
    storage_type,
)
from linkgress_async.catalog.constraints import (
    FK_ACTIONS,
    CheckConstraint,
    ExclusionConstraint,
    ForeignKey,
    ForeignKeyAction,
    ForeignKeyMatch,
    PrimaryKey,
    UniqueConstraint,
)
from linkgress_async.catalog.dependencies import Dependency, DependencyKind
from linkgress_async.catalog.indexes import Index, IndexElement
from linkgress_async.catalog.names import ObjectKind, ObjectRef, QualifiedName
from linkgress_async.catalog.routines import Aggregate, Function, MaterializedView, View
from linkgress_async.catalog.settings import DatabaseSetting
from linkgress_async.catalog.statistics import STATISTICS_KINDS, ExtendedStatistics
from linkgress_async.catalog.tables import Policy, PolicyCommand, Table, Trigger, TriggerEnabled
from linkgress_async.catalog.types import (
    CompositeAttribute,
    CompositeType,
    Domain,
    DomainCheck,
    Enum,
    Extension,
    Sequence,
)

__all__ = [
    "FK_ACTIONS",
    "SERIAL_STORAGE_TYPES",
    "STATISTICS_KINDS",
    "Aggregate",
    "Catalog",
    "CheckConstraint",
    "Column",
    "Comment",
    "CompositeAttribute",
    "CompositeType",
    "DatabaseSetting",
    "Dependency",
    "DependencyKind",
    "Domain",
    "DomainCheck",
    "Enum",
    "ExclusionConstraint",
    "ExtendedStatistics",
    "Extension",
    "ForeignKey",
    "ForeignKeyAction",
    "ForeignKeyMatch",
    "Function",
    "Generated",
    "Grant",
    "Identity",
    "Index",
    "IndexElement",
    "MaterializedView",
    "ObjectKind",
    "ObjectRef",
    "Owner",
    "Policy",
    "PolicyCommand",
    "PrimaryKey",
    "QualifiedName",
    "Schema",
    "Sequence",
    "SequenceOptions",
    "Table",
    "Trigger",
    "TriggerEnabled",
    "UniqueConstraint",
    "View",
    "storage_type",
]
