"""Writing and reading the audit trail."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import joinedload

from ..content_store import catalogue
from ..domain.audit_text import EventFacts, sentence
from ..domain.spreadsheet import spreadsheet_safe
from ..extensions import db
from ..models import AuditEvent, User

PAGE_SIZE = 50


def record(actor: User | None, action: str, subject: str, *, subject_user_id: int | None = None,
           **details) -> AuditEvent:
    """Add an event to the current transaction (it is committed, or rolled back, with what it records).

    The person it is about is ``subject_user_id``, else the user named by a "user:N" subject or a
    ``learner_id`` detail, so that the trail can be filtered by person.
    """
    if subject_user_id is None:
        if subject.startswith("user:") and subject[5:].isdigit():
            subject_user_id = int(subject[5:])
        elif isinstance(details.get("learner_id"), int):
            subject_user_id = details["learner_id"]
    event = AuditEvent(actor_id=actor.id if actor else None, action=action, subject=subject,
                       subject_user_id=subject_user_id,
                       details=json.dumps(details, sort_keys=True, default=str) if details else "")
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What an admin narrows the trail to; every field optional."""

    person_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None


def person_name(user: User | None) -> str | None:
    """How the trail names a person: their name, or the pseudonym an erased account keeps."""
    if user is None:
        return None
    return user.name


def facts(event: AuditEvent) -> EventFacts:
    """The event with its people's names resolved, for the sentence."""
    try:
        details = json.loads(event.details) if event.details else {}
    except ValueError:
        details = {"details": event.details}
    if not isinstance(details, dict):
        details = {"details": details}
    if details.get("unit") and not details.get("unit_title"):
        unit = catalogue().unit(str(details["unit"]))
        details["unit_title"] = unit.title if unit else details["unit"]
    return EventFacts(event.action, person_name(event.actor), person_name(event.subject_user), details)


def describe(event: AuditEvent) -> str:
    """The event as a sentence with names."""
    return sentence(facts(event))


def _select(filters: AuditFilter):
    query = db.select(AuditEvent)
    if filters.person_id:
        query = query.where(db.or_(AuditEvent.actor_id == filters.person_id,
                                   AuditEvent.subject_user_id == filters.person_id))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.created_at >= datetime.combine(filters.since, time.min, timezone.utc))
    if filters.until:
        query = query.where(AuditEvent.created_at < datetime.combine(filters.until + timedelta(days=1), time.min,
                                                                    timezone.utc))
    # Names only: both people in the same statement, without their roles.
    return query.options(joinedload(AuditEvent.actor).lazyload(User.role_rows),
                         joinedload(AuditEvent.subject_user).lazyload(User.role_rows))


def page_of(filters: AuditFilter, page: int):
    """One page of matching events, newest first (paginated in SQL)."""
    query = _select(filters).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False, count=True)


def actions() -> list[str]:
    """Every action recorded so far, for the filter."""
    return list(db.session.execute(db.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars())


def csv_text(filters: AuditFilter, limit: int = 100_000) -> str:
    """Matching events as CSV (oldest first), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when (UTC)", "who", "action", "about", "what happened"])
    query = _select(filters).order_by(AuditEvent.created_at, AuditEvent.id).limit(limit)
    for event in db.session.execute(query).scalars():
        writer.writerow([spreadsheet_safe(v) for v in (event.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                                                person_name(event.actor) or "system", event.action,
                                                person_name(event.subject_user) or "", describe(event))])
    return out.getvalue()
