"""A small blog: a model in two schemas, migrated with the schema manager.

Run it from the repository root with ``python -m examples.blog``; see ``database.py`` for
the model and ``__main__.py`` for the migration.
"""

from examples.blog.database import BlogDatabase, Comment, Post, PostStatus, User

__all__ = ["BlogDatabase", "Comment", "Post", "PostStatus", "User"]
