"""The MCF mentoring micro-credential: a Flask application factory."""

from __future__ import annotations

import os

import click
from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .content_store import init_content
from .extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, content (stops with a report if broken), database, routes."""
    app = Flask(__name__, instance_path=os.environ.get("LMS_INSTANCE_PATH") or None,
                instance_relative_config=True)
    load_config(app, test_config)
    if app.config.get("TESTING") and app.config.get("PASSWORD_HASH_CHEAP"):
        from .auth.passwords import use_cheap_hashing_for_tests
        use_cheap_hashing_for_tests()
    os.makedirs(app.instance_path, exist_ok=True)

    init_content(app)
    db.init_app(app)
    from .prepared_statements import keep_prepared_statements
    with app.app_context():
        keep_prepared_statements(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)  # SQLite needs batch ALTERs
    csrf.init_app(app)
    _init_login(app)
    from .mail import tasks as _mail_tasks  # noqa: F401 - registers the worker's mail tasks
    from .privacy import tasks as _privacy_tasks  # noqa: F401 - registers the nightly retention sweep
    from .assessment import digest as _digest  # noqa: F401 - registers the assessors' daily digest
    from .cohorts import reminders as _reminders  # noqa: F401 - registers the learners' target-date reminders
    from . import published_tasks as _published_tasks  # noqa: F401 - registers the hourly prune of stored responses
    from .tasks import init_tasks
    init_tasks(app)

    # Hosted badges, their images and public pages are the same for every anonymous visitor: replayed
    # from what was served until a badge, its earner or the status list changes (lms/published.py).
    from . import published
    from .badges.views import PUBLISHED_PREFIXES, PUBLISHED_TABLES
    published.init_app(app, PUBLISHED_PREFIXES, PUBLISHED_TABLES)
    # Sign-ins and the assessor queue, kept per worker while nothing they are built from changes.
    from . import request_caches
    request_caches.init_app(app)

    if app.config["TRUSTED_PROXIES"]:
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    from .admin.views import bp as admin_bp
    from .assessment.views import bp as assessment_bp
    from .auth.views import bp as auth_bp
    from .badges.views import bp as badges_bp
    from .calibration.views import bp as calibration_bp, stats_bp
    from .cohorts.views import bp as cohorts_bp
    from .evidence.views import bp as evidence_bp
    from .framework_pages.views import bp as framework_bp
    from .framework_pages.views import case_bp
    from .learning.views import bp as learning_bp
    from .notifications.views import bp as notifications_bp
    from .journal.views import bp as journal_bp
    from .privacy.views import bp as privacy_bp
    from .register.views import bp as register_bp
    for blueprint in (auth_bp, learning_bp, evidence_bp, assessment_bp, notifications_bp, framework_bp, admin_bp,
                      badges_bp, privacy_bp, register_bp, journal_bp, calibration_bp, stats_bp, cohorts_bp,
                      case_bp):
        app.register_blueprint(blueprint)

    from .badges.services import init_app as init_badge_issuing
    init_badge_issuing(app)
    # Browsers ask for /favicon.ico wherever a page names no icon (JSON documents, say).
    app.add_url_rule("/favicon.ico", "favicon",
                     lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    from .assessment.services import init_app as init_assessment
    init_assessment(app)
    from .journal.services import init_app as init_journal
    init_journal(app)

    from .cli import register_cli
    register_cli(app)
    _init_pages(app)
    return app


def _init_login(app: Flask) -> None:
    from .auth.services import user_for_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # Flask-Login stores our sign-in token as the "user id"; an ended sign-in loads no one.
    login_manager.user_loader(user_for_session)

    @login_manager.unauthorized_handler
    def unauthorized():
        """Sign-in needed: a refused post gives back what was typed; scripts get JSON; others go to sign in."""
        from flask_login import login_url
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="Your sign-in has ended. Sign in again; your text is kept in this browser."), 401
        kept = kept_text()
        if kept:
            return render_template("error.html", title="Not saved: your sign-in has ended",
                                   message=KEPT_MESSAGE, kept=kept, back=_referrer_path()), 401
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))


def _init_pages(app: Flask) -> None:
    from .auth.forms import LogoutForm

    from flask_login import current_user

    from .notifications.services import unread_count

    @app.context_processor
    def page_globals():
        unread = 0
        if current_user.is_authenticated:  # counted with the sign-in lookup; else counted now
            unread = current_user.unread_notifications
            if unread is None:
                unread = unread_count(current_user.id)
        # formdata=None: the sign-out form must not read the request body, which may be the
        # oversized one a 413 page is answering.
        # Only for someone signed in: making the form makes a CSRF token, which would give every anonymous
        # visitor a session cookie (and make public pages unshareable between visitors).
        return {"logout_form": LogoutForm(formdata=None) if current_user.is_authenticated else None,
                "unread_notifications": unread}

    @app.template_filter("waiting")
    def waiting(delta) -> str:
        """A waiting time as people say it: "3 days 4 hours", "25 minutes"."""
        minutes = int(delta.total_seconds() // 60)
        days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
        if days:
            return f"{days} day{'s' * (days != 1)}" + (f" {hours} hour{'s' * (hours != 1)}" if hours else "")
        if hours:
            return f"{hours} hour{'s' * (hours != 1)}" + (f" {mins} min" if mins else "")
        return f"{mins} minute{'s' * (mins != 1)}"

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Pages shown to someone signed in hold their work: keep them out of shared and back-button caches.
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers \
                and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    for status, title, message in (
        (403, "Not allowed", "Your account does not have access to this page."),
        (404, "Page not found", "There is nothing at this address. It may have moved, or the link is wrong."),
        (405, "Not allowed", "This page cannot be used that way."),
        (413, "Upload too large", "Everything sent at once was larger than the server accepts, so nothing was "
                                  "saved. Go back: your text should still be in the form. Attach fewer or "
                                  "smaller files and save again."),
    ):
        app.register_error_handler(status, _error_page(status, title, message))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        kept = kept_text()
        if kept:
            return render_template("error.html", title="Not saved: your sign-in or this form has expired",
                                   message=KEPT_MESSAGE, kept=kept, back=_referrer_path()), 400
        return render_template("error.html", title="Form expired",
                               message="The form was missing its security token or it had expired. "
                                       "Go back, reload the page and try again; nothing was changed."), 400


KEPT_MESSAGE = ("Nothing was saved, because this request did not come with a valid sign-in. What you typed is below: "
                "copy it, sign in again and paste it back. If your browser runs scripts, it has also kept a copy "
                "and the evidence page will offer it back once you are signed in.")
# Form fields whose text a person typed at length and must get back when a post is refused.
KEPT_FIELDS = (("reflection", "Your reflection"), ("links", "Your links"), ("feedback", "Your feedback"))


def _referrer_path() -> str | None:
    """The path of the page the refused form was on (to return to after signing in), if it was ours."""
    from urllib.parse import urlsplit
    parts = urlsplit(request.referrer or "")
    return parts.path if parts.netloc == request.host and parts.path.startswith("/") else None


def kept_text() -> list[tuple[str, str]]:
    """The long text fields of a refused post, to show back (never to save): (label, text)."""
    if request.method != "POST" or request.content_length is None:
        return []
    try:
        data = request.form
    except Exception:  # an unreadable body: nothing to give back
        return []
    return [(label, data[name]) for name, label in KEPT_FIELDS if data.get(name, "").strip()]


def _error_page(status: int, title: str, message: str):
    def handler(error):
        return render_template("error.html", title=title, message=message), status
    return handler


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, wait for locks, and let readers run beside a writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


__all__ = ["create_app", "click"]
