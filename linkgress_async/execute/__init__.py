"""Execution: a migration session on one connection, its statements, and lock-safe retries."""
