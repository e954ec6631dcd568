"""Runnable examples of linkgress_async; run one with ``python -m examples.<name>``."""
