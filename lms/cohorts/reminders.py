"""Reminders by email to learners a few days before a target date of their cohort's plan."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, request, url_for
from huey import crontab
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..content_store import catalogue
from ..domain.cohort_plan import learner_plan
from ..extensions import db
from ..mail.services import link_context, queue_template
from ..models import User
from ..notifications.services import wants_email
from ..tasks import app_context, huey
from .models import Cohort, CohortLearner
from .services import done_units, today


def send_reminders(on: date | None = None) -> int:
    """Queue a reminder for each unmet target due in REMINDER_DAYS days; at most once per target and learner."""
    on = on or today()
    days = int(current_app.config["REMINDER_DAYS"])
    members = db.session.execute(
        db.select(CohortLearner).join(User, CohortLearner.user_id == User.id).where(User.active)
        .order_by(CohortLearner.user_id)
        .options(selectinload(CohortLearner.user), selectinload(CohortLearner.cohort).selectinload(Cohort.targets))
    ).scalars().all()
    done = done_units([m.user_id for m in members]) if members else {}
    sent = 0
    with link_context():
        base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
        for member in members:
            plan = learner_plan(catalogue(), member.cohort.plan, done.get(member.user_id, set()), on,
                                member.extension_days)
            due = [t for t in plan.targets if not t.met and t.due_on == on + timedelta(days=days)]
            if not due or not wants_email(member.user_id, "reminders"):
                continue
            user = member.user
            key = f"reminder:{user.id}:{due[0].due_on.isoformat()}"
            try:
                with db.session.begin_nested():
                    queue_template(user.email, "reminder", "reminders", user_id=user.id, dedupe_key=key, user=user,
                                   targets=due, due_on=due[0].due_on, days=days, cohort=member.cohort,
                                   units={s: catalogue().unit(s) for t in due for s in t.missing_slugs},
                                   base=base, dashboard_url=base + url_for("learning.dashboard"),
                                   settings_url=base + url_for("notifications.settings"))
            except IntegrityError:
                continue  # reminded already
            sent += 1
    db.session.commit()
    return sent


@huey.periodic_task(crontab(minute="17"))
def reminder_job() -> None:
    """Hourly (idempotent): today's reminders go on the first run of the day."""
    with app_context():
        send_reminders()
