"""What a command runs against: the user's context class and a database (maybe embedded)."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

from linkgress_async.cli import devdb
from linkgress_async.cli.config import ConfigurationError, Settings
from linkgress_async.cli.output import Output
from linkgress_async.context import DbContext
from linkgress_async.devdb import DEV_DIR
from linkgress_async.errors import LinkgressError, one_line
from linkgress_async.executable import long_lived

__all__ = [
    "DEV_DATA_DIR",
    "ContextImportError",
    "database",
    "import_context",
    "importable_cwd",
]

DEV_DATA_DIR = Path(DEV_DIR) / "pgdata"


def importable_cwd(cwd: Path) -> None:
    """Put ``cwd`` first on ``sys.path``, as ``python -m`` does, so ``--context`` finds the
    user's package; only the command-line entry point calls this (never for migrations)."""
    entry = str(cwd)
    if entry not in sys.path and "" not in sys.path:
        sys.path.insert(0, entry)


def import_context(spec: str | None, source: str | None) -> tuple[type[DbContext], str]:
    """The context class named ``module:Class`` and its module's import path."""
    if not spec:
        raise ConfigurationError(
            "no context: pass --context pkg.module:AppDatabase, set LINKGRESS_CONTEXT, or add "
            'context = "pkg.module:AppDatabase" under [tool.linkgress] in pyproject.toml'
        )
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigurationError(
            f"context {spec!r} (from {source}) must look like pkg.module:AppDatabase"
        )
    try:
        with long_lived():
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only a missing context module is a configuration problem; a missing import inside
        # it is a failure of the user's code, reported below like any other.
        if error.name is not None and _is_prefix(error.name, module_name):
            raise ConfigurationError(
                f"cannot import {module_name!r} (context {spec!r} from {source}): {error}; run "
                "linkgress from your project's root directory or fix the module path"
            ) from error
        raise ContextImportError(
            f"importing {module_name!r} (context {spec!r}) failed: {one_line(error)}; "
            "install what it imports, or fix the module (--debug shows the traceback)"
        ) from error
    except Exception as error:
        # str(SyntaxError) already ends with "(file, line N)": say it once, as a path.
        cause = one_line(error)
        if isinstance(error, SyntaxError):
            cause = f"{type(error).__name__}: {error.msg} ({error.filename}, line {error.lineno})"
        raise ContextImportError(
            f"importing {module_name!r} (context {spec!r}) failed: {cause}; "
            "fix the module (--debug shows the traceback)"
        ) from error
    value: object = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ConfigurationError(
                f"module {module_name!r} has no {attribute!r} (context {spec!r} from {source})"
            )
        value = getattr(value, part)
    if not isinstance(value, type) or not issubclass(value, DbContext):
        raise ConfigurationError(
            f"{spec} (from {source}) is not a DbContext subclass; name the class that "
            "declares your model in setup_model"
        )
    return value, module_name


class ContextImportError(LinkgressError):
    """The module of the context raised an error while being imported."""


def _is_prefix(missing: str, module_name: str) -> bool:
    return module_name == missing or module_name.startswith(missing + ".")


@contextlib.contextmanager
def database(settings: Settings, output: Output) -> Iterator[str]:
    """The DSN to use: the configured one, or the embedded development database's."""
    if settings.dsn is not None:
        yield settings.dsn
        return
    if settings.production:
        raise ConfigurationError(
            "no database configured in production: set DATABASE_URL (or DB_HOST, DB_PORT, "
            "DB_NAME, DB_USER, DB_PASSWORD) or pass --dsn; the embedded development database "
            "is only used outside production"
        )
    with devdb.session(settings.cwd, output) as dsn:
        yield dsn
