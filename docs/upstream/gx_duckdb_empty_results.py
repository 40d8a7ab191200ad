"""Minimal reproduction: GX's SQL route over DuckDB reads every metric query as empty.

    pip install "great_expectations==1.24.1" "duckdb-engine==0.17.0" "duckdb>=1.5" "sqlalchemy>=2"
    python gx_duckdb_empty_results.py

Part 1 is plain SQLAlchemy: a result read after its `with engine.connect()` block has closed is
empty on duckdb-engine, because closing rolls back the transaction SQLAlchemy began, and
duckdb-engine's cursor is the DuckDB connection itself, so the ROLLBACK replaces the pending
result. That is exactly what `SqlAlchemyExecutionEngine.execute_query` does (GX 1.24.1,
great_expectations/execution_engine/sqlalchemy_execution_engine.py: the `return` after the
`with self.get_connection() as connection:` block).
Part 2 is GX: one passing expectation fails with `MetricResolutionError: list index out of range`.
Part 3 is the workaround (a DB-API cursor that reads its result at execute time): it passes.
Exits 0 when all three behave as described.
"""

import tempfile
from collections import deque
from pathlib import Path

import duckdb
import great_expectations as gx
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from sqlalchemy.pool import StaticPool

# Part 1: plain SQLAlchemy.
engine = sa.create_engine("duckdb:///:memory:")
rollbacks = []
sa.event.listen(engine, "rollback", lambda conn: rollbacks.append("ROLLBACK"))
with engine.connect() as connection:
    result = connection.execute(sa.text("select 42 as answer"))
late = result.fetchall()
with engine.connect() as connection:
    early = connection.execute(sa.text("select 42 as answer")).fetchall()
print(f"SQLAlchemy: read inside the block {early}, after it {late}; on close: {rollbacks}")
assert early == [(42,)] and late == [], "expected the late read to be empty"

# The same with the options one would try first: none helps (the rollback is the Connection's).
for options in ({"poolclass": StaticPool}, {"pool_reset_on_return": None}):
    engine = sa.create_engine("duckdb:///:memory:", **options)
    with engine.connect() as connection:
        result = connection.execute(sa.text("select 42"))
    assert result.fetchall() == [], options


WORK = Path(tempfile.mkdtemp())


# Part 2: GX's SQL datasource on a DuckDB file, one expectation that holds.
def validate(path: str, kwargs: dict | None = None) -> bool:
    with duckdb.connect(path) as con:
        con.execute("create or replace table t as select range as x from range(10)")
    context = gx.get_context(mode="ephemeral")
    if kwargs:
        source = context.data_sources.add_sql("d", connection_string="duckdb:///:memory:", kwargs=kwargs)
    else:
        source = context.data_sources.add_sql("d", connection_string=f"duckdb:///{path}")
    batch = source.add_table_asset("t", table_name="t").add_batch_definition_whole_table("all")
    expectation = gx.expectations.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=9)
    result = batch.get_batch().validate(expectation)
    if not result.success:
        print("GX:", result.exception_info)
    return result.success


broken = validate(str(WORK / "plain.duckdb"))
print(f"GX 1.24.1 + duckdb-engine, x in [0, 9] on x = 0..9: success={broken}")
assert broken is False, "expected the SQL route to fail a passing expectation"


# Part 3: the workaround, a cursor that buffers its result (and one connection, StaticPool).
class BufferedCursor:
    def __init__(self, cursor):
        self._cursor, self._rows, self.description = cursor, deque(), None

    def execute(self, statement, parameters=None, context=None):
        self._cursor.execute(statement, parameters, context)
        self.description = self._cursor.description
        self._rows = deque(self._cursor.fetchall() if self.description else ())

    def fetchone(self):
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size=None):
        return [self._rows.popleft() for _ in range(min(size or 1, len(self._rows)))]

    def fetchall(self):
        rows, self._rows = list(self._rows), deque()
        return rows

    def close(self):
        self._rows.clear()

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class BufferedConnection(ConnectionWrapper):
    def cursor(self):
        return BufferedCursor(super().cursor())


path = str(WORK / "buffered.duckdb")
fixed = validate(path, {"creator": lambda: BufferedConnection(duckdb.connect(path)), "poolclass": StaticPool})
print(f"with a buffered cursor: success={fixed}")
assert fixed is True
print("reproduced: GX reads results after the connection closed; buffering them fixes it")
