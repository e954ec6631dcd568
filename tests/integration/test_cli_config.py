"""How the ``linkgress`` script finds its configuration, end to end, and how it reports errors.

Precedence: flags, then the environment, then ``.env``, then ``[tool.linkgress]`` in
pyproject.toml. Each level is shown by a higher level overriding a lower one that would fail.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.integration.test_cli import CONTEXT, columns, one_error_line, run_cli, write_app

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/unreachable"


def test_context_precedence(tmp_path: Path) -> None:
    for table in ("flag", "env", "dotenv", "pyproject"):
        package = tmp_path / f"ctx_{table}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        write_app(package, table=f"from_{table}")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.linkgress]\ncontext = "ctx_pyproject.appdb:AppDatabase"\n'
    )
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local settings\nexport LINKGRESS_CONTEXT='ctx_dotenv.appdb:AppDatabase'\n")
    env = {"LINKGRESS_CONTEXT": "ctx_env.appdb:AppDatabase"}

    def table_in(result_stdout: str) -> str:
        return result_stdout.split('CREATE TABLE "public"."', 1)[1].split('"', 1)[0]

    flag = run_cli("--context", "ctx_flag.appdb:AppDatabase", "sql", cwd=tmp_path, env=env)
    assert table_in(flag.stdout) == "from_flag", flag
    assert table_in(run_cli("sql", cwd=tmp_path, env=env).stdout) == "from_env"
    assert table_in(run_cli("sql", cwd=tmp_path).stdout) == "from_dotenv"
    dotenv.unlink()
    assert table_in(run_cli("sql", cwd=tmp_path).stdout) == "from_pyproject"


def test_database_precedence(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.linkgress]\ncontext = "{CONTEXT}"\nmigrations = "schema_migrations"\n'
    )
    dotenv = tmp_path / ".env"
    dotenv.write_text(f'DATABASE_URL="{UNREACHABLE}"  # overridden below\n')

    # The flag beats the environment, which beats .env.
    flag = run_cli(
        "--dsn", linkgress_dsn, "migrate", cwd=tmp_path, env={"DATABASE_URL": UNREACHABLE}
    )
    assert flag.returncode == 0, flag
    env = run_cli("plan", "--check", cwd=tmp_path, env={"DATABASE_URL": linkgress_dsn})
    assert env.returncode == 0, env
    failed = run_cli("plan", cwd=tmp_path)
    assert failed.returncode == 1, failed
    assert "127.0.0.1:1" in one_error_line(failed)

    # The DB_* variables of the Linkgress guide, here from .env, with a status run that reads
    # the migrations directory named in pyproject.toml.
    # The session server's DSN: over TCP with a password, or over a unix socket whose
    # directory and port are query parameters.
    parts = urlsplit(linkgress_dsn)
    query = dict(parse_qsl(parts.query))
    password = f"DB_PASSWORD={unquote(parts.password)}\n" if parts.password else ""
    dotenv.write_text(
        f"DB_HOST={parts.hostname or query['host']}\nDB_PORT={parts.port or query['port']}\n"
        f"DB_NAME={parts.path.lstrip('/')}\nDB_USER={parts.username}\n{password}"
    )
    (tmp_path / "schema_migrations").mkdir()
    (tmp_path / "schema_migrations" / "20240101_000000_nothing.py").write_text(
        "from linkgress_async import Migration\n\n\nclass Nothing(Migration):\n"
        "    async def up(self, db):\n        pass\n\n    async def down(self, db):\n        pass\n"
    )
    status = run_cli("status", cwd=tmp_path)
    assert status.returncode == 0, status
    assert "20240101_000000_nothing.py  no" in status.stdout
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]


def test_errors_are_one_line_unless_debug(tmp_path: Path) -> None:
    write_app(tmp_path)
    result = run_cli("--dsn", UNREACHABLE, "--context", CONTEXT, "migrate", cwd=tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result)
    assert "Cannot connect" in line or "cannot connect" in line
    assert "127.0.0.1:1" in line
    debug = run_cli("--dsn", UNREACHABLE, "--context", CONTEXT, "--debug", "migrate", cwd=tmp_path)
    assert debug.returncode == 1, debug
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("linkgress: error: ")


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    write_app(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.linkgress]\ncontexts = "appdb:AppDatabase"\n')
    result = run_cli("sql", cwd=tmp_path)
    assert result.returncode == 2, result
    assert "unknown key contexts in [tool.linkgress]" in one_error_line(result)
    (tmp_path / "pyproject.toml").unlink()
    # Production without a database is a configuration error; no embedded server is started.
    result = run_cli("--context", CONTEXT, "plan", cwd=tmp_path, env={"ENV": "production"})
    assert result.returncode == 2, result
    assert "no database configured in production" in one_error_line(result)
    assert not (tmp_path / ".linkgress").exists()
    # A context module that does not import is a failure of that module, in one line.
    (tmp_path / "broken.py").write_text("class AppDatabase(:\n")
    result = run_cli("--context", "broken:AppDatabase", "sql", cwd=tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result)
    assert "importing 'broken'" in line
    assert "SyntaxError" in line
    # The location once, not "(broken.py, line 1) (/.../broken.py, line 1)".
    assert line.count("line 1") == 1, line
