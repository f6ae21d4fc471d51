"""Generations: file-backed tokens that move on whenever data something was built from may have changed.

Whatever the app keeps instead of building again (a published response, a person's sign-in, a rendered
queue page) is kept with the generation it was built in, read *before* the data it shows, and used again
only while that generation is unchanged. Every committed write to a watched table moves the generation
on, once at the commit and again once the connection is handed back (by then the write is visible to
everyone), so nothing built from data read before a write is used after the write is visible.

The token lives in a file under ``instance/``, so every worker process of one server sees the same one
for the cost of reading a few bytes. Writes that do not go through this app's engine (a hand-typed
``psql`` statement) are not seen: restarting the app moves every generation on.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class Generation:
    """One generation token, kept in ``path``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def current(self) -> str:
        """The current token ("" before the first)."""
        try:
            with open(self.path, encoding="ascii") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def advance(self) -> None:
        """Move the generation on: whatever was kept under the old token is never used again."""
        write_atomically(self.path, uuid.uuid4().hex.encode("ascii"))


def write_atomically(target: Path, data: bytes) -> None:
    """Replace ``target`` by ``data`` so that no reader ever sees a half-written file."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, target)


def watch(engine, generation: Generation, tables: set[str] | Callable[[str], bool]) -> None:
    """Advance ``generation`` after every commit that wrote to one of ``tables`` (a set of lower-case
    names, or a test of a name)."""
    watched = tables.__contains__ if isinstance(tables, (set, frozenset)) else tables
    key = f"lms.generation.{id(generation)}"
    dirty, advance = f"{key}.dirty", f"{key}.advance"

    @event.listens_for(engine, "before_cursor_execute")
    def _noticed(conn, cursor, statement, parameters, context, executemany):
        match = WRITE.match(statement)
        if match and watched(match.group(1).lower()):
            conn.info[dirty] = True

    @event.listens_for(engine, "commit")
    def _committing(conn):
        if conn.info.pop(dirty, False):
            generation.advance()  # at once, for a connection kept long after its commit (a command, a migration)
            conn.info[advance] = True  # and again once the commit is visible to everyone (below)

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn):
        conn.info.pop(dirty, None)

    # "commit" runs before the database commits: the generation moves on again once the connection is
    # handed back, by which time the write is visible to everyone.
    @event.listens_for(engine.pool, "checkin")
    def _returned(dbapi_connection, record):
        if record is not None and record.info.pop(advance, False):
            generation.advance()

    @event.listens_for(engine.pool, "invalidate")
    def _thrown_away(dbapi_connection, record, exception):  # after a commit, before its checkin: still advance
        if record is not None and record.info.pop(advance, False):
            generation.advance()
