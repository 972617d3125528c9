"""Multi-statement queries (scripts) and their transactions, as BigQuery runs them.

A query whose text holds several statements is a script: one job, whose statements run in
order as child jobs (https://cloud.google.com/bigquery/docs/multi-statement-queries). Between
``BEGIN TRANSACTION`` and ``COMMIT TRANSACTION`` they make one atomic change; an error inside
rolls the whole transaction back, and ``ROLLBACK TRANSACTION`` discards it
(https://cloud.google.com/bigquery/docs/transactions). Each DML statement of a script counts
as one table update operation and as one DML statement against its table, as a DML job does
(https://cloud.google.com/bigquery/quotas#standard_tables).

The simulator runs scripts of DML statements (INSERT, UPDATE, DELETE, MERGE), in or out of one
transaction: what a bulk write sends.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from tests.doubles.bigquery_sim.sqltext import SqlError, Statement, parse


@dataclass(frozen=True)
class Script:
    """The DML statements of a script; ``commit``: False when it ends in ROLLBACK TRANSACTION."""

    statements: tuple[Statement, ...]
    transaction: bool
    commit: bool = True
    # Each statement's BigQuery text (the partitions it modifies are counted from it).
    texts: tuple[str, ...] = ()

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset().union(*(s.parameters for s in self.statements))

    @property
    def projects(self) -> frozenset[str]:
        return frozenset().union(*(s.projects for s in self.statements))


@functools.lru_cache(maxsize=128)
def parse_script(text: str) -> Script | None:
    """The script of ``text``, or None when it holds one statement (a plain job)."""
    try:
        trees = [tree for tree in sqlglot.parse(text, read="bigquery") if tree is not None]
    except (ParseError, SqlglotError) as exc:
        raise SqlError(f"Syntax error: {str(exc).splitlines()[0]}") from exc
    if len(trees) < 2:
        return None
    transaction = isinstance(trees[0], exp.Transaction)
    commit = True
    if transaction:
        last = trees[-1]
        if not isinstance(last, exp.Commit | exp.Rollback):
            raise SqlError(
                "Transaction was never committed: end it with COMMIT TRANSACTION or "
                "ROLLBACK TRANSACTION"
            )
        commit = isinstance(last, exp.Commit)
        trees = trees[1:-1]
    statements, texts = [], []
    for tree in trees:
        if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
            raise SqlError(f"{tree.sql(dialect='bigquery')} is out of place in this script")
        text = tree.sql(dialect="bigquery")
        statement = parse(text)
        if not statement.kind.is_dml:
            raise SqlError(
                f"the simulator runs scripts of DML statements only, not {statement.kind.value}"
            )
        statements.append(statement)
        texts.append(text)
    return Script(tuple(statements), transaction, commit, tuple(texts))
