"""Writing and reading notifications."""

from __future__ import annotations

from ..extensions import db
from ..models import utcnow
from .models import Notification


def notify(user_id: int, message: str, link: str = "") -> None:
    """Add a notification to the current transaction (committed with what it is about)."""
    db.session.add(Notification(user_id=user_id, message=message[:300], link=link))


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
