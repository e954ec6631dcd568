"""The shape of the catalog read: which families each connection's statement carries."""

from __future__ import annotations

from collections import Counter

import pytest

from linkgress_async.errors import LinkgressError
from linkgress_async.introspect import _fetch
from linkgress_async.introspect._fetch import combined_sql, decoded
from linkgress_async.introspect._queries import SPLIT, Family, sql


def test_the_two_statements_read_every_family_exactly_once() -> None:
    counted = Counter(family for half in SPLIT for family in half)
    assert set(counted) == set(Family)
    assert set(counted.values()) == {1}


def test_a_combined_statement_has_one_json_column_per_family_in_order() -> None:
    families = (Family.EXTENSIONS, Family.DATABASE_SETTINGS)
    statement = combined_sql(families, (("name", "Odd"), ("setting",)), 18)
    assert statement.startswith("SELECT ")
    assert statement.count("pg_catalog.json_agg(") == 2
    assert statement.index("AS extensions") < statement.index("AS database_settings")
    # Column names go through quote_ident; a query ending in a comment cannot swallow the
    # closing parenthesis.
    assert 'json_build_array(q."name", q."Odd"))' in statement
    assert "\n) AS q" in statement


def test_every_family_orders_its_rows() -> None:
    """A read's text must not depend on the server's plan (see _fingerprint): each query
    ends with an ORDER BY of its own."""
    unordered = [
        family
        for family in Family
        if not sql(family, 18).rstrip().splitlines()[-1].startswith("ORDER BY ")
    ]
    assert unordered == []


def test_decoding_names_each_rows_values_by_the_familys_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(_fetch._columns, (Family.EXTENSIONS, 0), ("name", "schema"))
    monkeypatch.setitem(_fetch._columns, (Family.DATABASE_SETTINGS, 0), ("setting",))
    rows = decoded(
        {
            Family.EXTENSIONS: '[["citext", "public"], ["vector", null]]',
            Family.DATABASE_SETTINGS: None,
        },
        0,
    )
    assert rows == {
        Family.EXTENSIONS: [
            {"name": "citext", "schema": "public"},
            {"name": "vector", "schema": None},
        ],
        Family.DATABASE_SETTINGS: [],
    }
    with pytest.raises(LinkgressError, match="extensions query returned rows of 3 values"):
        decoded({Family.EXTENSIONS: '[["citext", "public", "x"]]'}, 0)
