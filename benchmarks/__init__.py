"""Benchmarks of linkgress_async against Alembic autogenerate, migra and raw asyncpg floors.

Run ``python -m benchmarks`` (needs the ``bench`` extra); ``--quick`` is the CI smoke run.
The method is described in ``docs/benchmarks.md``, which a full run rewrites.
"""
