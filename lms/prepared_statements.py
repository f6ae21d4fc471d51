"""On PostgreSQL, transactions that wrote nothing end with COMMIT, so that psycopg keeps its prepared statements.

psycopg prepares a statement on the server once it has run five times on a connection, and from then on
PostgreSQL neither parses nor plans it again; but psycopg forgets every prepared statement on ROLLBACK.
SQLAlchemy ends every transaction nobody committed with ROLLBACK, which is every request that only read: so
no statement was ever prepared, and every statement of every page was parsed and planned on every request
(the sign-in lookup spent more time being planned than run). For a transaction that wrote nothing COMMIT
and ROLLBACK do the same, so those commit; any transaction that sent a statement other than a plain read,
or that failed, still rolls back. Behind a pooler that cannot keep prepared statements (PgBouncer in
transaction mode before 1.21), switch preparing off with
``LMS_SQLALCHEMY_ENGINE_OPTIONS='{"connect_args": {"prepare_threshold": null}}'``.
"""

from __future__ import annotations

import re

from sqlalchemy import event

# A statement that can only read: SELECT (FOR UPDATE too: its locks end with COMMIT as with ROLLBACK),
# SHOW, VALUES, or a WITH query none of whose parts writes.
READ = re.compile(r"\s*(?:SELECT|SHOW|VALUES)\b", re.IGNORECASE)
WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
WRITES = re.compile(r"\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\S+\s+SET|TRUNCATE|MERGE\s+INTO)\b", re.IGNORECASE)


def reads_only(statement: str) -> bool:
    """Whether a statement can only read (when unsure: False)."""
    if READ.match(statement):
        return True
    return bool(WITH.match(statement)) and not WRITES.search(statement)


def keep_prepared_statements(engine) -> None:
    """Make ``engine`` end transactions that only read with COMMIT instead of ROLLBACK (psycopg only)."""
    if engine.dialect.driver != "psycopg":
        return
    from psycopg.pq import TransactionStatus

    wrote: set[int] = set()  # the DBAPI connections whose open transaction sent anything but reads

    @event.listens_for(engine, "before_cursor_execute")
    def _noticed(conn, cursor, statement, parameters, context, executemany):
        if not reads_only(statement):
            wrote.add(id(conn.connection.dbapi_connection))

    @event.listens_for(engine, "commit")
    def _committed(conn):
        wrote.discard(id(conn.connection.dbapi_connection))

    roll_back = engine.dialect.do_rollback

    def do_rollback(connection):
        raw = getattr(connection, "dbapi_connection", connection)  # the pool may pass its proxy
        key = id(raw)
        if key not in wrote and raw.info.transaction_status == TransactionStatus.INTRANS:
            raw.commit()  # nothing was written: the same end, and the prepared statements stay
            return
        wrote.discard(key)
        roll_back(connection)

    engine.dialect.do_rollback = do_rollback
