"""Journal operations: the one place that writes mentees, entries, attachments and mentee feedback."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit.services import record as record_event
from ..evidence.models import DRAFT, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, utcnow
from .models import KINDS, EntryAttachment, FeedbackRequest, JournalEntry, Mentee

PAGE_SIZE = 20
FEEDBACK_DAYS = 21
MAX_TEXT = 5_000
# The standard mentee feedback form: statements rated on one scale, then free text.
FEEDBACK_STATEMENTS = (
    ("listening", "My mentor listens to me fully before giving advice."),
    ("feedback", "The feedback I get is specific and helps me plan my next lesson."),
    ("respect", "My mentor treats me, my ideas and my pupils with respect."),
    ("agency", "My mentor lets me make my own teaching decisions and supports them."),
)
FEEDBACK_SCALE = ("Not yet", "Sometimes", "Mostly", "Always")


class JournalError(Exception):
    """A journal action that cannot be done; the message says what to do."""


@dataclass(frozen=True)
class EntryInput:
    """What the learner typed for one entry."""

    kind: str
    occurred_on: str
    title: str
    body: str = ""
    agreed: str = ""
    mentee_id: int | None = None
    goal_id: int | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mentees_of(learner: User) -> list[Mentee]:
    """The learner's mentees."""
    return list(db.session.execute(db.select(Mentee).where(Mentee.learner_id == learner.id)
                                   .order_by(Mentee.display_name)).scalars())


def add_mentee(learner: User, display_name: str) -> Mentee:
    """Record a mentee by first name or code; a full name is refused, to keep the journal anonymous."""
    name = display_name.strip()
    if not name or len(name) > 60:
        raise JournalError("Give your mentee's first name or a code (at most 60 characters).")
    if len(name.split()) > 1:
        raise JournalError("Use a first name or a code only, not a full name: the journal may be read by assessors.")
    mentee = Mentee(learner_id=learner.id, display_name=name)
    db.session.add(mentee)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise JournalError(f"You already have a mentee called {name}.") from None
    return mentee


def _own(model, learner: User, item_id: int | None):
    if item_id is None:
        return None
    item = db.session.get(model, item_id)
    if item is None or item.learner_id != learner.id:
        raise JournalError("That mentee or goal is not in your journal.")
    return item


def save_entry(learner: User, data: EntryInput, entry_id: int | None = None) -> JournalEntry:
    """Write a new entry (dated now by the app) or edit one (its first time stays; the edit time is added)."""
    if data.kind not in KINDS or data.kind == "mentee_feedback":
        raise JournalError("Choose what kind of entry this is.")
    try:
        occurred = date.fromisoformat(data.occurred_on)
    except ValueError:
        raise JournalError("Give the date it happened, as YYYY-MM-DD.") from None
    if occurred > (utcnow() + timedelta(days=1)).date():
        raise JournalError("The date it happened cannot be in the future.")
    title = data.title.strip()
    if not title or len(title) > 200:
        raise JournalError("Give the entry a focus or title (at most 200 characters).")
    if len(data.body) > MAX_TEXT or len(data.agreed) > MAX_TEXT:
        raise JournalError(f"Keep each text under {MAX_TEXT:,} characters; nothing was cut.")
    _own(Mentee, learner, data.mentee_id)
    goal = _own(JournalEntry, learner, data.goal_id)
    if data.kind == "goal_review" and (goal is None or goal.kind != "goal"):
        raise JournalError("Choose the SMART goal this review is about.")
    if entry_id is None:
        entry = JournalEntry(learner_id=learner.id, created_at=utcnow())
        db.session.add(entry)
    else:
        entry = _own(JournalEntry, learner, entry_id)
        if entry.kind == "mentee_feedback":
            raise JournalError("Your mentee's feedback stays exactly as they gave it.")
        entry.updated_at = utcnow()
    entry.kind, entry.occurred_on, entry.title = data.kind, occurred, title
    entry.body, entry.agreed = data.body.strip(), data.agreed.strip()
    entry.mentee_id, entry.goal_id = data.mentee_id, data.goal_id if data.kind == "goal_review" else None
    db.session.commit()
    return entry


def entry_of(learner: User, entry_id: int) -> JournalEntry:
    """One of the learner's entries; LookupError for anyone else's."""
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None or entry.learner_id != learner.id:
        raise LookupError(entry_id)
    return entry


def entries_page(learner: User, page: int):
    """The learner's entries, newest first, paginated in SQL."""
    query = (db.select(JournalEntry).where(JournalEntry.learner_id == learner.id)
             .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
             .options(selectinload(JournalEntry.mentee), selectinload(JournalEntry.goal)))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def all_entries(learner: User) -> list[JournalEntry]:
    """Every entry, oldest first (the printable journal and the data download)."""
    return list(db.session.execute(
        db.select(JournalEntry).where(JournalEntry.learner_id == learner.id)
        .order_by(JournalEntry.occurred_on, JournalEntry.created_at)
        .options(selectinload(JournalEntry.mentee), selectinload(JournalEntry.goal))).scalars())


def goals_of(learner: User) -> list[JournalEntry]:
    """The learner's SMART goals, for reviews."""
    return list(db.session.execute(db.select(JournalEntry).where(
        JournalEntry.learner_id == learner.id, JournalEntry.kind == "goal").order_by(JournalEntry.occurred_on)).scalars())


# --- evidence -----------------------------------------------------------------------------------------------

def _draft(learner: User, unit_slug: str) -> EvidenceVersion:
    version = db.session.execute(
        db.select(EvidenceVersion).join(Submission)
        .where(Submission.learner_id == learner.id, Submission.unit_slug == unit_slug, EvidenceVersion.status == DRAFT)
    ).scalar_one_or_none()
    if version is None:
        raise JournalError("Save a draft of this evidence first; entries are attached to a draft.")
    return version


def set_attached(learner: User, unit_slug: str, entry_ids: list[int]) -> list[JournalEntry]:
    """Attach exactly these entries to the learner's draft for a unit (the others come off it)."""
    version = _draft(learner, unit_slug)
    wanted = {e.id for e in db.session.execute(db.select(JournalEntry).where(
        JournalEntry.learner_id == learner.id, JournalEntry.id.in_(entry_ids or [-1]),
        JournalEntry.hidden_at.is_(None))).scalars()}
    current = {a.entry_id: a for a in db.session.execute(
        db.select(EntryAttachment).where(EntryAttachment.version_id == version.id)).scalars()}
    for entry_id, attachment in current.items():
        if entry_id not in wanted:
            db.session.delete(attachment)
    for entry_id in wanted - set(current):
        db.session.add(EntryAttachment(entry_id=entry_id, version_id=version.id))
    db.session.commit()
    return attached_to(version.id)


def attached_to(version_id: int) -> list[JournalEntry]:
    """The entries attached to a version that are still visible, by the date they happened."""
    return list(db.session.execute(
        db.select(JournalEntry).join(EntryAttachment, EntryAttachment.entry_id == JournalEntry.id)
        .where(EntryAttachment.version_id == version_id, JournalEntry.hidden_at.is_(None))
        .order_by(JournalEntry.occurred_on, JournalEntry.id).options(selectinload(JournalEntry.mentee))).scalars())


def carry_into(sender=None, *, old_version_id: int, new_version_id: int, **_) -> None:
    """A revision carries the entries attached to the version it revises (listener of the evidence layer's
    ``revision_started``); no commit."""
    for entry_id in db.session.execute(db.select(EntryAttachment.entry_id)
                                       .where(EntryAttachment.version_id == old_version_id)).scalars().all():
        db.session.add(EntryAttachment(entry_id=entry_id, version_id=new_version_id))


# --- mentee feedback ----------------------------------------------------------------------------------------

def request_feedback(learner: User, mentee_id: int) -> str:
    """A single-use link for the mentee's feedback (returned once: only its hash is kept)."""
    mentee = _own(Mentee, learner, mentee_id)
    if mentee is None:
        raise JournalError("Choose the mentee to ask.")
    token = secrets.token_urlsafe(24)
    db.session.add(FeedbackRequest(learner_id=learner.id, mentee_id=mentee.id, token_hash=_hash(token),
                                   expires_at=utcnow() + timedelta(days=FEEDBACK_DAYS)))
    record_event(learner, "journal.feedback_requested", f"user:{learner.id}", mentee=mentee.display_name)
    db.session.commit()
    return token


def open_request(token: str) -> FeedbackRequest:
    """The request behind a link; JournalError when it is unknown, used or expired."""
    request = db.session.execute(db.select(FeedbackRequest).where(FeedbackRequest.token_hash == _hash(token))
                                 ).scalar_one_or_none()
    if request is None:
        raise JournalError("This feedback link is not valid. Ask your mentor for a new one.")
    if request.answered_at is not None:
        raise JournalError("This link has already been used: your answers were received. Thank you.")
    if request.expires_at <= utcnow():
        raise JournalError("This feedback link has expired. Ask your mentor for a new one.")
    return request


def submit_feedback(token: str, ratings: dict[str, str], comment: str) -> tuple[JournalEntry, str]:
    """Record the mentee's answers, unedited and dated, in the journal; returns the entry and a withdrawal token."""
    request = open_request(token)
    missing = [label for key, label in FEEDBACK_STATEMENTS if ratings.get(key) not in FEEDBACK_SCALE]
    if missing:
        raise JournalError("Choose an answer for every statement.")
    if len(comment) > MAX_TEXT:
        raise JournalError(f"Keep the comment under {MAX_TEXT:,} characters.")
    now = utcnow()
    entry = JournalEntry(learner_id=request.learner_id, mentee_id=request.mentee_id, kind="mentee_feedback",
                         occurred_on=now.date(), title="Feedback from my mentee", body=comment.strip(),
                         answers_json=json.dumps({key: ratings[key] for key, _ in FEEDBACK_STATEMENTS}), created_at=now)
    db.session.add(entry)
    db.session.flush()
    withdraw = secrets.token_urlsafe(24)
    changed = db.session.execute(db.update(FeedbackRequest).where(
        FeedbackRequest.id == request.id, FeedbackRequest.answered_at.is_(None)).values(
        answered_at=now, entry_id=entry.id, withdraw_hash=_hash(withdraw)))
    if changed.rowcount != 1:  # answered a moment ago from another window
        db.session.rollback()
        raise JournalError("This link has already been used: your answers were received. Thank you.")
    db.session.commit()
    return entry, withdraw


def withdraw_feedback(withdraw_token: str) -> str:
    """Withdraw answers: before a decision they leave the evidence; after one they are hidden and it stands."""
    request = db.session.execute(db.select(FeedbackRequest).where(
        FeedbackRequest.withdraw_hash == _hash(withdraw_token))).scalar_one_or_none()
    if request is None or request.entry_id is None:
        raise JournalError("This withdrawal link is not valid.")
    if request.withdrawn_at is not None:
        return "Your answers were already withdrawn."
    entry = db.session.get(JournalEntry, request.entry_id)
    decided = db.session.execute(
        db.select(EntryAttachment.id).join(EvidenceVersion, EvidenceVersion.id == EntryAttachment.version_id)
        .where(EntryAttachment.entry_id == entry.id, EvidenceVersion.status.in_(("accepted", "not_yet")))).first()
    now = utcnow()
    request.withdrawn_at = now
    if decided:
        entry.hidden_at = now
        message = ("Your answers are withdrawn: nobody will see them again. An assessor had already decided on "
                   "evidence that included them; that decision stands.")
    else:
        db.session.execute(db.delete(EntryAttachment).where(EntryAttachment.entry_id == entry.id))
        db.session.delete(entry)
        message = "Your answers are withdrawn and deleted; they are no longer part of any evidence."
    db.session.commit()
    return message


def init_app(app) -> None:
    """Carry attached journal entries into every new version of evidence (connecting twice is harmless)."""
    from ..evidence.services import revision_started

    revision_started.connect(carry_into)
