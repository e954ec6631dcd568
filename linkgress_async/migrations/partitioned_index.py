"""The safe way to index a partitioned table: PostgreSQL refuses ``CREATE INDEX
CONCURRENTLY`` on one.

The index is created ``ON ONLY`` the partitioned table (instantly; it stays invalid), then
each partition gets its own index, built ``CONCURRENTLY`` so that writes go on, and attached
to its parent's with ``ALTER INDEX ... ATTACH PARTITION``. A sub-partitioned partition gets an
``ON ONLY`` index of its own the same way, attached once its partitions' are. The parent's
index becomes valid when the last one is attached. Each step also clears what a failed run
left behind, so the file can run again.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from linkgress_async.catalog import QualifiedName
from linkgress_async.ops import CreateIndex, DropIndex
from linkgress_async.plan.hazard_facts import PartitionNode
from linkgress_async.render.python import Step
from linkgress_async.render.quote import NAME_MAX_BYTES
from linkgress_async.render.sql import index_definition, operation_sql
from linkgress_async.render.table_sql import attach_index_sql

__all__ = ["partition_index_name", "partitioned_index_steps"]


def partition_index_name(partition: str, index: str) -> str:
    """``{partition}_{index}``, the longer part shortened to fit 63 bytes (whole characters)."""
    first, second = partition.encode(), index.encode()
    keep1, keep2 = len(first), len(second)
    while keep1 + keep2 + 1 > NAME_MAX_BYTES:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    head = first[:keep1].decode("utf-8", "ignore")
    tail = second[:keep2].decode("utf-8", "ignore")
    return f"{head}_{tail}"


def _only(index: CreateIndex) -> str:
    return index_definition(index.schema_name, index.table_name, index.index, only=True)


def partitioned_index_steps(index: CreateIndex, tree: Sequence[PartitionNode]) -> list[Step]:
    """The steps that build ``index`` on a partitioned table without blocking writes."""
    children: dict[QualifiedName, list[PartitionNode]] = {}
    for node in tree:
        children.setdefault(node.parent, []).append(node)
    parent = QualifiedName(index.schema_name, index.table_name)
    top = attrs.evolve(index, concurrently=False)
    # A failed run leaves the invalid parent index; dropping it drops what is attached to it.
    leftover = DropIndex(top.table_name, top.index_name, top.schema_name)
    steps = [
        Step(
            f"{index.describe()}: ON ONLY the partitioned table first (invalid until every "
            "partition's index is attached)",
            (_if_exists(operation_sql(leftover)[0]), _only(top)),
        )
    ]

    def visit(table: QualifiedName, table_index: QualifiedName) -> None:
        for node in children.get(table, ()):
            name = partition_index_name(node.name.name, index.index_name)
            own = attrs.evolve(
                index,
                table_name=node.name.name,
                schema_name=node.name.schema,
                index_name=name,
                concurrently=not node.partitioned,
            )
            attach = attach_index_sql(table_index, QualifiedName(node.name.schema, name))
            where = f"'{node.name}'"
            if node.partitioned:
                drop = DropIndex(node.name.name, name, node.name.schema)
                steps.append(
                    Step(
                        f"Index '{name}' ON ONLY the sub-partitioned partition {where}",
                        (_if_exists(operation_sql(drop)[0]), _only(own)),
                    )
                )
                visit(node.name, QualifiedName(node.name.schema, name))
                steps.append(Step(f"Attach the index of {where} to its parent's", (attach,)))
                continue
            drop = DropIndex(node.name.name, name, node.name.schema, None, True)
            steps.append(
                Step(
                    f"Index '{name}' on partition {where}, concurrently (writes go on "
                    "meanwhile), attached to its parent's",
                    (*operation_sql(drop), *operation_sql(own), attach),
                )
            )

    visit(parent, QualifiedName(index.schema_name, index.index_name))
    return steps


def _if_exists(drop: str) -> str:
    """A plain ``DROP INDEX`` made ``DROP INDEX IF EXISTS``."""
    return drop.replace("DROP INDEX ", "DROP INDEX IF EXISTS ", 1)
