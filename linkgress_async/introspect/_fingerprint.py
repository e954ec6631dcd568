"""A catalog read by content, so that a second read of an unchanged catalog is not assembled.

The catalog is a pure function of the statements' text (and of the server version, which
picks the queries and their columns, and the tables left out), so two reads whose texts are
byte for byte the same assemble into equal catalogs, and a plan made from the first holds
for the second. Applying a plan re-checks the catalog under the migration lock; when nothing
changed since the plan was made (nearly always), the catalog's state (:mod:`._catalog_state`)
says so without a read, and where the state differs or was not kept, the re-check reads the
catalog again and ends at the comparison of two digests instead of decoding, assembling and
diffing the catalog again, all while the lock is held. A digest, not the texts: a plan may
be kept, and the texts run to megabytes. Every family's query orders its rows completely, so
that the text depends on the catalog alone, not on the plan the server chose for it (which
changes when autovacuum analyzes a catalog table, say).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from attrs import field, frozen

from linkgress_async.catalog import Catalog, QualifiedName

from ._queries import Family

__all__ = ["CatalogFingerprint", "KeptCatalog", "ReadDigests"]


@frozen
class CatalogFingerprint:
    """What one catalog read returned, by content: equal fingerprints, equal catalogs."""

    server_major: int
    schemas: tuple[str, ...]
    exclude_tables: frozenset[QualifiedName]
    digest: bytes
    catalog_state: str | None = field(default=None, eq=False)
    """The catalog's state in the read's snapshot (:mod:`._catalog_state`), when it was
    read: a re-check that finds it unchanged needs no read at all. Not part of equality:
    two reads alike are alike whether or not either read the state too."""

    def same_scope(
        self, server_major: int, schemas: Sequence[str], exclude_tables: frozenset[QualifiedName]
    ) -> bool:
        """Whether a read of ``schemas`` without ``exclude_tables`` on a server of
        ``server_major`` asks the same as the read this fingerprints (its texts may differ)."""
        return (
            self.server_major == server_major
            and self.schemas == tuple(schemas)
            and self.exclude_tables == exclude_tables
        )


@frozen
class KeptCatalog:
    """A catalog as one read assembled it, and that read's fingerprint: a later read of the
    same scope whose catalog state equals the fingerprint's takes this catalog instead
    (:func:`~linkgress_async.introspect.read_catalog`'s ``since``)."""

    catalog: Catalog
    fingerprint: CatalogFingerprint


class ReadDigests:
    """The digests of a read's family texts, noted as they arrive (on one connection or
    two), and the server's major version they were read on."""

    __slots__ = ("by_family", "catalog_state", "server_major", "with_state")

    def __init__(self, *, with_state: bool = False) -> None:
        self.by_family: dict[Family, bytes] = {}
        self.server_major = 0
        self.with_state = with_state
        """Whether the read also reads the catalog's state (:mod:`._catalog_state`)."""
        self.catalog_state: str | None = None

    def note(self, server_major: int, texts: Mapping[Family, str | None]) -> None:
        """Note the texts of some families, read on a server of ``server_major``."""
        self.server_major = server_major
        for family, text in texts.items():
            # None (no rows) never collides with a text: json_agg prints at least "[]".
            self.by_family[family] = b"" if text is None else hashlib.sha256(text.encode()).digest()

    def fingerprint(
        self, schemas: Iterable[str], exclude_tables: frozenset[QualifiedName]
    ) -> CatalogFingerprint:
        """The fingerprint of the whole read (every family noted)."""
        whole = hashlib.sha256()
        for family in Family:
            # Each part named and its length given: no two reads make the same stream.
            part = self.by_family[family]
            whole.update(f"{family.value}:{len(part)}:".encode())
            whole.update(part)
        return CatalogFingerprint(
            self.server_major,
            tuple(schemas),
            exclude_tables,
            whole.digest(),
            self.catalog_state,
        )
