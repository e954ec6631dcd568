"""Which names a pulled module reads (what it must import) is found by one regular expression
instead of Python's tokenizer; here the two must agree on whatever Python the emitters write,
and on the spots where a plain search for words would go wrong."""

from __future__ import annotations

import io
import tokenize

import pytest

from linkgress_async.catalog import Catalog, Column, Index, IndexElement, PrimaryKey, Table, View
from linkgress_async.pulling import render_module
from linkgress_async.pulling.module import _used_names


def tokenized_names(code: str) -> set[str]:
    """The names ``code`` reads, as Python's tokenizer finds them."""
    used: set[str] = set()
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NAME and previous != ".":
            used.add(token.string)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token.string
    return used


SNIPPETS = {
    "strings hide names": "x = \"integer text\"\ny = 'varchar'\n",
    "escaped quotes": 'x = "a \\" integer \\" b"\ny = \'it\\\'s text\'\n',
    "triple quotes with quotes inside": 'x = """a "b" \'\'integer\'\' ""c""\n text"""\nz = 1\n',
    "raw and byte strings": 'x = r"\\d+ integer" + b"text"\ny = Rb\'\\\'numeric\'\n',
    "an f-string is one string": 'x = f"plain integer"\n',
    "comments hide names": "x = 1  # integer, text\n# varchar\n",
    "a hash in a string is no comment": 'x = "#" + integer\n',
    "attributes after a dot": "e.property('a').has_type(text('a'))\n",
    "a dot at the end of a line": "x = (e\n    .text\n    .integer(bigint))\n",
    "ellipsis then a name": "class A:\n    ...\n\n\nnumeric = 1\n",
    "numbers hide letters": "x = 1e5 + 0x1F + 1.5j + 1_000\n",
    "names with digits and unicode": "x = t1 + cafe_\u00e9 + _private\n",
    "keywords are names too": "if None is not True:\n    pass\n",
}


@pytest.mark.parametrize("code", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_the_scan_finds_the_names_the_tokenizer_finds(code: str) -> None:
    compile(code, "<snippet>", "exec")  # each is valid Python
    assert _used_names(code) == tokenized_names(code)


def test_a_pulled_module_reads_the_same_names_either_way() -> None:
    columns = (
        Column("id", "bigint", False),
        Column("label", "text", True, "'integer # not a comment'::text"),
        Column("rank", "numeric(10,2)", True, "1e5"),
    )
    table = Table(
        "public",
        "varchar",  # a table named like a builder: its name is a string in the module
        columns,
        primary_key=PrimaryKey("varchar_pkey", ("id",)),
        indexes=(Index("ix_label", (IndexElement("label"),)),),
    )
    view = View("public", "labels", 'SELECT "varchar".label AS text\n   FROM "varchar";')
    source = render_module(Catalog(schemas=("public",), tables=(table,), views=(view,))).source
    assert _used_names(source) == tokenized_names(source)
    assert "varchar" not in _used_names(source)
    assert "bigint" in _used_names(source)
