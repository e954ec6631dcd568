"""Execution: a migration session, its statements, lock-safe retries and the migration lock."""
