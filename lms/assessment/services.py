"""Assessment operations: the queue, claims, and decisions; the one place that writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.services import audit
from ..content_store import catalogue
from ..domain.scoring import acceptance_refusal
from ..evidence.models import ACCEPTED, NOT_YET, SUBMITTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, utcnow
from ..notifications.services import notify
from ..record.services import record_final_decision
from .models import OUTCOMES, Assessment, IndicatorScore


class AssessmentError(Exception):
    """An assessment action that cannot be done; the message is for the assessor."""


class StaleDecision(AssessmentError):
    """The version was decided, or taken by another assessor, since the page was loaded."""


@dataclass(frozen=True)
class IndicatorJudgement:
    """The level (and optional comment) an assessor gives one indicator."""

    indicator_id: str
    level: int | None
    comment: str = ""


@dataclass(frozen=True)
class Decision:
    """An assessor's complete decision on one version."""

    version_id: int
    outcome: str
    feedback: str
    judgements: tuple[IndicatorJudgement, ...]


@dataclass(frozen=True)
class QueueEntry:
    """A version waiting for assessment, as the queue shows it."""

    version: EvidenceVersion
    unit_title: str
    waiting: timedelta
    claimed_by_other: bool


def claim_minutes() -> int:
    """How long opening a submission reserves it for one assessor."""
    return int(current_app.config["CLAIM_MINUTES"])


def _free_or_mine(assessor: User, now: datetime):
    return db.or_(EvidenceVersion.claimed_by_id.is_(None), EvidenceVersion.claim_expires_at <= now,
                  EvidenceVersion.claimed_by_id == assessor.id)


def queue(assessor: User, domain_id: str | None = None, competency_id: str | None = None) -> list[QueueEntry]:
    """Versions waiting for assessment, oldest first, optionally for one domain or competency.

    Learners' own evidence never appears in their own queue.
    """
    cat = catalogue()
    units = cat.task_units
    if competency_id:
        units = [u for u in units if any(cat.framework.indicator(i).competency_id == competency_id
                                         for i in u.task.indicator_ids)]
    elif domain_id:
        units = [u for u in units if u.domain_id == domain_id]
    slugs = [u.slug for u in units]
    rows = db.session.execute(
        db.select(EvidenceVersion).join(Submission)
        .where(EvidenceVersion.status == SUBMITTED, Submission.unit_slug.in_(slugs),
               Submission.learner_id != assessor.id)
        .order_by(EvidenceVersion.submitted_at, EvidenceVersion.id)
        .options(selectinload(EvidenceVersion.submission).selectinload(Submission.learner),
                 selectinload(EvidenceVersion.claimed_by))
    ).scalars().all()
    now = utcnow()
    return [QueueEntry(v, cat.unit(v.submission.unit_slug).title, now - v.submitted_at,
                       v.claim_active(now) and v.claimed_by_id != assessor.id) for v in rows]


def visible_version(assessor: User, version_id: int) -> EvidenceVersion | None:
    """The version if this assessor may see it: waiting in the queue, or claimed by them."""
    version = db.session.get(EvidenceVersion, version_id)
    if version is None or version.status != SUBMITTED or version.submission.learner_id == assessor.id:
        return None
    if version.claim_active() and version.claimed_by_id != assessor.id:
        return None
    return version


def claim(assessor: User, version_id: int) -> EvidenceVersion:
    """Reserve a version for this assessor for CLAIM_MINUTES; refused if another holds it."""
    now = utcnow()
    result = db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == version_id, EvidenceVersion.status == SUBMITTED,
               _free_or_mine(assessor, now),
               EvidenceVersion.submission_id.in_(db.select(Submission.id).where(Submission.learner_id != assessor.id)))
        .values(claimed_by_id=assessor.id, claim_expires_at=now + timedelta(minutes=claim_minutes()))
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AssessmentError("Another assessor has just opened this submission, or it has been decided. "
                              "Choose another from the queue.")
    db.session.commit()
    return db.session.get(EvidenceVersion, version_id)


def release(assessor: User, version_id: int) -> None:
    """Give a claimed version back to the queue."""
    db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == version_id, EvidenceVersion.claimed_by_id == assessor.id)
        .values(claimed_by_id=None, claim_expires_at=None)
    )
    db.session.commit()


def validate(decision: Decision, task_indicator_ids: tuple[str, ...]) -> list[str]:
    """What is wrong with a decision before it is applied (empty when it can be applied)."""
    rubric = catalogue().rubric
    problems = []
    given = {j.indicator_id: j for j in decision.judgements}
    for indicator_id in task_indicator_ids:
        judgement = given.get(indicator_id)
        if judgement is None or judgement.level is None or rubric.level(judgement.level) is None:
            problems.append(f"Choose a level for {indicator_id}.")
    if set(given) - set(task_indicator_ids):
        problems.append("Levels were given for indicators this task does not assess.")
    if decision.outcome not in OUTCOMES:
        problems.append("Decide: accepted or not yet.")
    elif decision.outcome == ACCEPTED and not problems:
        # "Accepted" means every indicator reaches its competency's rule (see lms.domain.scoring).
        refusal = acceptance_refusal(catalogue().framework, rubric,
                                     {i: given[i].level for i in task_indicator_ids})
        if refusal:
            problems.append(refusal)
    elif decision.outcome == NOT_YET and not decision.feedback.strip():
        problems.append("Write overall feedback so that the learner knows what to do next.")
    return problems


def decide(assessor: User, decision: Decision) -> Assessment:
    """Apply a decision exactly once; a stale or second decision raises StaleDecision and changes nothing."""
    version = db.session.get(EvidenceVersion, decision.version_id)
    if version is None or version.submission.learner_id == assessor.id:
        raise AssessmentError("There is no such submission to assess.")
    unit = catalogue().unit(version.submission.unit_slug)
    problems = validate(decision, unit.task.indicator_ids)
    if problems:
        raise AssessmentError(" ".join(problems))
    learner_id, number = version.submission.learner_id, version.number
    db.session.rollback()  # start the write from a clean transaction: the conditional update decides

    # One decision at a time per learner (PostgreSQL row lock; SQLite serialises writers anyway), so
    # two decisions that together complete a competency see each other and its badge is issued.
    db.session.execute(db.select(User.id).where(User.id == learner_id).with_for_update())
    now = utcnow()
    result = db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == decision.version_id, EvidenceVersion.status == SUBMITTED,
               _free_or_mine(assessor, now))
        .values(status=decision.outcome, claimed_by_id=None, claim_expires_at=None)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise StaleDecision(stale_reason(assessor, decision.version_id) or "This submission cannot be decided.")
    assessment = Assessment(version_id=decision.version_id, assessor_id=assessor.id, outcome=decision.outcome,
                            feedback=decision.feedback.strip(), decided_at=now)
    assessment.scores = [IndicatorScore(indicator_id=j.indicator_id, level=j.level, comment=j.comment.strip())
                         for j in decision.judgements]
    db.session.add(assessment)
    try:
        db.session.flush()
    except IntegrityError:  # the unique version_id: someone else's decision got there first
        db.session.rollback()
        raise StaleDecision(stale_reason(assessor, decision.version_id) or "This submission cannot be decided.") from None
    # The learner's record: the roll-up reads it, and its listeners (badges) act on it.
    record_final_decision(learner_id, decision.version_id, decision.outcome,
                          {j.indicator_id: j.level for j in decision.judgements}, now)
    word = "accepted" if decision.outcome == ACCEPTED else "returned “not yet”"
    notify(learner_id, f"Your evidence for “{unit.title}” (version {number}) was {word}.",
           url_for("evidence.submission", slug=unit.slug), email_kind="decisions")
    audit(assessor, "assessment.decided", f"evidence_version:{decision.version_id}",
          outcome=decision.outcome, learner_id=learner_id, unit=unit.slug, version=number,
          levels={j.indicator_id: j.level for j in decision.judgements})
    db.session.commit()
    return assessment


def stale_reason(assessor: User, version_id: int) -> str | None:
    """Why this version cannot be decided by this assessor now; None when they never could see it."""
    version = db.session.get(EvidenceVersion, version_id, populate_existing=True)
    if version is None or version.submission.learner_id == assessor.id or version.submitted_at is None:
        return None
    existing = db.session.execute(db.select(Assessment).where(Assessment.version_id == version_id)
                                  ).scalar_one_or_none()
    if existing is not None:
        who = existing.assessor.name if existing.assessor else "another assessor"
        when = existing.decided_at.strftime("%d %b %Y at %H:%M UTC")
        outcome = "accepted" if existing.outcome == ACCEPTED else "returned “not yet”"
        return (f"This version was already decided: {outcome} by {who} on {when}. "
                f"Your decision was not applied.")
    if version.claim_active():
        return (f"{version.claimed_by.name} is assessing this submission now (your claim had expired). "
                f"Your decision was not applied.")
    return "This submission can no longer be decided. Your decision was not applied."
