"""Where the command line finds its settings: flags, the environment, ``.env``, pyproject.toml.

Precedence, highest first, for every setting:

1. command-line flags (``--dsn``, ``--context``, ``--migrations``, ``--journal-*``);
2. the real environment (``DATABASE_URL``, else ``DB_HOST DB_PORT DB_NAME DB_USER
   DB_PASSWORD``; ``LINKGRESS_CONTEXT``, ``LINKGRESS_MIGRATIONS``);
3. a ``.env`` file in the working directory (the same variables);
4. ``[tool.linkgress]`` in ``pyproject.toml`` in the working directory (``context``,
   ``migrations``, ``journal_table``, ``journal_schema``, and the ownership patterns
   ``exclude`` and ``drop_unmanaged``; never credentials).

Everything here is synchronous and runs before the event loop starts; the functions take the
environment and the directory as arguments so that they can be tested without touching either.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from attrs import frozen

from linkgress_async.dsn import redact_dsn
from linkgress_async.errors import LinkgressError

if TYPE_CHECKING:
    from linkgress_async.context import DbContext

__all__ = [
    "DB_PARTS",
    "PRODUCTION_VARIABLES",
    "ConfigurationError",
    "Flags",
    "Settings",
    "dsn_from_parts",
    "is_production",
    "parse_dotenv",
    "positive_seconds",
    "read_dotenv",
    "read_pyproject",
    "resolve_settings",
    "whole_number",
]

DB_PARTS = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")
PRODUCTION_VARIABLES = ("LINKGRESS_ENV", "APP_ENV", "ENV")
_PRODUCTION_VALUES = frozenset({"production", "prod"})
_PYPROJECT_STRINGS = ("context", "migrations", "journal_table", "journal_schema")
_PYPROJECT_KEYS = (*_PYPROJECT_STRINGS, "exclude", "drop_unmanaged")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class ConfigurationError(LinkgressError):
    """The command line's configuration is missing or malformed (exit status 2)."""


@frozen
class Flags:
    """The configuration given on the command line; ``None`` where a flag was not given."""

    dsn: str | None = None
    context: str | None = None
    migrations: str | None = None
    journal_table: str | None = None
    journal_schema: str | None = None
    exclude: tuple[str, ...] | None = None
    drop_unmanaged: bool | tuple[str, ...] | None = None


@frozen
class Settings:
    """The resolved configuration of one command, with where each part came from."""

    cwd: Path
    context: str | None
    context_source: str | None
    migrations: Path
    dsn: str | None
    dsn_source: str | None
    journal_table: str | None
    journal_schema: str | None
    production: bool
    exclude: tuple[str, ...] = ()
    drop_unmanaged: bool | tuple[str, ...] = False

    def journal(self, context: type[DbContext] | DbContext) -> tuple[str, str]:
        """The journal's schema and table: the configured names, else ``context``'s."""
        return (
            self.journal_schema or context.journal_schema,
            self.journal_table or context.journal_table,
        )

    def describe_dsn(self) -> str:
        """The DSN without its password, and where it came from."""
        if self.dsn is None:
            return "no database"
        return f"{redact_dsn(self.dsn)} (from {self.dsn_source})"


def whole_number(minimum: int, name: str = "N") -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum``, named ``name`` in errors."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be {minimum} or more, got {value}")
        return value

    return parse


def positive_seconds(text: str) -> float:
    """An argparse ``type``: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def deadline_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``PgClient`` deadlines given on the command line (``--connect-timeout``,
    ``--network-timeout``), by keyword."""
    names = ("connect_timeout", "network_timeout")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def runner_lock_options(args: argparse.Namespace) -> dict[str, Any]:
    """``MigrationRunner`` keywords from ``--lock-timeout``, ``--ddl-lock-timeout``,
    ``--lock-retries`` and ``--accept-changed``, those given only."""
    pairs = {
        "lock_timeout": getattr(args, "lock_timeout", None),
        "ddl_lock_timeout": getattr(args, "ddl_lock_timeout", None),
        "lock_retries": getattr(args, "lock_retries", None),
        "accept_changed": getattr(args, "accept_changed", None) or None,
    }
    return {key: value for key, value in pairs.items() if value is not None}


def manager_lock_options(args: argparse.Namespace) -> dict[str, Any]:
    """The schema manager's keywords for the same flags: its ``lock_timeout`` is a table
    lock's wait (``--ddl-lock-timeout``), ``migration_lock_timeout`` the wait for another
    migration (``--lock-timeout``)."""
    pairs = {
        "migration_lock_timeout": getattr(args, "lock_timeout", None),
        "lock_timeout": getattr(args, "ddl_lock_timeout", None),
        "lock_retries": getattr(args, "lock_retries", None),
    }
    return {key: value for key, value in pairs.items() if value is not None}


# --- .env -------------------------------------------------------------------------------------


def parse_dotenv(text: str, *, source: str = ".env") -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines: ``#`` comments, quotes, an optional ``export`` prefix."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("export ", "export\t")):
            line = line[len("export") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise ConfigurationError(
                f"{source} line {number} is not KEY=VALUE: {raw.strip()!r}; fix or comment it out"
            )
        values[key] = _dotenv_value(rest.strip(), source, number)
    return values


def _dotenv_value(rest: str, source: str, number: int) -> str:
    if rest[:1] in ("'", '"'):
        quote_char = rest[0]
        end = _closing_quote(rest, quote_char)
        if end < 0:
            raise ConfigurationError(
                f"{source} line {number}: the value's {quote_char} quote is never closed"
            )
        trailing = rest[end + 1 :].strip()
        if trailing and not trailing.startswith("#"):
            raise ConfigurationError(
                f"{source} line {number}: unexpected text after the quoted value: {trailing!r}"
            )
        inner = rest[1:end]
        if quote_char == "'":
            return inner
        # Double quotes understand the usual escapes; single quotes are literal.
        escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$"}
        return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), inner)
    # An unquoted value ends at a comment, which needs whitespace before '#'
    # (so 'pa#ss' stays a password).
    return re.split(r"\s+#", rest, maxsplit=1)[0].strip()


def _closing_quote(text: str, quote_char: str) -> int:
    index = 1
    while index < len(text):
        if text[index] == "\\" and quote_char == '"':
            index += 2
            continue
        if text[index] == quote_char:
            return index
        index += 1
    return -1


def read_dotenv(cwd: Path) -> dict[str, str]:
    """The variables of ``cwd/.env``, or nothing when there is no such file."""
    path = cwd / ".env"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be read: {error}") from error
    return parse_dotenv(text, source=str(path))


# --- pyproject.toml ---------------------------------------------------------------------------


def read_pyproject(cwd: Path) -> dict[str, object]:
    """The ``[tool.linkgress]`` table of ``cwd/pyproject.toml`` (empty when absent)."""
    path = cwd / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be read: {error}") from error
    tool = data.get("tool", {})
    table = tool.get("linkgress", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [tool.linkgress] must be a table")
    unknown = sorted(set(table) - set(_PYPROJECT_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(unknown)} in "
            "[tool.linkgress]; the keys are "
            f"{', '.join(_PYPROJECT_KEYS)} (connection settings belong in the environment)"
        )
    for key, value in table.items():
        if key in _PYPROJECT_STRINGS and (not isinstance(value, str) or not value):
            raise ConfigurationError(
                f"{path}: [tool.linkgress] {key} must be a non-empty string, got {value!r}"
            )
        patterns = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        if key == "exclude" and not patterns:
            raise ConfigurationError(
                f"{path}: [tool.linkgress] exclude must be a list of patterns such as "
                f'["public.legacy_*"], got {value!r}'
            )
        if key == "drop_unmanaged" and not (patterns or isinstance(value, bool)):
            raise ConfigurationError(
                f"{path}: [tool.linkgress] drop_unmanaged must be true, false or a list of "
                f'patterns such as ["public.tmp_*"], got {value!r}'
            )
    return dict(table)


def _pyproject_string(pyproject: Mapping[str, object], key: str) -> str | None:
    value = pyproject.get(key)
    return value if isinstance(value, str) else None


def _pyproject_patterns(pyproject: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    value = pyproject.get(key)
    return tuple(str(item) for item in value) if isinstance(value, list) else None


# --- the database ---------------------------------------------------------------------------


def dsn_from_parts(parts: Mapping[str, str]) -> str:
    """A ``postgresql://`` DSN from the ``DB_*`` variables; missing parts use libpq defaults."""
    host = parts.get("DB_HOST", "")
    port = parts.get("DB_PORT", "")
    if port and not port.isdigit():
        raise ConfigurationError(f"DB_PORT must be a port number, got {port!r}")
    user = parts.get("DB_USER", "")
    password = parts.get("DB_PASSWORD", "")
    userinfo = quote(user, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    query = ""
    netloc_host = host
    if host.startswith("/"):
        # A unix socket directory cannot sit in the authority part of a URL, and asyncpg
        # reads no port from an authority without a host: both go in the query.
        query, netloc_host = "host=" + quote(host, safe="/") + (f"&port={port}" if port else ""), ""
        port = ""
    elif ":" in host:
        netloc_host = f"[{host}]"
    netloc = (userinfo + "@" if userinfo else "") + netloc_host + (":" + port if port else "")
    path = "/" + quote(parts.get("DB_NAME", ""), safe="")
    # Built by hand: urlunsplit drops the empty authority of "postgresql:///db".
    return f"postgresql://{netloc}{path}" + (f"?{query}" if query else "")


def _database_from(variables: Mapping[str, str], fill: Mapping[str, str]) -> str | None:
    """The DSN ``variables`` configure: ``DATABASE_URL``, else the ``DB_*`` set."""
    url = variables.get("DATABASE_URL", "").strip()
    if url:
        return url
    if any(variables.get(name) for name in DB_PARTS):
        merged = {name: fill.get(name, "") for name in DB_PARTS}
        merged.update({name: variables[name] for name in DB_PARTS if variables.get(name)})
        return dsn_from_parts(merged)
    return None


def is_production(variables: Mapping[str, str]) -> bool:
    """Whether ``LINKGRESS_ENV`` (else ``APP_ENV``, else ``ENV``) says production."""
    for name in PRODUCTION_VARIABLES:
        value = variables.get(name, "").strip().lower()
        if value:
            return value in _PRODUCTION_VALUES
    return False


# --- resolution -------------------------------------------------------------------------------


def resolve_settings(flags: Flags, environ: Mapping[str, str], cwd: Path) -> Settings:
    """Combine flags, ``environ``, ``cwd/.env`` and ``cwd/pyproject.toml`` into settings."""
    dotenv = read_dotenv(cwd)
    pyproject = read_pyproject(cwd)
    merged = {**dotenv, **environ}

    def pick(
        flag: str | None, flag_name: str, variable: str | None, key: str | None
    ) -> tuple[str | None, str | None]:
        if flag:
            return flag, flag_name
        if variable is not None and environ.get(variable):
            return environ[variable], variable
        if variable is not None and dotenv.get(variable):
            return dotenv[variable], f"{variable} in .env"
        if key is not None and (value := _pyproject_string(pyproject, key)):
            return value, f"[tool.linkgress] {key} in pyproject.toml"
        return None, None

    context, context_source = pick(flags.context, "--context", "LINKGRESS_CONTEXT", "context")
    migrations, _ = pick(flags.migrations, "--migrations", "LINKGRESS_MIGRATIONS", "migrations")
    journal_table, _ = pick(flags.journal_table, "--journal-table", None, "journal_table")
    journal_schema, _ = pick(flags.journal_schema, "--journal-schema", None, "journal_schema")

    dsn: str | None
    if flags.dsn:
        dsn, dsn_source = flags.dsn, "--dsn"
    elif (dsn := _database_from(environ, dotenv)) is not None:
        dsn_source = "DATABASE_URL" if environ.get("DATABASE_URL") else "DB_* variables"
    elif (dsn := _database_from(dotenv, {})) is not None:
        dsn_source = "DATABASE_URL in .env" if dotenv.get("DATABASE_URL") else "DB_* in .env"
    else:
        dsn_source = None

    exclude = flags.exclude
    if exclude is None:
        exclude = _pyproject_patterns(pyproject, "exclude") or ()
    drop_unmanaged = flags.drop_unmanaged
    if drop_unmanaged is None:
        configured = pyproject.get("drop_unmanaged", False)
        drop_unmanaged = (
            configured
            if isinstance(configured, bool)
            else _pyproject_patterns(pyproject, "drop_unmanaged") or False
        )

    migrations_path = Path(migrations or "migrations")
    if not migrations_path.is_absolute():
        migrations_path = cwd / migrations_path
    return Settings(
        cwd=cwd,
        context=context,
        context_source=context_source,
        migrations=migrations_path,
        dsn=dsn,
        dsn_source=dsn_source,
        journal_table=journal_table,
        journal_schema=journal_schema,
        production=is_production(merged),
        exclude=exclude,
        drop_unmanaged=drop_unmanaged,
    )
