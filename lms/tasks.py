"""Background work with huey: one queue for the whole app, configured from the app's settings.

By default the queue is a SQLite file in instance/ (no extra server). With several app servers,
TASK_QUEUE_URL names a shared Redis (redis://...) or PostgreSQL (postgresql://...) server. Tests
run tasks at once, in the caller's thread (huey's immediate mode), unless TASK_QUEUE_IMMEDIATE says
otherwise. Feature modules define their tasks with ``@huey.task()`` / ``@huey.periodic_task()`` and
wrap the body in ``app_context()``; `flask --app lms worker` runs them.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import PostgresStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Storage is chosen when the app is created (init_tasks); until then tasks run in memory.
huey = Huey("lms", immediate=True, results=False)
_app: Flask | None = None
TASK_QUEUE_FILE = "tasks.sqlite3"


def _storage_for(app: Flask) -> tuple[type, dict]:
    url = app.config.get("TASK_QUEUE_URL")
    if not url:
        return SqliteStorage, {"filename": str(Path(app.instance_path) / TASK_QUEUE_FILE)}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage, {"dsn": url.replace("postgres://", "postgresql://", 1)}
    raise RuntimeError(f"TASK_QUEUE_URL must start with redis:// or postgresql://, not {url.split(':')[0]}://")


def init_tasks(app: Flask) -> None:
    """Point the queue at the storage the settings name (or run tasks at once in tests)."""
    global _app
    _app = app
    immediate = app.config.get("TASK_QUEUE_IMMEDIATE")
    if immediate is None:
        immediate = bool(app.config.get("TESTING"))
    huey.storage_class, huey.storage_kwargs = _storage_for(app)
    huey.immediate = bool(immediate)
    huey.storage = huey.create_storage()


@contextlib.contextmanager
def app_context():
    """The app's context for a task: the caller's when there is one, else the worker's app."""
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        raise RuntimeError("the task queue has no app: call init_tasks(app) first")
    with _app.app_context():
        yield _app


def enqueue(task, *args) -> bool:
    """Queue a task; a queue that is down is logged, not raised (scheduled sweeps catch up)."""
    try:
        task(*args)
    except Exception:  # noqa: BLE001 - the queue server being unreachable must never fail a request
        log.exception("could not queue %s%r; the next sweep will pick it up", getattr(task, "name", task), args)
        return False
    return True
