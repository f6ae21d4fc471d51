"""Published responses: pages and documents that are the same for every anonymous visitor (hosted badges,
their baked images, the status list, public badge pages), kept as served and replayed in front of Flask.

A verifier, a backpack or a LinkedIn visitor fetching a badge gets the same bytes as everyone else until the
badge changes, so the first time the app serves such a response to someone not signed in it is stored, and
later requests for the same address are answered from the store by a small WSGI layer: no sign-in lookup,
no database, no template.

Correctness rests on a *generation*: a token in ``instance/published/generation``, read before the app builds
a response and stored with it. A stored response is replayed only while the generation is unchanged (and
before its own expiry, for what changes with time). Every committed write to a table those responses are
built from moves the generation on, after the commit and before the connection goes back to the pool
(``watch``): a response built from data read before the write carries the old token and is never replayed
after the change is visible. The generation also moves on at every start of the app, so new code or content
never replays old pages. The store is local to one server: with several app servers (``STORAGE_BACKEND``
"s3") it is off unless ``PUBLISHED_RESPONSES`` is set, which then needs ``instance/published`` shared.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, Response

from .generations import Generation, watch, write_atomically

MARK = "X-Lms-Publish"  # set by a view on a response anyone may be given; never leaves the app


def publishable(response: Response, until: float | None = None) -> Response:
    """Mark a response as the same for every anonymous visitor: it may be stored and replayed until the
    data it shows changes, or until the Unix time ``until`` (for what changes with the clock)."""
    response.headers[MARK] = "0" if until is None else f"{until:.0f}"
    return response


class PublishedStore:
    """Stored responses under ``root``: one folder per generation, one file per address in it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.responses = self.root / "r"
        self.responses.mkdir(parents=True, exist_ok=True)
        self.tokens = Generation(self.root / "generation")

    def generation(self) -> str:
        """The current generation token ("" before the first)."""
        return self.tokens.current()

    def advance(self) -> None:
        """Move the generation on: everything stored so far is never replayed again."""
        self.tokens.advance()

    def _file(self, path: str, generation: str) -> Path:
        return self.responses / generation / hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, path: str, generation: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) stored for ``path`` in this generation and not yet expired, or None."""
        if not generation:
            return None
        try:
            with open(self._file(path, generation), "rb") as f:
                head = json.loads(f.readline())
                if head["g"] != generation or (head["u"] and head["u"] <= time.time()):
                    return None
                return head["s"], [tuple(h) for h in head["h"]], f.read()
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def put(self, path: str, generation: str, until: float | None, status: str,
            headers: list[tuple[str, str]], body: bytes) -> None:
        """Store a response as built in ``generation`` (nothing when that generation is already pruned)."""
        if not generation:
            return
        head = json.dumps({"g": generation, "u": until, "s": status, "h": headers}).encode("utf-8")
        target = self._file(path, generation)
        try:
            target.parent.mkdir(exist_ok=True)
            write_atomically(target, head + b"\n" + body)
        except FileNotFoundError:  # pruned meanwhile: it could never be replayed anyway
            pass

    def prune(self) -> int:
        """Delete what earlier generations stored (never replayed again); the number of folders deleted."""
        current, deleted = self.generation(), 0
        for folder in self.responses.iterdir():
            if folder.name != current and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                deleted += 1
        return deleted


class PublishedResponses:
    """WSGI layer in front of the app: replays stored responses to anonymous GETs under ``prefixes``, and
    stores those the app marks publishable."""

    def __init__(self, wsgi_app, store: PublishedStore, prefixes: tuple[str, ...], cookie_names: Iterable[str]):
        self.wsgi_app = wsgi_app
        self.store = store
        self.prefixes = prefixes
        self.cookies = tuple(f"{name}=" for name in cookie_names)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if not path.startswith(self.prefixes):
            return self.wsgi_app(environ, start_response)
        if (method not in ("GET", "HEAD") or environ.get("QUERY_STRING")
                or any(c in environ.get("HTTP_COOKIE", "") for c in self.cookies)):
            def unmarked(status, headers, exc_info=None):  # answered by the app alone: nothing is stored
                return start_response(status, [(k, v) for k, v in headers if k != MARK], exc_info)
            return self.wsgi_app(environ, unmarked)
        generation = self.store.generation()  # before the app reads anything it builds from
        # The same path under another host name or prefix may carry other links: stored apart.
        key = f"{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}{path}"
        stored = self.store.get(key, generation)
        if stored is not None:
            return self._replay(environ, start_response, method, *stored)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            until = next((v for k, v in headers if k == MARK), None)
            captured["until"] = until
            return start_response(status, [(k, v) for k, v in headers if k != MARK], exc_info)

        body = self.wsgi_app(environ, capture)
        if (captured.get("until") is None or method != "GET"
                or any(k.lower() == "set-cookie" for k, _ in captured["headers"])):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(k, v) for k, v in captured["headers"] if k != MARK]
        self.store.put(key, generation, float(captured["until"]) or None, captured["status"], headers, data)
        return [data]

    @staticmethod
    def _replay(environ, start_response, method, status, headers, body):
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        if etag and etag in {t.strip() for t in environ.get("HTTP_IF_NONE_MATCH", "").split(",")}:
            kept = [(k, v) for k, v in headers if k.lower() in ("etag", "cache-control", "access-control-allow-origin")]
            start_response("304 NOT MODIFIED", kept)
            return []
        start_response(status, headers)
        return [] if method == "HEAD" else [body]


def init_app(app: Flask, prefixes: tuple[str, ...], tables: set[str]) -> PublishedStore | None:
    """Put the published-response layer in front of the app (unless switched off) and watch ``tables``."""
    enabled = app.config.get("PUBLISHED_RESPONSES")
    if enabled is None:
        enabled = app.config.get("STORAGE_BACKEND", "local") == "local"
    if not enabled:
        return None
    store = PublishedStore(Path(app.instance_path) / "published")
    store.advance()  # new code or content: never replay what an earlier start stored
    store.prune()
    from .extensions import db
    with app.app_context():
        watch(db.engine, store.tokens, {t.lower() for t in tables})
    app.wsgi_app = PublishedResponses(app.wsgi_app, store, prefixes,
                                      (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME",
                                                                                        "remember_token")))
    app.extensions["lms.published"] = store
    return store


def prune_store(app: Flask) -> int:
    """Delete what earlier generations of this app's store hold (the worker does this every hour)."""
    store = app.extensions.get("lms.published")
    return store.prune() if store is not None else 0
