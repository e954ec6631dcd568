"""Read a live database's schema from ``pg_catalog`` into a ``Catalog``.

One query per catalog family (schemas and enums, sequences, tables and columns, table
properties, constraints, indexes, views and materialized views, functions and procedures,
aggregates, domains, composite types, extensions, dependencies), each a ``.sql`` resource in
``queries/``, with schema names passed as one array parameter so the number of queries never
grows with the number of tables. The families a connection reads travel as one statement
(each family a ``json_agg`` column of its single row), so a read is two transactions of one
statement each, or one in sequence, whatever the number of families. The queries run with
``search_path = pg_catalog`` so that ``format_type`` and ``pg_get_expr`` spell user objects
schema-qualified, as ``catalog``'s conventions require. They take any list of schemas,
``pg_temp``'s too, so the canonical stage reads the model's scratch objects with them.

What is read, and what is deliberately not:

* objects that belong to an extension (``pg_depend`` deptype ``e``) are never read, by any
  family: the extension stands for them;
* tables are ordinary and partitioned tables and partitions, with their persistence,
  storage parameters, partition key, parent and bound, and inheritance parents; objects that
  belong to an extension are skipped. A partition lists all its columns; a classic
  inheritance child only its local ones, and only its local checks (what it inherits is its
  parents' declaration); a partition's copies of its parent's foreign keys and indexes are
  the parent's;
* a generated column has its expression in ``generated`` and ``default=None``; a collation
  is read where it is not the type's default;
* sequences owned by a column (serial) or implementing an identity are read with their
  column; a sequence owned by a column that is not its serial default is a standalone
  sequence with ``owned_by``;
* indexes record their keys with each key's options as ``pg_get_indexdef`` prints them
  (operator class and its parameters, collation, ordering), ``INCLUDE`` columns, method,
  uniqueness, ``NULLS NOT DISTINCT``, storage parameters and predicate; a materialized
  view's indexes are read with it;
* primary-key, unique, check, foreign-key and exclusion constraints are read with all their
  flags; PostgreSQL 18's NOT NULL constraints only for their names, where not the default.
  Columns that only newer servers have (``conenforced``, ``conperiod``) are read there only
  (see ``_queries.py``).
* the dependencies are those the diff cannot infer from names (see ``dependencies.sql``).
* triggers of tables and views (not internal ones, not partitions' clones), row-level
  security switches and policies are read with their table or view;
* comments, privileges (relative to ``acldefault``, the owner's own left out) and owners of
  every object in the schemas are read whatever its kind (``_assemble_security``), so kinds
  the catalog models later have theirs already.
"""

from ._api import (
    introspect,
    introspect_connection,
    introspect_connection_if_changed,
    read_catalog,
)
from ._fingerprint import CatalogFingerprint, KeptCatalog

__all__ = [
    "CatalogFingerprint",
    "KeptCatalog",
    "introspect",
    "introspect_connection",
    "introspect_connection_if_changed",
    "read_catalog",
]
