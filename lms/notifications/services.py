"""Writing and reading notifications."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from ..extensions import db
from ..mail.services import link_context, queue_template
from ..models import User, utcnow
from .models import EMAIL_KINDS, EmailOptOut, Notification


def notify(user_id: int, message: str, link: str = "", email_kind: str | None = None) -> None:
    """Add a notification to the current transaction (committed with what it is about).

    With ``email_kind`` (one of EMAIL_KINDS) it also goes by email, unless the person turned that kind off."""
    db.session.add(Notification(user_id=user_id, message=message[:300], link=link))
    _recount(user_id)
    if email_kind is None:
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active or not wants_email(user_id, email_kind):
        return
    with link_context():
        base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
        settings_url = base + _settings_path()
    queue_template(user.email, "notification", email_kind, user_id=user_id, user=user, message=message,
                   url=base + link if link.startswith("/") else link, settings_url=settings_url)


def _recount(user_id: int) -> None:
    """The signed-in person's unread count came with their sign-in; after a change, pages count again."""
    if has_request_context():
        from flask_login import current_user
        if getattr(current_user, "id", None) == user_id:
            current_user.unread_notifications = None


def _settings_path() -> str:
    from flask import url_for
    return url_for("notifications.settings")


def wants_email(user_id: int, kind: str) -> bool:
    """True unless the person has turned this kind of email off."""
    return db.session.get(EmailOptOut, (user_id, kind)) is None


def email_choices(user: User) -> dict[str, str]:
    """The kinds of optional email that concern this person, with their descriptions."""
    kinds = ["decisions", "badges", "reminders"] if user.has_role("learner") else []
    if user.has_role("assessor", "lead_assessor"):
        kinds.append("digest")
    return {kind: EMAIL_KINDS[kind] for kind in kinds}


def email_settings(user: User) -> dict[str, bool]:
    """For each kind of optional email that concerns the person: whether they get it."""
    off = set(db.session.execute(db.select(EmailOptOut.kind).where(EmailOptOut.user_id == user.id)).scalars())
    return {kind: kind not in off for kind in email_choices(user)}


def save_email_settings(user: User, wanted: set[str]) -> None:
    """Turn each optional kind of email on or off for the person."""
    for kind in email_choices(user):
        row = db.session.get(EmailOptOut, (user.id, kind))
        if kind in wanted and row is not None:
            db.session.delete(row)
        elif kind not in wanted and row is None:
            db.session.add(EmailOptOut(user_id=user.id, kind=kind))
    db.session.commit()


def unread_count(user_id: int) -> int:
    """How many notifications the user has not read."""
    return db.session.execute(
        db.select(db.func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    """The user's newest notifications."""
    return list(db.session.execute(
        db.select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).scalars())


def mark_all_read(user_id: int) -> None:
    """Mark every notification of the user read."""
    db.session.execute(db.update(Notification)
                       .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.commit()
    _recount(user_id)
