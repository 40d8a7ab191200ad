"""A SQLAlchemy engine on the run's own DuckDB connection, for GX's SQL route.

Why an adapter: GX 1.24's `SqlAlchemyExecutionEngine.execute_query` returns the result of
`connection.execute()` after its `with engine.connect()` block has closed. Closing rolls back the
transaction SQLAlchemy began, and duckdb-engine's cursor is the DuckDB connection itself, so that
ROLLBACK replaces the pending result: every metric query then reads no rows (`[]`), and GX reports
each expectation as failed with `list index out of range`. No engine option changes that (the
rollback is the Connection's own, not the pool's reset). The minimal reproduction, in plain
SQLAlchemy, and the note for upstream are in docs/upstream/ (`gx_duckdb_empty_results.py`,
`gx_duckdb_empty_results.md`).

The fix here is the smallest that holds: a DB-API cursor that reads its result fully at execute
time (a buffered cursor, as most drivers' client-side cursors are), so the rollback on close has
nothing left to replace. GX's metric queries return one row, or the first failing rows, so the
buffer is small.

One connection: the engine hands SQLAlchemy the run's DuckDB connection (`StaticPool`, never
closed from here). DuckDB admits one writer per file and the run holds it, so GX cannot open the
file a second time; and a suite's relation is a temporary table, which only its own connection
sees. SQLAlchemy's BEGIN/ROLLBACK around each GX query run on that connection, so the caller must
not hold a transaction open while GX validates.
"""

from collections import deque
from typing import Any

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from sqlalchemy.pool import StaticPool


class BufferedCursor:
    """duckdb-engine's cursor, with its whole result read at execute time."""

    arraysize = 1

    def __init__(self, cursor: Any):
        self._cursor = cursor
        self._rows: deque = deque()
        self.description = None

    def execute(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        self._cursor.execute(statement, parameters, context)
        self.description = self._cursor.description
        # DuckDB 2.0 also refuses the next statement while a result is unread: read it all now.
        self._rows = deque(self._cursor.fetchall() if self.description else ())

    def executemany(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        self._cursor.executemany(statement, parameters, context)
        self.description, self._rows = None, deque()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        self._rows.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class SharedConnection(ConnectionWrapper):
    """The run's DuckDB connection as a duckdb-engine DB-API connection: buffered cursors, and a
    `close()` that leaves the connection to its owner (the gate step's `with warehouse.connect()`)."""

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(super().cursor())

    def close(self) -> None:
        return None


def engine_kwargs(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """`create_engine("duckdb:///:memory:", **engine_kwargs(con))`: an engine on `con` (GX's SQL
    datasource passes its `kwargs` to create_engine; the URL only picks the dialect)."""
    return {"creator": lambda: SharedConnection(con), "poolclass": StaticPool}


def engine(con: duckdb.DuckDBPyConnection) -> sa.Engine:
    return sa.create_engine(URL, **engine_kwargs(con))


URL = "duckdb:///:memory:"
