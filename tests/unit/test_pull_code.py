"""The pulled module's source layout: strings, statements and comments as ruff leaves them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from linkgress_async.pulling.code import (
    LINE_LENGTH,
    Attr,
    Expr,
    Kw,
    ListOf,
    Name,
    Str,
    call,
    comment_lines,
    py_str,
    statement,
    width,
)
from tests.ruff_clean import ruff_problems


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("plain", '"plain"'),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ('it\'s "one"', "'it\\'s \"one\"'"),
        ("a\\b\nc\td", '"a\\\\b\\nc\\td"'),
        ("Ünïcodé", '"Ünïcodé"'),  # accented ASCII letters stay readable
        ("b\u0131g", '"b\\u0131g"'),  # a dotless i could pass for an i: escaped
        ("\U0001f642 \x00\x7f", '"\\U0001f642 \\x00\\x7f"'),
        ("\u00a0", '"\\xa0"'),
    ],
)
def test_string_literals_are_quoted_and_escaped_as_the_formatter_leaves_them(
    text: str, literal: str
) -> None:
    assert py_str(text) == literal
    assert eval(literal) == text


def test_a_statement_that_fits_stays_on_one_line() -> None:
    expr = call(Attr(call("e.property", Str("id")), "has_type"), call("integer", Str("id")))
    assert statement(expr, "    ") == ['    e.property("id").has_type(integer("id"))']


def test_a_long_chain_is_split_one_call_per_line_in_parentheses() -> None:
    expr: Expr = call(Attr(call("e.property", Str("x" * 40)), "has_type"), call("text", Str("y")))
    expr = call(Attr(expr, "is_required"))
    expr = call(Attr(expr, "has_default_sql"), Str("now()" * 5, sql=True))
    assert statement(expr, " " * 12) == [
        "            (",
        f'                e.property("{"x" * 40}")',
        '                .has_type(text("y"))',
        "                .is_required()",
        f'                .has_default_sql("{"now()" * 5}")',
        "            )",
    ]


def test_a_long_string_argument_becomes_pieces_that_each_fit() -> None:
    sql_text = " SELECT a,\n" + "    b,\n" * 3 + "   FROM " + "x" * 150
    lines = statement(call("model.view", Str("v"), Str(sql_text, sql=True)), " " * 8)
    assert all(width(line) <= LINE_LENGTH for line in lines)
    assert lines[:2] == ["        model.view(", '            "v",']
    pieces = [line.strip().removesuffix(",") for line in lines[2:-1]]
    assert len(pieces) == 7
    assert "".join(eval(piece) for piece in pieces) == sql_text


def test_comments_wrap_within_the_line_length_even_for_long_words() -> None:
    lines = comment_lines("not declared: trigger " + "\U0001f642" * 40 + " on t", "        ")
    assert all(line.startswith("        # ") and width(line) <= LINE_LENGTH for line in lines)
    assert "\\U0001f642" in lines[1]


def _random_text(rng: random.Random) -> str:
    alphabet = "abcdefghij _'\"\\\n;éÜ\u0131\U0001f642"
    size = rng.choice([1, 5, 20, 40, 63, 90, 150, 400])
    return "".join(rng.choice(alphabet) for _ in range(size))


def _random_statement(rng: random.Random) -> list[str]:
    text = _random_text
    kind = rng.randrange(6)
    if kind == 0:
        builder: Expr = call(rng.choice(["integer", "text", "custom_type"]), Str(text(rng)))
        if rng.random() < 0.4:
            names = rng.sample(["start_with", "increment_by", "min_value"], rng.randrange(4))
            options = [Kw(option, Name(str(rng.randrange(10**12)))) for option in names]
            builder = call(Attr(builder, "generated_always_as_identity"), *options)
        elif rng.random() < 0.3:
            builder = call(Attr(builder, "array"))
        expr: Expr = call(Attr(call("e.property", Str(text(rng))), "has_type"), builder)
        if rng.random() < 0.5:
            expr = call(Attr(expr, "is_required"))
        if rng.random() < 0.5:
            expr = call(Attr(expr, "has_default_sql"), Str(text(rng), sql=True))
        return statement(expr, " " * 12)
    if kind == 1:
        elements = tuple(
            rng.choice([Str(text(rng)), call("sql", Str(text(rng), sql=True))])
            for _ in range(rng.randint(1, 4))
        )
        index = call(
            "e.has_index",
            Str(text(rng)),
            ListOf(elements),
            Kw("unique", Name("True")),
            Kw("where", Str(text(rng), sql=True)),
        )
        return statement(index, " " * 12)
    if kind == 2:
        labels = ListOf(tuple(Str(text(rng)) for _ in range(rng.randint(1, 12))))
        enum = call("model.enum", Str(text(rng)), labels, Kw("schema", Str("s")))
        return statement(enum, " " * 12, "handle = ")
    if kind == 3:
        relationship: Expr = call("e.has_one", Str(text(rng)), Name("Target"))
        columns = ListOf(tuple(Str(text(rng)) for _ in range(rng.randint(1, 3))))
        relationship = call(Attr(relationship, "with_foreign_key"), columns)
        relationship = call(Attr(relationship, "has_db_name"), Str(text(rng)))
        return statement(relationship, " " * 12)
    if kind == 4:
        view = call("model.view", Str(text(rng)), Str(text(rng), sql=True), Kw("schema", Str("s")))
        return statement(view, " " * 12)
    return comment_lines(text(rng), " " * 12)


def test_random_statements_pass_ruff_check_and_format_unchanged(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    lines = [
        "class Outer:",
        "    class Inner:",
        "        def setup(self, e, model, Target, integer, text, custom_type, sql):",
        "            handle = None",
    ]
    for _ in range(600):
        lines += _random_statement(rng)
    lines += ["            e.done()", "            return handle"]
    source = "\n".join(lines) + "\n"
    compile(source, "generated", "exec")
    assert ruff_problems(source, tmp_path) == ""
