"""Read a live database's schema from ``pg_catalog`` into a ``Catalog``.

One query per catalog family (schemas and enums, sequences, tables and columns, constraints,
indexes, views and materialized views, functions and procedures, aggregates, domains,
composite types, extensions, dependencies), each a ``.sql`` resource in ``queries/``, with
schema names passed as one array parameter so the number of queries never grows with the
number of tables. The queries run with ``search_path = pg_catalog`` so that ``format_type``
and ``pg_get_expr`` spell user objects schema-qualified, as ``catalog``'s conventions
require. They take any list of schemas, ``pg_temp``'s too, so the canonical stage reads the
model's scratch objects with them.

What is read, and what is deliberately not:

* objects that belong to an extension (``pg_depend`` deptype ``e``) are never read, by any
  family: the extension stands for them;
* tables are ordinary and partitioned tables; partitions are skipped;
* a generated column is read as an ordinary column with ``default=None`` (its generation
  expression is not a default and the catalog has no field for it);
* sequences owned by a column (serial) or implementing an identity are read with their
  column, not as standalone sequences;
* indexes record their keys, ``INCLUDE`` columns, method, uniqueness and predicate, but not
  per-key ordering, operator classes or collations; a materialized view's indexes are read
  with it;
* only primary-key, unique, check and foreign-key constraints are read;
* the dependencies are those the diff cannot infer from names (see ``dependencies.sql``).
"""

from ._api import introspect, introspect_connection

__all__ = ["introspect", "introspect_connection"]
