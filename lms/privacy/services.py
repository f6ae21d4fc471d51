"""The learner's data download and account erasure; the one place that erases.

Erasure rule (also in the README): the person's name becomes a pseudonym, their email a
placeholder and their password unusable; their sign-ins, notifications, mentoring journal, reflections, links and
evidence files are deleted; the records of what happened (evidence versions, assessments and
their levels, progress, the audit trail) stay without identity so that programme statistics stay
true; every badge still valid is revoked with the reason "account erased".
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from calendar import monthrange
from datetime import datetime

from ..audit.services import record as record_event
from ..content_store import catalogue
from ..extensions import db
from ..models import User, UserSession, utcnow

ERASED_REASON = "account erased"


class PrivacyError(Exception):
    """An erasure that cannot be done; the message is for the admin."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w\- .()]+", "_", name).strip() or "file"


def data_export(user: User) -> bytes:
    """A ZIP of everything the app holds about this person, in open formats, for them alone."""
    from ..badges import services as badges
    from ..badges.models import BadgeAssertion
    from ..evidence import services as evidence
    from ..learning.services import completions
    from ..notifications.models import Notification

    cat = catalogue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def put_json(path: str, data) -> None:
            archive.writestr(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

        archive.writestr("README.txt", (
            "Your data from the MCF Mentoring micro-credential.\n\n"
            "account.json: your account. progress.json: the units you completed.\n"
            "evidence/: each unit's evidence, version by version: your reflection, links, files, and the final\n"
            "assessment with its feedback and the level given to each indicator.\n"
            "badges/: each badge as its Open Badges 2.0 assertion, its signed 3.0 credential and the baked image.\n"
            "journal.json: your mentoring journal (entries as written, with the times the app recorded).\n"
            "notifications.json: the messages the app sent you.\n"))
        put_json("account.json", {"name": user.name, "email": user.email, "school": user.school,
                                  "region": user.region, "roles": sorted(user.roles),
                                  "created_at": _iso(user.created_at)})
        put_json("progress.json", [{"unit": slug, "title": cat.unit(slug).title if cat.unit(slug) else slug,
                                    "completed_at": _iso(when)} for slug, when in sorted(completions(user).items())])
        store = evidence.store()
        for slug, submission in sorted(evidence.learner_submissions(user).items()):
            for version in submission.versions:
                folder = f"evidence/{slug}/version-{version.number}"
                archive.writestr(f"{folder}/reflection.md", version.reflection or "")
                if version.links:
                    archive.writestr(f"{folder}/links.txt", "\n".join(version.links) + "\n")
                for index, item in enumerate(version.files, start=1):
                    try:
                        with store.open(item.storage_key) as stream, archive.open(
                                f"{folder}/files/{index}-{_safe_name(evidence.download_name(item))}", "w") as out:
                            shutil.copyfileobj(stream, out)
                    except FileNotFoundError:  # gone after the retention period
                        continue
                final = getattr(version, "assessment", None)
                put_json(f"{folder}/status.json", {
                    "status": version.status, "submitted_at": _iso(version.submitted_at),
                    "final_assessment": None if final is None else {
                        # Feedback without assessor names: what was decided, not who decided it.
                        "outcome": final.outcome, "decided_at": _iso(final.decided_at), "feedback": final.feedback,
                        "levels": {s.indicator_id: {"level": s.level,
                                                    "label": cat.rubric.level(s.level).label
                                                    if cat.rubric.level(s.level) else str(s.level),
                                                    "comment": s.comment} for s in final.scores}}})
        assertions = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == user.id)
                                        .order_by(BadgeAssertion.id)).scalars()
        for assertion in assertions:
            stem = f"badges/{assertion.badge_class_id.lower()}-{assertion.public_id}"
            _, assertion_json = badges.assertion_document(assertion)
            put_json(f"{stem}-assertion.json", assertion_json)
            put_json(f"{stem}-credential.json", badges.credential_document(assertion))
            if assertion.revoked_at is None and (image := badges.baked_image(assertion, "png")):
                archive.writestr(f"{stem}.png", image)
        from ..journal import services as journal
        put_json("journal.json", [{
            "kind": e.kind, "happened_on": e.occurred_on.isoformat(), "title": e.title, "text": e.body,
            "agreed": e.agreed, "mentee": e.mentee.display_name if e.mentee else None,
            "goal": e.goal.title if e.goal else None, "mentee_answers": e.answers or None,
            "written_at": _iso(e.created_at), "edited_at": _iso(e.updated_at)}
            for e in journal.all_entries(user) if e.hidden_at is None])
        notes = db.session.execute(db.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at)).scalars()
        put_json("notifications.json", [{"message": n.message, "created_at": _iso(n.created_at),
                                         "read_at": _iso(n.read_at)} for n in notes])
    record_event(user, "data.downloaded", f"user:{user.id}")
    db.session.commit()
    return out.getvalue()


def pseudonym(user_id: int, secret: str) -> str:
    """A stable pseudonym for an erased person: the same every time, revealing nothing about them."""
    digest = hashlib.sha256(f"{secret}:{user_id}".encode()).hexdigest()[:6].upper()
    return f"Erased person {digest}"


def erase(actor: User, user_id: int, confirmation: str, secret: str) -> User:
    """Erase an account (see the module docstring); ``confirmation`` must be the person's email."""
    from ..badges import services as badges
    from ..badges.models import BadgeAssertion
    from ..evidence import services as evidence
    from ..evidence.models import EvidenceFile, EvidenceVersion, Submission
    from ..auth.accounts import forget_links
    from ..mail.services import forget_mail
    from ..models import UserRole
    from ..notifications.models import Notification

    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise PrivacyError("That account does not exist or was already erased.")
    if confirmation.strip().lower() != user.email:
        raise PrivacyError(f"To confirm, type the email address of the account exactly ({user.email}).")
    if user.id == actor.id:
        raise PrivacyError("You cannot erase your own account; ask another admin.")
    if "admin" in user.roles:
        admins = db.session.execute(db.select(db.func.count()).select_from(UserRole)
                                    .where(UserRole.role == "admin")).scalar_one()
        if admins <= 1:
            raise PrivacyError("This is the only admin account; make someone else an admin first.")

    # Badges first, through the one place that revokes them, while the account still reads as itself.
    for public_id in db.session.execute(db.select(BadgeAssertion.public_id).where(
            BadgeAssertion.user_id == user.id, BadgeAssertion.revoked_at.is_(None))).scalars().all():
        badges.revoke(actor, public_id, ERASED_REASON)

    versions = db.session.execute(db.select(EvidenceVersion.id).join(Submission)
                                  .where(Submission.learner_id == user.id)).scalars().all()
    keys = set()
    if versions:
        keys = set(db.session.execute(db.select(EvidenceFile.storage_key)
                                      .where(EvidenceFile.version_id.in_(versions))).scalars())
        db.session.execute(db.delete(EvidenceFile).where(EvidenceFile.version_id.in_(versions)))
        db.session.execute(db.update(EvidenceVersion).where(EvidenceVersion.id.in_(versions))
                           .values(reflection="", links_json="[]"))
    from ..journal.models import EntryAttachment, FeedbackRequest, JournalEntry, Mentee
    entries = db.select(JournalEntry.id).where(JournalEntry.learner_id == user.id)
    db.session.execute(db.delete(EntryAttachment).where(EntryAttachment.entry_id.in_(entries)))
    db.session.execute(db.delete(FeedbackRequest).where(FeedbackRequest.learner_id == user.id))
    db.session.execute(db.update(JournalEntry).where(JournalEntry.learner_id == user.id).values(goal_id=None))
    db.session.execute(db.delete(JournalEntry).where(JournalEntry.learner_id == user.id))
    db.session.execute(db.delete(Mentee).where(Mentee.learner_id == user.id))
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(db.delete(Notification).where(Notification.user_id == user.id))
    forget_mail(user.id)  # their queued and sent emails (addresses, names) go too; none is sent now
    forget_links(user.id)
    from ..badges.endorsements import forget_endorsements
    forget_endorsements(user.id)  # they name and quote other people
    db.session.execute(db.update(BadgeAssertion).where(BadgeAssertion.user_id == user.id)
                       .values(recipient_email=f"erased-{user.id}@erased.invalid", shared_versions_json="[]",
                               is_public=False))
    user.name = pseudonym(user.id, secret)
    user.email = f"erased-{user.id}@erased.invalid"
    user.password_hash = "!erased"
    user.school = user.region = ""
    user.active = False
    user.erased_at = utcnow()
    record_event(actor, "user.erased", f"user:{user.id}")
    db.session.commit()
    # Bytes go after the commit, and only when no other version refers to them.
    store = evidence.store()
    for key in keys:
        if not db.session.execute(db.select(EvidenceFile.id).where(EvidenceFile.storage_key == key)).first():
            store.delete(key)
    return user


def retention_cutoff(now: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the 31st falls back to the month's last day)."""
    years, month_index = divmod(now.month - 1 - months, 12)
    year, month = now.year + years, month_index + 1
    return now.replace(year=year, month=month, day=min(now.day, monthrange(year, month)[1]))


def apply_retention(now: datetime, months: int) -> int:
    """Delete evidence files ``months`` after the end of the learner's cohort (or, without a cohort,
    after their last activity); files shared on a badge that is public stay. Returns how many went.
    """
    from ..badges.models import BadgeAssertion
    from ..evidence import services as evidence
    from ..evidence.models import EvidenceFile, EvidenceVersion, Submission

    cutoff = retention_cutoff(now, months)
    last_activity = (db.select(Submission.learner_id, db.func.max(EvidenceVersion.updated_at).label("last"))
                     .join(EvidenceVersion).group_by(Submission.learner_id).subquery())
    from ..cohorts.models import Cohort, CohortLearner
    # In a cohort: the cohort's end decides. Without one: the learner's last activity.
    ended = db.select(CohortLearner.user_id).join(Cohort).where(Cohort.ends_on < cutoff.date())
    in_cohort = db.select(CohortLearner.user_id)
    learners = db.session.execute(db.select(last_activity.c.learner_id).where(db.or_(
        last_activity.c.learner_id.in_(ended),
        db.and_(last_activity.c.last < cutoff, last_activity.c.learner_id.not_in(in_cohort))))).scalars().all()
    if not learners:
        return 0
    public_shared: set[int] = set()
    for shared in db.session.execute(db.select(BadgeAssertion.shared_versions_json).where(
            BadgeAssertion.user_id.in_(learners), BadgeAssertion.is_public.is_(True),
            BadgeAssertion.revoked_at.is_(None))).scalars():
        public_shared.update(json.loads(shared or "[]"))
    doomed = db.session.execute(
        db.select(EvidenceFile).join(EvidenceVersion).join(Submission)
        .where(Submission.learner_id.in_(learners), EvidenceFile.version_id.not_in(public_shared or {-1}))
    ).scalars().all()
    keys = {f.storage_key for f in doomed}
    for item in doomed:
        db.session.delete(item)
    if doomed:
        record_event(None, "evidence.files_expired", "retention", files=len(doomed), months=months)
    db.session.commit()
    store = evidence.store()
    for key in keys:
        if not db.session.execute(db.select(EvidenceFile.id).where(EvidenceFile.storage_key == key)).first():
            store.delete(key)
    return len(doomed)

