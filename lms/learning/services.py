"""Reading and writing a learner's unit completions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..content_store import catalogue
from ..domain.progress import CourseProgress, course_progress
from ..extensions import db
from ..models import UnitProgress, User


def completions(user: User) -> dict[str, datetime]:
    """When the learner completed each unit, by unit slug."""
    rows = db.session.execute(
        db.select(UnitProgress.unit_slug, UnitProgress.completed_at).where(UnitProgress.user_id == user.id)
    ).all()
    return {slug: when for slug, when in rows}


def progress(user: User) -> CourseProgress:
    """The learner's progress through the course."""
    return course_progress(catalogue(), completions(user))


def mark_complete(user: User, slug: str) -> bool:
    """Record the unit as completed; False when it already was (a double click changes nothing)."""
    db.session.add(UnitProgress(user_id=user.id, unit_slug=slug))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def mark_incomplete(user: User, slug: str) -> bool:
    """Take back a completion; False when the unit was not completed."""
    result = db.session.execute(
        db.delete(UnitProgress).where(UnitProgress.user_id == user.id, UnitProgress.unit_slug == slug)
    )
    db.session.commit()
    return result.rowcount > 0
