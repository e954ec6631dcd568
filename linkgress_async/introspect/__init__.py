"""Read a live database's schema from ``pg_catalog`` into a ``Catalog``.

One query per catalog family (schemas and enums, sequences, tables and columns, constraints,
indexes), each a ``.sql`` resource in ``queries/``, with schema names passed as one array
parameter so the number of queries never grows with the number of tables. The queries run
with ``search_path = pg_catalog`` so that ``format_type`` and ``pg_get_expr`` spell user
objects schema-qualified, as ``catalog``'s conventions require.

What is read, and what is deliberately not:

* tables are ordinary and partitioned tables; partitions and objects that belong to an
  extension are skipped;
* a generated column is read as an ordinary column with ``default=None`` (its generation
  expression is not a default and the catalog has no field for it);
* sequences owned by a column (serial) or implementing an identity are read with their
  column, not as standalone sequences;
* indexes record their keys, ``INCLUDE`` columns, method, uniqueness and predicate, but not
  per-key ordering, operator classes or collations;
* only primary-key, unique, check and foreign-key constraints are read;
* triggers of tables and views (not internal ones, not partitions' clones), row-level
  security switches and policies are read with their table or view;
* comments, privileges (relative to ``acldefault``, the owner's own left out) and owners of
  every object in the schemas are read whatever its kind (``_assemble_security``), so kinds
  the catalog models later have theirs already.
"""

from ._api import introspect, introspect_connection

__all__ = ["introspect", "introspect_connection"]
