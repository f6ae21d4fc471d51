"""Queueing and delivering email.

`queue_mail` adds a message to the outbox in the caller's transaction: if the change is rolled back,
so is the email. Once the transaction commits, a task is queued to deliver it; the worker's sweep
delivers anything still due (a queue that was down, a server that refused, a worker that died),
with growing delays between attempts. Without MAIL_HOST each email is written to instance/mail/.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, has_request_context, render_template
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import utcnow
from .models import FAILED, PENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

# Minutes to wait before each retry: the last one repeats until MAIL_MAX_ATTEMPTS.
RETRY_MINUTES = (1, 5, 15, 60, 240)
# A claimed message is not tried again by anyone else for this long (a worker that dies mid-send).
CLAIM_LEASE = timedelta(minutes=10)
MAIL_FOLDER = "mail"
_PENDING_KEY = "lms_mail_pending"


def queue_mail(to_address: str, subject: str, body: str, kind: str, user_id: int | None = None,
               dedupe_key: str | None = None) -> OutboxMessage:
    """Add an email to the outbox in the current transaction; it is sent after the commit."""
    message = OutboxMessage(to_address=to_address, subject=" ".join(subject.split())[:200], body=body, kind=kind,
                            user_id=user_id, dedupe_key=dedupe_key, status=PENDING, attempts=0,
                            next_attempt_at=utcnow())
    db.session.add(message)
    return message


def queue_template(to_address: str, template: str, kind: str, user_id: int | None = None,
                   dedupe_key: str | None = None, **context) -> OutboxMessage:
    """Render ``mail/<template>.txt`` (first line "Subject: ...", then a blank line, then the body) and queue it."""
    text = render_template(f"mail/{template}.txt", **context)
    head, _, body = text.lstrip().partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject:' line")
    return queue_mail(to_address, head[len("Subject:"):].strip(), body.strip() + "\n", kind, user_id, dedupe_key)


@contextmanager
def link_context():
    """A request context for building absolute links in email when there is no request (worker, CLI)."""
    if has_request_context():
        yield
        return
    import os
    base = current_app.config.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    with current_app.test_request_context(base_url=base):
        yield


# --- after commit: hand the new messages to the worker -------------------------------------------

@event.listens_for(db.session, "after_flush")
def _remember_new_messages(session, flush_context):
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


@event.listens_for(db.session, "after_commit")
def _send_after_commit(session):
    if session.in_nested_transaction():  # a savepoint was released: the real commit is still to come
        return
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        from . import tasks
        from ..tasks import enqueue
        for message_id in ids:
            enqueue(tasks.deliver_message, message_id)


@event.listens_for(db.session, "after_rollback")
def _forget_on_rollback(session):
    # A savepoint's rollback keeps the outer transaction's messages (any of its own are simply not found).
    if not session.in_nested_transaction():
        session.info.pop(_PENDING_KEY, None)


# --- delivery (run by the worker) ----------------------------------------------------------------

def deliver(message_id: int, now: datetime | None = None) -> str | None:
    """Try to send one outbox message if it is due; returns its new status, or None if it was not ours to send."""
    now = now or utcnow()
    with Session(db.engine) as session:
        # Claim it: only one worker sends a message, and a worker that dies lets it go after the lease.
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        ).rowcount
        session.commit()
        if not claimed:
            return None
        message = session.get(OutboxMessage, message_id)
        try:
            send(build_email(message), f"{message.id:06d}-{message.kind}")
        except (smtplib.SMTPException, OSError) as exc:
            permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
                isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500)
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                message.status = FAILED
                log.error("gave up on email %s to %s: %s", message.id, message.to_address, message.last_error)
            else:
                wait = RETRY_MINUTES[min(message.attempts, len(RETRY_MINUTES)) - 1]
                message.next_attempt_at = now + timedelta(minutes=wait)
                log.warning("email %s not sent (%s); retrying in %s min", message.id, message.last_error, wait)
        else:
            message.status, message.sent_at, message.last_error = SENT, utcnow(), ""
        session.commit()
        return message.status


def forget_mail(user_id: int) -> None:
    """Delete every email to or about this person from the outbox (erasure); queued ones are not sent."""
    db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.user_id == user_id))


def forget_old_mail(now: datetime | None = None) -> int:
    """Delete sent and failed messages older than MAIL_KEEP_DAYS (they hold addresses and names)."""
    cutoff = (now or utcnow()) - timedelta(days=int(current_app.config["MAIL_KEEP_DAYS"]))
    done = db.session.execute(db.delete(OutboxMessage).where(
        OutboxMessage.status != PENDING, OutboxMessage.created_at < cutoff)).rowcount
    db.session.commit()
    return done


def due_message_ids(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Pending messages whose next attempt is due, oldest first."""
    return list(db.session.execute(
        db.select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= (now or utcnow()))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    ).scalars())


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """Try every message that is due; returns how many ended sent, failed or still pending."""
    counts = {SENT: 0, FAILED: 0, PENDING: 0}
    ids = due_message_ids(now)
    db.session.rollback()  # end the read, so SQLite lets the deliveries write
    for message_id in ids:
        status = deliver(message_id, now)
        if status:
            counts[status] += 1
    return counts


def outbox_counts() -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    rows = db.session.execute(db.select(OutboxMessage.status, db.func.count()).group_by(OutboxMessage.status))
    return {PENDING: 0, SENT: 0, FAILED: 0, **dict(rows.all())}


def build_email(message: OutboxMessage) -> EmailMessage:
    """The email as it goes on the wire: plain text, from MAIL_SENDER."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"lms.{message.id}")
    email["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a machine
    email.set_content(message.body)
    return email


def send(email: EmailMessage, file_name: str = "mail") -> None:
    """Hand one email to the configured SMTP server, or write it to instance/mail/<file_name>.eml when there is none."""
    config = current_app.config
    host = config.get("MAIL_HOST")
    if not host:
        _write_to_folder(email, file_name)
        return
    tls = str(config.get("MAIL_TLS") or "none").lower()
    if tls not in ("starttls", "ssl", "none"):
        raise smtplib.SMTPException(f"MAIL_TLS must be starttls, ssl or none, not {tls!r}")
    port = int(config.get("MAIL_PORT") or {"ssl": 465, "starttls": 587}.get(tls, 25))
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    context = ssl.create_default_context()
    if tls == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if tls == "starttls":
            smtp.starttls(context=context)
        if config.get("MAIL_USER"):
            smtp.login(config["MAIL_USER"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)


def mail_folder() -> Path:
    """Where emails are kept when no SMTP server is configured: instance/mail/."""
    return Path(current_app.instance_path) / MAIL_FOLDER


def _write_to_folder(email: EmailMessage, file_name: str) -> None:
    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name}.eml"
    path.write_bytes(email.as_bytes())
