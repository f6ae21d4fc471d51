"""The assessors' daily digest by email: new and overdue submissions in the queue (no learner names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from huey import crontab
from sqlalchemy.exc import IntegrityError

from ..content_store import catalogue
from ..extensions import db
from ..mail.services import link_context, queue_template
from ..models import User, UserRole, utcnow
from ..notifications.services import wants_email
from ..tasks import app_context, huey
from .models import SECOND, MarkingCase


@dataclass(frozen=True)
class UnitLine:
    """One unit's waiting submissions in a digest."""

    title: str
    waiting: int
    new: int
    overdue: int
    second: int  # of those waiting, how many need a second, independent mark
    oldest: timedelta


def queue_summary(assessor: User, now: datetime) -> list[UnitLine]:
    """Per unit, what this assessor could mark now (as their queue shows it): waiting, new in the last day,
    past the turnaround target in working days, and waiting for a second mark."""
    from .services import _eligible, calendar, is_calibrated_marker, turnaround_days

    overdue_before = calendar().overdue_before(now, turnaround_days())
    new_after = now - timedelta(days=1)
    rows = db.session.execute(
        db.select(MarkingCase.unit_slug, db.func.count(),
                  db.func.sum(db.case((MarkingCase.submitted_at > new_after, 1), else_=0)),
                  db.func.sum(db.case((MarkingCase.submitted_at < overdue_before, 1), else_=0)),
                  db.func.sum(db.case((MarkingCase.stage == SECOND, 1), else_=0)),
                  db.func.min(MarkingCase.submitted_at))
        .where(_eligible(assessor, is_calibrated_marker(assessor)))
        .group_by(MarkingCase.unit_slug)
    ).all()
    cat = catalogue()
    lines = []
    for slug, waiting, new, overdue, second, oldest in rows:
        unit = cat.unit(slug)
        if oldest.tzinfo is None:  # SQLite's MIN() returns the stored text without our type's conversion
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
        lines.append(UnitLine(unit.title if unit else slug, waiting, int(new or 0), int(overdue or 0),
                              int(second or 0), now - oldest))
    return sorted(lines, key=lambda line: line.oldest, reverse=True)


def send_daily_digests(now: datetime | None = None) -> int:
    """Queue today's digest for each assessor who wants it and has new or overdue work; returns how many.

    Safe to run again: a digest is sent at most once per assessor and day (a unique outbox key)."""
    now = now or utcnow()
    if now.hour < int(current_app.config["DIGEST_HOUR"]):
        return 0
    from .services import turnaround_days

    day = now.date().isoformat()
    assessors = db.session.execute(
        db.select(User).join(UserRole).where(UserRole.role.in_(("assessor", "lead_assessor")), User.active)
        .distinct().order_by(User.id)).scalars().all()
    sent = 0
    with link_context():
        queue_url = _absolute(url_for("assessment.queue"))
        settings_url = _absolute(url_for("notifications.settings"))
        for assessor in assessors:
            if not wants_email(assessor.id, "digest"):
                continue
            lines = queue_summary(assessor, now)
            new, overdue = sum(line.new for line in lines), sum(line.overdue for line in lines)
            if not new and not overdue:
                continue
            try:
                with db.session.begin_nested():
                    queue_template(assessor.email, "digest", "digest", user_id=assessor.id,
                                   dedupe_key=f"digest:{assessor.id}:{day}", user=assessor, lines=lines, new=new,
                                   overdue=overdue, waiting=sum(line.waiting for line in lines),
                                   second=sum(line.second for line in lines), target=turnaround_days(),
                                   queue_url=queue_url, settings_url=settings_url)
            except IntegrityError:
                continue  # today's digest went already
            sent += 1
    db.session.commit()
    return sent


def _absolute(path: str) -> str:
    from flask import request
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/") + path


@huey.periodic_task(crontab(minute="7"))
def daily_digest_job() -> None:
    """Hourly; sends each day's digests on the first run at or after DIGEST_HOUR (UTC)."""
    with app_context():
        send_daily_digests()
