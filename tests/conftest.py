"""Shared test configuration.

The PostgreSQL fixtures (``linkgress_server``, ``linkgress_dsn``, ``linkgress_databases``) come
from ``linkgress_async.testing``, which pytest loads through the package's ``pytest11`` entry
point; nothing needs importing here.
"""

pytest_plugins = ["pytester"]
