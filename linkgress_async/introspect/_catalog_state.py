"""The catalog's state: one short text that changes with any change a catalog read could see.

The re-check under the migration lock must know whether the catalog changed since the plan
was made. Reading it again and comparing digests of the texts (:mod:`._fingerprint`) answers
that, but costs a whole read while the lock is held: the catalog statements' server time, a
second or more at 10,000 tables. This answers it by scanning the catalogs the read looks at
(and those whose names its deparsed expressions print) and summing up each by its row count
and a sum of hashes of its rows' ``xmin``: every row version a transaction writes carries
that transaction's id, so any committed change since the plan's snapshot (a new, updated or
removed row) gives a different multiset of row versions and so, barring a 64-bit hash
collision, a different text; the removal of rows alone changes the count. It is a third of
the read's server time or less, and it is read in the plan's own snapshot in a round trip
that runs anyway (with the exporting transaction's COMMIT, while the client assembles).

Only catalogs every role can read are scanned, so any role that can read the catalog can
use it; role names (printed for owners and grants) come from ``pg_roles`` by content, as
``pg_authid`` is not readable, and of the shared catalogs of databases and their settings only
this database's rows count (a database created elsewhere changes nothing here). Any other
DDL in the database, a temporary table included, is a different state: the re-check then
reads the catalog, as it always did, and compares the texts. The server's version, the
database and the role are part of the text: the same state read elsewhere is not the same
read. A change this misses can only be one that writes no new row version (the server's own
statistics and freeze horizons, updated in place), which no catalog read depends on.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CATALOG_STATE"]

# Every catalog the family queries read, and those whose objects deparsed expressions,
# definitions and privileges name; all readable by every role, in every supported version.
_CATALOGS: Final = (
    "pg_aggregate",
    "pg_am",
    "pg_amop",
    "pg_amproc",
    "pg_attrdef",
    "pg_attribute",
    "pg_cast",
    "pg_class",
    "pg_collation",
    "pg_constraint",
    "pg_conversion",
    "pg_database",
    "pg_db_role_setting",
    "pg_default_acl",
    "pg_depend",
    "pg_description",
    "pg_enum",
    "pg_event_trigger",
    "pg_extension",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_index",
    "pg_inherits",
    "pg_init_privs",
    "pg_language",
    "pg_namespace",
    "pg_opclass",
    "pg_operator",
    "pg_opfamily",
    "pg_partitioned_table",
    "pg_policy",
    "pg_proc",
    "pg_publication",
    "pg_publication_rel",
    "pg_range",
    "pg_rewrite",
    "pg_seclabel",
    "pg_sequence",
    "pg_shdescription",
    "pg_shseclabel",
    "pg_statistic_ext",
    "pg_tablespace",
    "pg_transform",
    "pg_trigger",
    "pg_ts_config",
    "pg_ts_config_map",
    "pg_ts_dict",
    "pg_ts_parser",
    "pg_ts_template",
    "pg_type",
)


# Shared catalogs' rows of other databases: creating a database elsewhere changes nothing here.
_THIS_DATABASE: Final = (
    "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"
)
_WHERE: Final = {
    "pg_database": "datname = pg_catalog.current_database()",
    "pg_db_role_setting": f"setdatabase IN (0, {_THIS_DATABASE})",
}


def _versions(catalog: str) -> str:
    where = f" WHERE {_WHERE[catalog]}" if catalog in _WHERE else ""
    return (
        "(SELECT pg_catalog.count(*)::text || ':' || coalesce(pg_catalog.sum("
        f"pg_catalog.hashtextextended(xmin::text, 0))::text, '') FROM pg_catalog.{catalog}"
        f"{where})"
    )


_ROLES: Final = (
    "(SELECT pg_catalog.count(*)::text || ':' || coalesce(pg_catalog.sum("
    "pg_catalog.hashtextextended(oid::text || ' ' || rolname::text, 0))::text, '') "
    "FROM pg_catalog.pg_roles)"
)

CATALOG_STATE: Final = (
    "pg_catalog.md5(pg_catalog.concat_ws(';', "
    "pg_catalog.current_setting('server_version_num'), "
    "pg_catalog.current_database()::text, current_user::text, "
    + ", ".join(_versions(catalog) for catalog in _CATALOGS)
    + f", {_ROLES}))"
)
"""An SQL expression (text): the catalog's state as the current snapshot sees it."""
