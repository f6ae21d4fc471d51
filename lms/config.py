"""Configuration: defaults here, then instance/config.py, then LMS_* environment variables.

No secret lives in this file: SECRET_KEY is read from configuration or generated once into
the instance folder.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class Defaults:
    """Settings every deployment starts from; override in instance/config.py or LMS_* variables."""

    # Database: LMS_DATABASE_URL, e.g. postgresql://user@host/dbname. Default: SQLite in instance/.
    DATABASE_URL = None
    # Where the course content lives.
    MODULES_DIR = str(PROJECT_ROOT / "modules")
    RUBRICS_DIR = str(PROJECT_ROOT / "rubrics")
    BADGES_DIR = str(PROJECT_ROOT / "badges")
    # Absolute URL the public sees (https://mentoring.example.org); used in published JSON.
    # When unset, the URL of the current request is used.
    PUBLIC_BASE_URL = None
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
    TRUSTED_PROXIES = 0
    # Host names the app answers to (others get 400), e.g. ["mentoring.example.org"]. Unset: any host
    # when PUBLIC_BASE_URL is set, else only the development server's own address, so that a forged
    # Host header cannot change the URLs written into published badges.
    TRUSTED_HOSTS = None

    # Sessions: a server-side record per sign-in, so signing out ends it everywhere.
    SESSION_HOURS = 12
    SESSION_COOKIE_NAME = "lms_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True (LMS_SESSION_COOKIE_SECURE=true) when served over HTTPS

    # Failed sign-ins: after LOGIN_MAX_FAILURES within LOGIN_WINDOW_MINUTES for one email
    # (or LOGIN_MAX_FAILURES_PER_IP for one address), sign-in is locked for LOGIN_LOCK_MINUTES.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    PASSWORD_MIN_LENGTH = 10
    # Accounts: anyone may register (confirming their address by email) unless this is False,
    # when accounts are by invitation only. Emailed links work once and expire.
    SELF_REGISTRATION = True
    INVITATION_DAYS = 14
    RESET_LINK_MINUTES = 60
    RESET_RESEND_MINUTES = 2  # at most one reset email per account in this time
    CONFIRM_LINK_HOURS = 48  # registration and email-change confirmations
    ENDORSEMENT_LINK_DAYS = 21  # a request to endorse a badge

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Evidence uploads: the limit for one file, in MB. A whole request may carry a few files.
    UPLOAD_MAX_MB = 20
    UPLOADS_PER_REQUEST = 5
    # Where evidence files live: "local" (instance/uploads, or STORAGE_LOCAL_DIR) or "s3", an
    # S3-compatible object store shared by several app servers (S3_BUCKET, S3_ENDPOINT_URL, S3_REGION,
    # S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY; S3_PREFIX "evidence/").
    STORAGE_BACKEND = "local"
    STORAGE_LOCAL_DIR = None
    S3_BUCKET = None
    S3_ENDPOINT_URL = None
    S3_REGION = None
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    S3_PREFIX = "evidence/"
    # Evidence files are deleted this many months after the end of the learner's cohort (or, without a
    # cohort, after their last activity), by the worker, nightly; files shown on a public badge stay.
    RETENTION_MONTHS = 24
    # How long opening a submission reserves it for one assessor.
    CLAIM_MINUTES = 30
    # Calibration: an assessor is calibrated at or above this exact agreement (0 to 1) with the agreed
    # levels over their last completed round; a round draws this many exemplars they have not scored.
    CALIBRATION_THRESHOLD = 0.8
    CALIBRATION_ROUND_SIZE = 3
    # Agreement statistics: an indicator is flagged only with at least this many pairs of marks.
    AGREEMENT_MIN_PAIRS = 10
    # Assessors see a submission code, never the learner's name or email (False shows names too).
    BLIND_MARKING = True
    # The share of submissions drawn at random, when submitted, for a second blind mark (0 to 1).
    SECOND_MARKING_SHARE = 0.2
    # A learner may ask for a review of a final decision within this many days.
    REVIEW_DAYS = 14
    # The turnaround target, in working days (Monday to Friday in TIMEZONE, less HOLIDAYS, ISO dates).
    TURNAROUND_WORKING_DAYS = 5
    TIMEZONE = "Indian/Mauritius"
    HOLIDAYS: list[str] = []
    # Submissions per page of the assessment queue.
    QUEUE_PAGE_SIZE = 25

    # The badge issuer, as badges and verifiers show it. Set these for a real deployment.
    ISSUER_NAME = "MCF Mentoring Micro-credential"
    ISSUER_URL = None  # default: the site's home page
    ISSUER_EMAIL = "mentoring@example.org"
    ISSUER_IMAGE_URL = None  # default: the micro-credential's artwork
    ISSUER_DESCRIPTION = "Micro-credentials in teacher mentoring, built on the Mentoring Competency Framework."
    # did:key (derived from instance/issuer-ed25519.pem) unless set, e.g. "did:web:mentoring.example.org";
    # a did:web needs /.well-known/did.json served over https at that host.
    ISSUER_DID = None
    BADGE_VALIDITY_DAYS = None  # badges do not expire unless set
    # The organisation's LinkedIn id (the number in its company page's admin URL): "Add to LinkedIn"
    # then links the certification to that page instead of just naming the issuer.
    ISSUER_LINKEDIN_ID = None
    # No ping before each request's first statement: it is a round trip on every request (about a tenth
    # of a simple page's cost). A connection the database dropped fails one request, and SQLAlchemy then
    # replaces every pooled connection; set LMS_SQLALCHEMY_ENGINE_OPTIONS='{"pool_pre_ping": true}' where
    # connections are cut often (a proxy with idle timeouts). pool_recycle retires them before such cuts.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 1800}
    # A sign-in's cookie is written when the sign-in starts, not again on every request (signing and
    # compressing it each time); it lasts as long as the sign-in itself (SESSION_HOURS), which the database
    # ends earlier on sign-out.
    SESSION_REFRESH_EACH_REQUEST = False

    # Email (LMS_MAIL_HOST etc.). Without MAIL_HOST each email is written to instance/mail/.
    MAIL_HOST = None
    MAIL_PORT = None  # default: 587 with starttls, 465 with ssl, 25 with none
    MAIL_TLS = "starttls"  # "starttls", "ssl" or "none"
    MAIL_USER = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "MCF Mentoring <no-reply@mentoring.example.org>"
    MAIL_TIMEOUT_SECONDS = 30
    MAIL_MAX_ATTEMPTS = 10  # then the message is marked failed (kept in the outbox)
    MAIL_KEEP_DAYS = 30  # sent and failed messages are deleted after this many days
    # Background work: unset = a SQLite queue in instance/ (one app server); with several app
    # servers, a shared redis://host:6379/0 or postgresql://... URL. Tests run tasks at once.
    TASK_QUEUE_URL = None
    TASK_QUEUE_IMMEDIATE = None  # default: on when TESTING
    # The assessors' daily digest: sent at this hour (UTC); "overdue" is past the turnaround target (TURNAROUND_WORKING_DAYS).
    DIGEST_HOUR = 6
    # Learners are reminded by email this many days before each unmet target date of their cohort.
    REMINDER_DAYS = 3


def load_config(app: Flask, test_config: dict | None = None) -> None:
    """Fill ``app.config`` in order: defaults, instance/config.py, LMS_* environment, test overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("LMS")
    if test_config:
        app.config.update(test_config)

    url = app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'lms.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if not app.config.get("MAX_CONTENT_LENGTH"):
        per_file = int(app.config["UPLOAD_MAX_MB"]) * 1024 * 1024
        app.config["MAX_CONTENT_LENGTH"] = per_file * int(app.config["UPLOADS_PER_REQUEST"]) + 1024 * 1024
    if app.config.get("TRUSTED_HOSTS") is None and not app.config.get("PUBLIC_BASE_URL"):
        app.config["TRUSTED_HOSTS"] = list(LOCAL_HOSTS)
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):  # Flask's default: nobody set it
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_HOURS"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance: Path) -> str:
    """The secret key kept in instance/secret_key, created on first start (readable by owner only)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty: delete it to have a new key generated") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_hex(32)
        handle.write(key + "\n")
    return key
