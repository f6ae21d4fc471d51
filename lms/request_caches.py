"""What a worker keeps between requests of someone signed in: their sign-in, and pages that are costly to
build and asked for again and again (the assessor queue).

Both are kept in the worker's memory under the generations they were built in (lms/generations.py), read
before the data: a sign-in is used again only while nothing was written to the people, roles, sign-ins or
notifications tables; a kept page only while, in addition, nothing was written to the tables it is built
from, and only until its own expiry (for what changes with the clock). A write by any worker of this
server moves the generation on for all of them. With several app servers the generation files must be
shared (``instance/generations``), or ``REQUEST_CACHES`` switched off; it is off by default when evidence
files are in an object store (``STORAGE_BACKEND`` "s3"), as for published responses.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request, session

from .generations import Generation, watch

# What the sign-in lookup reads: a write to one of these may end, change or re-count someone's sign-in.
SIGN_IN_TABLES = frozenset({"users", "user_roles", "user_sessions", "notifications"})
# Tables no assessor page is built from, written all day for other reasons (sign-ins, mail, the audit
# trail, learners reading units, journals): a write to them leaves kept assessor pages in use. Every other
# table, a new one included, moves the "marking" generation on.
NOT_MARKING_TABLES = frozenset({
    "audit_events", "mail_outbox", "login_throttles", "user_sessions", "email_opt_outs", "account_tokens",
    "unit_progress", "journal_entries", "journal_attachments", "mentees", "mentee_feedback_requests",
    "badge_images", "badge_status_lists", "notifications",
})


class Kept:
    """A bounded store of values, each kept with the generation stamps it was built under and an expiry;
    the least recently used go first."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, tuple[tuple[str, ...], float, Any]] = OrderedDict()
        self._lock = threading.Lock()  # the development server answers on threads

    def get(self, key, stamps: tuple[str, ...]):
        """The value kept for ``key`` under exactly these stamps and not expired, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] != stamps or item[1] <= time.time():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[2]

    def put(self, key, stamps: tuple[str, ...], until: float, value) -> None:
        """Keep ``value`` for ``key`` under ``stamps`` until the Unix time ``until``."""
        if "" in stamps:
            return
        with self._lock:
            self._items[key] = (stamps, until, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class RequestCaches:
    """The generations and stores of one app."""

    sign_in: Generation
    marking: Generation
    sign_ins: Kept
    pages: Kept

    def generation(self, name: str) -> Generation:
        """A generation by name ("sign_in" or "marking")."""
        return getattr(self, name)


def init_app(app: Flask) -> RequestCaches | None:
    """Set up the generations and stores (unless switched off) and watch the tables they depend on."""
    enabled = app.config.get("REQUEST_CACHES")
    if enabled is None:
        enabled = app.config.get("STORAGE_BACKEND", "local") == "local"
    if not enabled:
        return None
    root = Path(app.instance_path) / "generations"
    caches = RequestCaches(Generation(root / "sign_in"), Generation(root / "marking"),
                           Kept(int(app.config.get("SIGN_IN_CACHE_SIZE", 4096))),
                           Kept(int(app.config.get("PAGE_CACHE_SIZE", 256))))
    # New code, settings or content: nothing another start kept is used.
    caches.sign_in.advance()
    caches.marking.advance()
    from .extensions import db
    with app.app_context():
        watch(db.engine, caches.sign_in, SIGN_IN_TABLES)
        watch(db.engine, caches.marking, lambda table: table not in NOT_MARKING_TABLES)
    app.extensions["lms.request_caches"] = caches
    return caches


def request_caches() -> RequestCaches | None:
    """This app's caches, or None when they are switched off."""
    return current_app.extensions.get("lms.request_caches")


def keep_until(until: float) -> None:
    """Called by a kept view: the page it is building must not be used after the Unix time ``until``
    (something on it changes with the clock)."""
    g.page_kept_until = min(until, g.get("page_kept_until", until))


def kept_page(*generations: str, seconds: float = 30) -> Callable:
    """Keep a view's page per sign-in and address while the sign-in and ``generations`` are unchanged, for at
    most ``seconds`` (or less, see ``keep_until``). Goes inside the access check: that runs every time."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caches = request_caches()
            if caches is None or request.method not in ("GET", "HEAD"):
                return view(*args, **kwargs)
            # Read before anything the page is built from; the person (signed in before this runs) was read
            # under the sign-in generation of their lookup.
            sign_in = g.get("sign_in_generation") or caches.sign_in.current()
            stamps = (sign_in,) + tuple(caches.generation(n).current() for n in generations)
            # The session cookie holds the sign-in and anything waiting for the next page (a flashed
            # message): a different cookie is a different page.
            cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"], "")
            key = hashlib.sha256(f"{cookie}\0{request.full_path}".encode("utf-8", "surrogateescape")).digest()
            kept = caches.pages.get(key, stamps)
            if kept is not None:
                status, mimetype, body = kept
                return Response(body, status=status, mimetype=mimetype)
            response = make_response(view(*args, **kwargs))
            if (response.status_code == 200 and not response.direct_passthrough and not session.modified
                    and "Set-Cookie" not in response.headers):
                until = min(time.time() + seconds, g.get("page_kept_until", float("inf")))
                caches.pages.put(key, stamps, until, (response.status_code, response.mimetype, response.get_data()))
            return response

        return wrapper

    return decorate
