"""Connection strings: is it a URL, the same server's other database, and never the password.

Shared by the command line, the fleet and the pytest plugin. Pure string work: nothing here
connects.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = [
    "URL_SCHEMES",
    "MaskedDsn",
    "dsn_problem",
    "is_url",
    "redact_dsn",
    "server_of",
    "split_connect_timeout",
    "with_database",
]

URL_SCHEMES = ("postgres", "postgresql")

# The keyword form's password: password=secret or password='s e c' (quotes may escape).
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
# A URL's password, for a URL too malformed for urlsplit (an unclosed "[", say).
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def is_url(dsn: str) -> bool:
    """Whether ``dsn`` is a ``postgresql://`` (or ``postgres://``) URL."""
    try:
        return urlsplit(dsn).scheme in URL_SCHEMES
    except ValueError:
        return False


def redact_dsn(dsn: str) -> str:
    """``dsn`` with its password (in the URL or as a ``password=`` parameter) shown as ``***``."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return _URL_PASSWORD.sub(r"\1***@", dsn)
    if parts.scheme not in URL_SCHEMES:
        # The keyword form: host=... password=secret dbname=...
        return _KEYWORD_PASSWORD.sub(r"\1***", dsn)
    netloc = parts.netloc
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hosts}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key == "password" for key, _ in pairs):
            redacted = [(k, "***" if k == "password" else v) for k, v in pairs]
            query = urlencode(redacted, safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def with_database(dsn: str, database: str) -> str:
    """The URL ``dsn`` pointed at ``database`` on the same server, with the same credentials."""
    parts = urlsplit(dsn)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("dbname", "database")
    ]
    path = "/" + quote(database, safe="")
    # "/" stays as is, so a unix socket directory (host=/run/...) reads as the path it is.
    url = urlunsplit(parts._replace(path=path, query=urlencode(query, safe="/")))
    return MaskedDsn(url) if isinstance(dsn, MaskedDsn) else url


class MaskedDsn(str):
    """A DSN whose ``repr`` shows ``***`` for its password; its value is the real DSN.

    Tracebacks, assertion messages and ``%r`` show reprs, so a DSN holding a password that the
    library made up itself (a local server's) cannot leak through them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact_dsn(str(self)))


def dsn_problem(dsn: str) -> str | None:
    """Why ``dsn`` cannot be a PostgreSQL URL (its scheme, its port), or ``None`` when it can."""
    try:
        parts = urlsplit(dsn)
    except ValueError as error:
        return f"it is not a valid URL ({error})"
    if parts.scheme not in URL_SCHEMES:
        got = f"{parts.scheme}://" if parts.scheme else "no scheme"
        return f"it must start with postgresql:// (or postgres://), not {got}"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        port = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        return f"its port {port!r} is not a number from 0 to 65535"
    timeout = dict(parse_qsl(parts.query)).get("connect_timeout")
    if timeout is not None and _seconds(timeout) is None:
        return f"its connect_timeout {timeout!r} is not a number of seconds"
    return None


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value != float("inf") else None


def split_connect_timeout(dsn: str) -> tuple[str, float | None]:
    """``dsn`` without its ``connect_timeout`` parameter, and that parameter in seconds.

    libpq reads ``connect_timeout`` from a URL; asyncpg would send it to the server as a
    setting, which the server rejects. Zero or less (libpq: wait forever) counts as not set,
    because the library bounds every connection attempt.
    """
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return dsn, None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "connect_timeout" for key, _ in pairs):
        return dsn, None
    seconds: float | None = None
    for key, value in pairs:
        if key == "connect_timeout":
            seconds = _seconds(value)
    rest = [(key, value) for key, value in pairs if key != "connect_timeout"]
    stripped = urlunsplit(parts._replace(query=urlencode(rest, safe="/")))
    if isinstance(dsn, MaskedDsn):
        stripped = MaskedDsn(stripped)
    return stripped, seconds if seconds is not None and seconds > 0 else None


_KEYWORD_VALUE = re.compile(r"\b(host|port)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def server_of(dsn: str) -> str:
    """``host:port`` of the server ``dsn`` connects to (its first host), for grouping targets
    by server; ``localhost:5432`` stands for what is left out."""
    host: str | None = None
    port: str | None = None
    try:
        parts = urlsplit(dsn)
        if parts.scheme in URL_SCHEMES:
            query = dict(parse_qsl(parts.query))
            hosts = parts.netloc.rpartition("@")[2].split(",")[0]
            name, colon, number = hosts.rpartition(":") if "]" not in hosts[-1:] else ("", "", "")
            if colon and number.isdigit():
                host, port = name, number
            else:
                host = hosts or None
            host = query.get("host") or host
            port = query.get("port") or port
        else:
            for key, value in _KEYWORD_VALUE.findall(dsn):
                if key.lower() == "host":
                    host = value.strip("'")
                else:
                    port = value.strip("'")
    except ValueError:
        pass
    return f"{(host or 'localhost').split(',')[0]}:{(port or '5432').split(',')[0]}"
