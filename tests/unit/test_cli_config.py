"""The command line's configuration resolution, .env parsing and output, without a database."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from linkgress_async.cli import build_parser, main
from linkgress_async.cli.config import (
    ConfigurationError,
    Flags,
    dsn_from_parts,
    is_production,
    parse_dotenv,
    read_pyproject,
    resolve_settings,
)
from linkgress_async.cli.fleet import requested
from linkgress_async.cli.output import Output, Progress
from linkgress_async.dsn import redact_dsn


def test_dotenv_comments_quotes_and_export() -> None:
    text = """
# a comment
export DATABASE_URL="postgresql://u:p@h/db"   # trailing comment
PLAIN = value with spaces  # comment
HASH=pa#ss
SINGLE='no $escapes\\n here'
DOUBLE="line\\nbreak \\"quoted\\""
EMPTY=
"""
    assert parse_dotenv(text) == {
        "DATABASE_URL": "postgresql://u:p@h/db",
        "PLAIN": "value with spaces",
        "HASH": "pa#ss",
        "SINGLE": "no $escapes\\n here",
        "DOUBLE": 'line\nbreak "quoted"',
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("JUST_A_WORD", "line 1 is not KEY=VALUE"),
        ("\nKEY='open", "line 2: the value's ' quote is never closed"),
        ('KEY="a" b', "unexpected text after the quoted value"),
        ("1BAD=x", "is not KEY=VALUE"),
    ],
)
def test_dotenv_errors_name_the_line(text: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match="line") as caught:
        parse_dotenv(text)
    assert fragment in str(caught.value)


def test_dsn_from_parts_quotes_and_defaults() -> None:
    parts = {
        "DB_HOST": "db.example",
        "DB_PORT": "6543",
        "DB_NAME": "my app",
        "DB_USER": "ada",
        "DB_PASSWORD": "p@ss:/word",
    }
    assert dsn_from_parts(parts) == "postgresql://ada:p%40ss%3A%2Fword@db.example:6543/my%20app"
    assert dsn_from_parts({"DB_NAME": "x"}) == "postgresql:///x"
    assert dsn_from_parts({"DB_HOST": "/run/pg", "DB_NAME": "x"}) == (
        "postgresql:///x?host=/run/pg"
    )
    # asyncpg reads no port from an authority without a host: the socket's port is a parameter.
    assert dsn_from_parts({"DB_HOST": "/run/pg", "DB_PORT": "5433", "DB_USER": "u"}) == (
        "postgresql://u@/?host=/run/pg&port=5433"
    )
    assert dsn_from_parts({"DB_HOST": "::1"}) == "postgresql://[::1]/"
    with pytest.raises(ConfigurationError, match="DB_PORT"):
        dsn_from_parts({"DB_PORT": "five"})


def test_redact_hides_only_the_password() -> None:
    assert redact_dsn("postgresql://ada:secret@h:5/db") == "postgresql://ada:***@h:5/db"
    assert redact_dsn("postgresql://ada@h/db") == "postgresql://ada@h/db"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, False),
        ({"LINKGRESS_ENV": "production"}, True),
        ({"APP_ENV": "Prod"}, True),
        ({"ENV": "production"}, True),
        ({"ENV": "development"}, False),
        # The most specific variable decides.
        ({"LINKGRESS_ENV": "development", "ENV": "production"}, False),
    ],
)
def test_is_production(variables: dict[str, str], expected: bool) -> None:
    assert is_production(variables) is expected


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_precedence_flag_env_dotenv_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.linkgress]\ncontext = "from_pyproject:Db"\nmigrations = "db/migrations"\n'
        'journal_table = "journal"\n',
    )
    write(
        tmp_path / ".env",
        "LINKGRESS_CONTEXT=from_dotenv:Db\nDATABASE_URL=postgresql://dotenv/db\nENV=prod\n",
    )
    environ = {"LINKGRESS_CONTEXT": "from_env:Db", "DATABASE_URL": "postgresql://env/db"}

    settings = resolve_settings(
        Flags(context="from_flag:Db", dsn="postgresql://flag/db"), environ, tmp_path
    )
    assert (settings.context, settings.context_source) == ("from_flag:Db", "--context")
    assert (settings.dsn, settings.dsn_source) == ("postgresql://flag/db", "--dsn")

    settings = resolve_settings(Flags(), environ, tmp_path)
    assert (settings.context, settings.dsn) == ("from_env:Db", "postgresql://env/db")
    assert settings.dsn_source == "DATABASE_URL"

    settings = resolve_settings(Flags(), {}, tmp_path)
    assert settings.context == "from_dotenv:Db"
    assert settings.context_source == "LINKGRESS_CONTEXT in .env"
    assert (settings.dsn, settings.dsn_source) == ("postgresql://dotenv/db", "DATABASE_URL in .env")
    assert settings.production is True
    assert settings.migrations == tmp_path / "db" / "migrations"
    assert settings.journal_table == "journal"

    (tmp_path / ".env").unlink()
    settings = resolve_settings(Flags(), {}, tmp_path)
    assert settings.context == "from_pyproject:Db"
    assert settings.context_source == "[tool.linkgress] context in pyproject.toml"
    assert settings.dsn is None
    assert settings.production is False


def test_db_parts_from_environment_complete_from_dotenv(tmp_path: Path) -> None:
    write(tmp_path / ".env", "DB_PASSWORD=s3cret\nDB_NAME=ignored_for_env\n")
    environ = {"DB_HOST": "h", "DB_NAME": "app", "DB_USER": "u"}
    settings = resolve_settings(Flags(), environ, tmp_path)
    assert settings.dsn == "postgresql://u:s3cret@h/app"
    assert settings.dsn_source == "DB_* variables"
    assert settings.describe_dsn() == "postgresql://u:***@h/app (from DB_* variables)"
    # DATABASE_URL wins over DB_* at the same level.
    settings = resolve_settings(Flags(), {**environ, "DATABASE_URL": "postgresql://x/y"}, tmp_path)
    assert settings.dsn == "postgresql://x/y"


def test_pyproject_rejects_unknown_keys_and_bad_values(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.linkgress]\ndsn = "postgresql://x"\n')
    with pytest.raises(ConfigurationError, match="unknown key"):
        read_pyproject(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.linkgress]\ncontext = 3\n")
    with pytest.raises(ConfigurationError, match="non-empty string"):
        read_pyproject(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.linkgress\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        read_pyproject(tmp_path)
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert read_pyproject(tmp_path) == {}


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["down", "0"]) == 2
    assert "N must be 1 or more" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "exit status" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fleet", "fragment"),
    [
        (["up"], False, None),
        (["up", "--dsn-file", "t.txt", "--canary", "0"], True, None),
        (["migrate", "--all-databases", "--like", "shop_%", "--stop-on-failure"], True, None),
        (["up", "--like", "shop_%"], None, "--like selects databases for --all-databases"),
        (["up", "--concurrency", "2", "--stop-on-failure"], None, "--concurrency, --stop-on"),
        (["migrate", "--dsn-file", "t.txt", "--dry-run"], None, "--dry-run shows one database"),
        (["migrate", "--all-databases", "--large-table-rows", "5"], None, "one database's plan"),
    ],
)
def test_fleet_flags(argv: list[str], fleet: bool | None, fragment: str | None) -> None:
    args = build_parser().parse_args(argv)
    if fragment is None:
        assert requested(args) is fleet
    else:
        with pytest.raises(ConfigurationError, match=re.escape(fragment)):
            requested(args)


def test_fleet_and_hazard_flag_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--all-databases", "--dsn-file", "t.txt"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["up", "--all-databases", "--concurrency", "0"]) == 2
    assert "must be 1 or more" in capsys.readouterr().err
    assert main(["plan", "--large-table-rows", "many"]) == 2
    assert "N must be a whole number" in capsys.readouterr().err
    # Only up and migrate run over many databases.
    assert main(["plan", "--all-databases"]) == 2


def test_missing_context_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINKGRESS_CONTEXT", raising=False)
    assert main(["sql"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("linkgress: error: no context: pass --context")
    assert err.count("\n") == 1


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_lines_and_colour() -> None:
    out, err = io.StringIO(), io.StringIO()
    progress = Progress(Output(out, err, {}), ["a.py", "b.py"])
    for message in [
        "Applying a.py ...",
        "Applied a.py in 12 ms",
        "Applying b.py ...",
        "Failed to apply b.py: RuntimeError: boom",
        "Applied 1 migration in 20 ms; stopped at b.py",
    ]:
        progress.log(message)
    assert out.getvalue().splitlines() == [
        "migration 1 of 2: applying a.py ... ok (12 ms)",
        "migration 2 of 2: applying b.py ... FAILED",
        "Applied 1 migration in 20 ms; stopped at b.py",
    ]
    tty = Tty()
    Output(tty, err, {}).success("done")
    assert tty.getvalue() == "\033[32mdone\033[0m\n"
    plain = Tty()
    Output(plain, err, {"NO_COLOR": "1"}).success("done")
    assert plain.getvalue() == "done\n"


def test_docs_cover_every_command_and_exit_status() -> None:
    from linkgress_async.cli import COMMAND_HELP, EPILOG

    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    headings = [line for line in docs.splitlines() if line.startswith("### `")]
    documented = {word.strip("`,[]") for line in headings for word in line[4:].split()}
    assert set(COMMAND_HELP) <= documented
    fleet_and_hazard_flags = {
        "--all-databases",
        "--like",
        "--dsn-file",
        "--concurrency",
        "--canary",
        "--stop-on-failure",
        "--large-table-rows",
        "--up-to",
        "--scratch-dsn",
    }
    assert fleet_and_hazard_flags <= documented
    for status in ("| 0 |", "| 1 |", "| 2 |"):
        assert status in docs
    for status in ("  0  success", "  1  failure", "  2  usage"):
        assert status in EPILOG


def test_ownership_patterns_from_pyproject_and_flags(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.linkgress]\nexclude = ["public.legacy_*"]\ndrop_unmanaged = ["public.tmp_*"]\n',
    )
    settings = resolve_settings(Flags(), {}, tmp_path)
    assert settings.exclude == ("public.legacy_*",)
    assert settings.drop_unmanaged == ("public.tmp_*",)
    # Flags replace the file's patterns.
    flags = Flags(exclude=("audit.*",), drop_unmanaged=True)
    settings = resolve_settings(flags, {}, tmp_path)
    assert (settings.exclude, settings.drop_unmanaged) == (("audit.*",), True)

    write(tmp_path / "pyproject.toml", "[tool.linkgress]\ndrop_unmanaged = true\n")
    settings = resolve_settings(Flags(), {}, tmp_path)
    assert (settings.exclude, settings.drop_unmanaged) == ((), True)
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    settings = resolve_settings(Flags(), {}, tmp_path)
    assert (settings.exclude, settings.drop_unmanaged) == ((), False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('exclude = "public.x"', "exclude must be a list of patterns"),
        ("exclude = [1]", "exclude must be a list of patterns"),
        ('drop_unmanaged = "yes"', "drop_unmanaged must be true, false or a list"),
    ],
)
def test_pyproject_ownership_values_are_checked(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", f"[tool.linkgress]\n{line}\n")
    with pytest.raises(ConfigurationError, match=message):
        read_pyproject(tmp_path)
