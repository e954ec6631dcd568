"""Connection strings: is it a URL, the same server's other database, and never the password.

Shared by the command line, the fleet and the pytest plugin. Pure string work: nothing here
connects.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = ["URL_SCHEMES", "MaskedDsn", "is_url", "redact_dsn", "with_database"]

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
