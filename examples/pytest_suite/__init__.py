"""A user's own test suite for the blog model, using the linkgress pytest plugin.

Run it from the repository root: ``pytest examples/pytest_suite``. It has its own
``pytest.ini``; the project's own ``pytest`` run does not collect it.
"""
