"""Assessment operations: blind codes, the queue, claims, first and second marks, moderation,
reviews, and the assessor's saved notes. The one place that writes them.

A submitted version gets a MarkingCase (its blind code and stage). The first mark either
finalises it, or sends it to a blind second mark by a different, calibrated assessor. Two marks
that agree within tolerance finalise on their own; others go to moderation by a lead assessor.
Only the final decision (an Assessment) is shown to the learner and counts in the roll-up.
"""

from __future__ import annotations

import functools
import json
import random
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload

from ..auth.services import audit
from ..cohorts.models import Cohort, CohortAssessor, CohortLearner
from ..content_store import catalogue
from ..domain.scoring import ScoredIndicator, acceptance_refusal, roll_up
from ..domain.working_days import WorkingCalendar
from ..evidence.models import ACCEPTED, DRAFT, NOT_YET, SUBMITTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, UserRole, utcnow
from ..notifications.services import notify
from ..record.services import record_final_decision, record_reviewed_decision
from .models import (FINAL, FIRST, MODERATION, OUTCOMES, REVIEW_CHANGED, REVIEW_OPEN, REVIEW_UPHELD, SECOND,
                     Assessment, IndicatorScore, Mark, MarkingCase, MarkingNote, MarkLevel, QueueCount, ReviewRequest)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and copied


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
    """An assessor's complete mark (or a moderator's final decision) on one version."""

    version_id: int
    outcome: str
    feedback: str
    judgements: tuple[IndicatorJudgement, ...]


@dataclass(frozen=True)
class MarkResult:
    """What a mark led to: the stage the version is now in, and the final decision if there is one."""

    mark: Mark
    stage: str
    final: Assessment | None = None


# --- settings ------------------------------------------------------------------------------------------

def claim_minutes() -> int:
    """How long opening a submission reserves it for one assessor."""
    return int(current_app.config["CLAIM_MINUTES"])


def blind() -> bool:
    """Whether assessors see submission codes instead of learners' names (BLIND_MARKING)."""
    return bool(current_app.config.get("BLIND_MARKING", True))


def calendar() -> WorkingCalendar:
    """The programme's working days (TIMEZONE, HOLIDAYS)."""
    return WorkingCalendar(current_app.config.get("TIMEZONE", "Indian/Mauritius"),
                           current_app.config.get("HOLIDAYS") or ())


def turnaround_days() -> int:
    """The service target: working days from submission to a final decision."""
    return int(current_app.config.get("TURNAROUND_WORKING_DAYS", 5))


def is_calibrated_marker(user: User) -> bool:
    """May this person give second marks, and are their first marks trusted alone?

    Lead assessors (and admins) count as calibrated; others by the calibration rounds.
    """
    if user.has_role("lead_assessor"):
        return True
    try:
        from ..calibration.services import is_calibrated
    except ImportError:  # no calibration rounds in this installation: only lead assessors are calibrated
        return False
    return bool(is_calibrated(user.id))


def calibrated_marker_sql(user: User):
    """``is_calibrated_marker(user)`` as an SQL condition, so that the queue needs no statement of its own
    for it: True for lead assessors, else the exact agreement of their last completed round reaches the
    threshold (the same float division as CalibrationRound.exact_agreement)."""
    return _calibrated_sql(user.id, user.has_role("lead_assessor"))


def _calibrated_sql(user_id, lead: bool, threshold_value=None):
    if lead:
        return db.true()
    try:
        from ..calibration.models import CalibrationRound
        from ..calibration.services import threshold
    except ImportError:
        return db.false()
    if threshold_value is None:
        threshold_value = threshold()
    reached = db.case((CalibrationRound.judged > 0,
                       db.cast(CalibrationRound.agreed, db.Float) / db.cast(CalibrationRound.judged, db.Float)
                       >= threshold_value),
                      else_=db.false())
    last = (db.select(reached)
            .where(CalibrationRound.assessor_id == user_id, CalibrationRound.completed_at.is_not(None))
            .order_by(CalibrationRound.completed_at.desc(), CalibrationRound.id.desc()).limit(1))
    # Written once at the head of the statement (a CTE), however often the statement asks.
    calibrated = db.select(db.func.coalesce(last.scalar_subquery(), db.false()).label("yes")).cte("calibrated")
    return db.select(calibrated.c.yes).scalar_subquery()


# --- cases: created when evidence is submitted -------------------------------------------------------------

def new_code() -> str:
    """A fresh submission code such as "MC-7KQ4XR" (unique in the table; collisions are retried)."""
    return "MC-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def open_case(sender=None, *, version_id: int, learner_id: int, unit_slug: str, submitted_at: datetime,
              **_) -> MarkingCase:
    """Listener for a submitted version: give it a blind code and draw whether it is second-marked."""
    share = float(current_app.config.get("SECOND_MARKING_SHARE", 0.2))
    for _attempt in range(5):
        case = MarkingCase(version_id=version_id, code=new_code(), learner_id=learner_id, unit_slug=unit_slug,
                           submitted_at=submitted_at, stage=FIRST, sampled=random.random() < share)
        try:
            with db.session.begin_nested():
                db.session.add(case)
        except IntegrityError:  # the same code drawn twice: draw again
            continue
        return case
    raise RuntimeError("could not draw a unique submission code")


def case_for(version_id: int) -> MarkingCase | None:
    """The marking case of a version."""
    return db.session.get(MarkingCase, version_id)


def case_with_evidence(version_id: int) -> MarkingCase | None:
    """The marking case as the marking and moderation pages show it, in a fixed few statements: its
    version and every version of the submission in full, and the marks with their levels and markers."""
    from ..evidence.services import version_details
    version = joinedload(MarkingCase.version)
    return db.session.execute(
        db.select(MarkingCase).where(MarkingCase.version_id == version_id)
        .options(version.joinedload(EvidenceVersion.submission).selectinload(Submission.versions)
                 .options(*version_details()),
                 selectinload(MarkingCase.marks).options(joinedload(Mark.assessor).options(lazyload(User.role_rows)),
                                                         selectinload(Mark.levels)))
    ).unique().scalar_one_or_none()


def init_app(app) -> None:
    """Open a case whenever evidence is submitted; offer the learner-facing status to templates."""
    from ..evidence.services import evidence_submitted

    evidence_submitted.connect(open_case)
    app.jinja_env.globals["marking_status"] = learner_status


# --- who may mark what ---------------------------------------------------------------------------------

def _eligible(assessor: User | object, calibrated):
    """SQL: cases this assessor may mark now (not their own evidence; second marks only if calibrated).

    ``assessor``: a User, or SQL for their id; ``calibrated``: a bool, or SQL (calibrated_marker_sql)."""
    assessor_id = assessor.id if isinstance(assessor, User) else assessor
    first = MarkingCase.stage == _stage(FIRST)
    condition = first
    if calibrated is not False:
        second = db.and_(MarkingCase.stage == _stage(SECOND), MarkingCase.first_marker_id != assessor_id)
        if calibrated is not True:
            second = db.and_(second, calibrated)
        condition = db.or_(first, second)
    # The first condition repeats the waiting index's predicate, so that the planner can use it.
    return db.and_(_waiting(), condition, MarkingCase.learner_id != assessor_id)


def _stage(name: str):
    """A stage written in the statement, not bound: the planner can match the waiting index's predicate even
    in a generic plan; and the queue's statement stays short enough for psycopg to cache its parsing."""
    return db.literal_column(f"'{name}'")


def _waiting():
    """SQL: the waiting index's predicate."""
    return MarkingCase.stage.in_([_stage(FIRST), _stage(SECOND)])


def _free_or_mine(assessor: User, now: datetime):
    return db.or_(EvidenceVersion.claimed_by_id.is_(None), EvidenceVersion.claim_expires_at <= now,
                  EvidenceVersion.claimed_by_id == assessor.id)


def _may_mark(assessor: User, case: MarkingCase | None) -> bool:
    if case is None or case.learner_id == assessor.id:
        return False
    if case.stage == FIRST:
        return True
    return (case.stage == SECOND and case.first_marker_id != assessor.id and is_calibrated_marker(assessor))


def visible_version(assessor: User, version_id: int) -> EvidenceVersion | None:
    """The version if this assessor may mark it now: waiting for a mark they may give, not held by another."""
    case = case_for(version_id)
    if not _may_mark(assessor, case):
        return None
    version = case.version
    if version.status != SUBMITTED or (version.claim_active() and version.claimed_by_id != assessor.id):
        return None
    return version


def own_work(assessor: User, version_id: int) -> tuple[Mark | None, dict]:
    """This assessor's mark on a version (if they gave one) and their saved notes (if any)."""
    mark = db.session.execute(db.select(Mark).where(Mark.version_id == version_id,
                                                    Mark.assessor_id == assessor.id)).scalar_one_or_none()
    return mark, note_for(assessor, version_id)


def files_case(user: User, version: EvidenceVersion) -> MarkingCase | None:
    """The case whose code names this version's files, if ``user`` may download them: they may mark the
    submission now, marked it or kept notes on it, moderate it, or decide a review of it."""
    submission = version.submission
    if submission.learner_id == user.id:
        return None
    for candidate in reversed(submission.versions):
        case = case_for(candidate.id)
        if case is None:
            continue
        mark, note = own_work(user, candidate.id)
        if (visible_version(user, candidate.id) is not None or mark is not None or note
                or (is_lead(user) and (moderation_case(user, candidate.id) is not None
                                       or _open_review_of(user, candidate.id)))):
            return case
    return None


def _open_review_of(lead: User, version_id: int) -> bool:
    review_id = db.session.execute(db.select(ReviewRequest.id).where(
        ReviewRequest.version_id == version_id, ReviewRequest.status == REVIEW_OPEN)).scalar_one_or_none()
    return review_id is not None and review_for(lead, review_id) is not None


def claim(assessor: User, version_id: int) -> EvidenceVersion:
    """Reserve a version for this assessor for CLAIM_MINUTES (again: extends their own claim)."""
    now = utcnow()
    calibrated = is_calibrated_marker(assessor)
    result = db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == version_id, EvidenceVersion.status == SUBMITTED,
               _free_or_mine(assessor, now),
               EvidenceVersion.id.in_(db.select(MarkingCase.version_id).where(_eligible(assessor, calibrated))))
        .values(claimed_by_id=assessor.id, claim_expires_at=now + timedelta(minutes=claim_minutes()))
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AssessmentError("Another assessor has just opened this submission, or it has been marked. "
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


# --- the queue -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueEntry:
    """A version waiting for a mark, as the queue shows it (never the learner's name when blind)."""

    version_id: int
    code: str
    label: str  # the code, or with blind marking off, the learner's name and the code
    unit_title: str
    number: int
    stage: str
    submitted_at: datetime
    age_working_days: int
    overdue: bool
    claimed_by_name: str | None  # someone else holds it
    mine: bool


@dataclass(frozen=True)
class CohortChoice:
    """A cohort the queue can be filtered by."""

    id: int
    name: str


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, the total waiting under the filter, and the cursor of the next page; and the
    cohorts to filter by when they were asked for."""

    entries: list[QueueEntry]
    total: int
    next_cursor: str | None
    cohorts: list[CohortChoice] | None = None
    # When this page next changes with the clock alone: a claim on it ends, or a new day makes ages grow.
    changes_at: datetime | None = None


def unit_slugs_for(domain_id: str | None, competency_id: str | None) -> list[str] | None:
    """The units a domain or competency filter keeps (None: no filter)."""
    cat = catalogue()
    if competency_id:
        return [u.slug for u in cat.task_units if any(cat.framework.indicator(i).competency_id == competency_id
                                                 for i in u.task.indicator_ids)]
    if domain_id:
        return [u.slug for u in cat.task_units if u.domain_id == domain_id]
    return None


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """A queue cursor "<ISO time>_<version id>" back into its parts (None when absent or malformed)."""
    if not text or "_" not in text:
        return None
    when, _, version_id = text.rpartition("_")
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    if moment.tzinfo is None or not version_id.isdigit():
        return None
    return moment, int(version_id)


def _cohorts_sql(assessor_id, limit, today):
    """SQL: the queue's cohort choices as one JSON text of [position, id, name] (NULL when there are none):
    those the assessor is assigned to first, then the others that have not ended (the newest first)."""
    mine = Cohort.id.in_(db.select(CohortAssessor.cohort_id).where(CohortAssessor.user_id == assessor_id))
    order = (db.case((mine, 0), else_=1), Cohort.starts_on.desc(), Cohort.id)
    chosen = (db.select(db.func.row_number().over(order_by=order).label("position"), Cohort.id, Cohort.name)
              .where(db.or_(mine, Cohort.ends_on >= today)).order_by(*order).limit(limit).subquery())
    if db.session.get_bind().dialect.name == "postgresql":
        listed = db.cast(db.func.json_agg(db.func.json_build_array(chosen.c.position, chosen.c.id, chosen.c.name)),
                         db.Text)
    else:
        listed = db.func.json_group_array(db.func.json_array(chosen.c.position, chosen.c.id, chosen.c.name))
    return db.select(listed).select_from(chosen).scalar_subquery()


def _cohort_choices(listed: str | None) -> list[CohortChoice]:
    return [CohortChoice(id, name) for _position, id, name in sorted(json.loads(listed or "[]"))]


def queue_cohorts(assessor: User, limit: int = 100) -> list[CohortChoice]:
    """The cohorts an assessor can filter the queue by: those they are assigned to first, then the others
    that have not ended (the newest first); at most ``limit``."""
    return _cohort_choices(db.session.execute(
        db.select(_cohorts_sql(assessor.id, limit, utcnow().date()))).scalar_one())


def _total_sql(assessor_id, calibrated, slugs):
    """SQL: how many cases this assessor may mark now (of these units), from the counts per stage and unit
    (QueueCount) less the waiting cases they may not mark, which are counted from indexes: their own, and
    second marks of cases they first-marked (or whose first marker was deleted)."""
    counted = [QueueCount.unit_slug.in_(slugs)] if slugs is not None else []
    cases = [MarkingCase.unit_slug.in_(slugs)] if slugs is not None else []

    def waiting(stage):
        return db.select(db.func.coalesce(db.func.sum(QueueCount.n), 0)).where(
            QueueCount.stage == _stage(stage), *counted).scalar_subquery()

    own = db.select(db.func.count()).select_from(MarkingCase).where(
        MarkingCase.learner_id == assessor_id, _waiting(), *cases,
        db.or_(MarkingCase.stage == _stage(FIRST), calibrated)).scalar_subquery()
    not_theirs_second = db.select(db.func.count()).select_from(MarkingCase).where(
        MarkingCase.stage == _stage(SECOND), MarkingCase.learner_id != assessor_id, *cases,
        db.or_(MarkingCase.first_marker_id == assessor_id, MarkingCase.first_marker_id.is_(None))).scalar_subquery()
    return waiting(FIRST) - own + db.case((calibrated, waiting(SECOND) - not_theirs_second), else_=0)


def queue(assessor: User, domain_id: str | None = None, competency_id: str | None = None,
          after: tuple[datetime, int] | None = None, limit: int = 25, cohort_id: int | None = None,
          with_cohorts: bool = False, cohort_limit: int = 100) -> QueuePage:
    """Versions waiting for a mark this assessor may give, oldest first, one page at a time; optionally
    only those of one cohort's learners; with ``with_cohorts``, also the cohorts to filter by.

    Keyset pagination on (submitted_at, version_id). One statement whatever the size: the page, with the
    total (from the per-stage counts, or with a cohort filter an indexed count) and the cohorts on its first
    row; a second only when the page is empty.
    """
    from ..calibration.services import threshold
    show_names = not blind()
    slugs = unit_slugs_for(domain_id, competency_id)
    page, empty = _queue_statements(db.session.get_bind().dialect.name, is_lead(assessor), show_names,
                                    slugs is not None, cohort_id is not None, after is not None, with_cohorts,
                                    int(limit), int(cohort_limit))
    params = {"me": assessor.id, "threshold": threshold(), "today": utcnow().date()}
    if slugs is not None:
        params["slugs"] = slugs
    if cohort_id is not None:
        params["cohort"] = cohort_id
    if after is not None:
        params["after_at"], params["after_id"] = after
    connection = db.session.connection()  # Core rows: the ORM adds nothing to a list of columns
    rows = connection.execute(page, params).all()
    if rows:
        total_waiting, listed = rows[0].total, rows[0].cohorts
    else:
        total_waiting, listed = connection.execute(empty, params).one()
    now, cal, target, cat = utcnow(), calendar(), turnaround_days(), catalogue()
    ages: dict[date, int] = {}  # the age of everything submitted on one (local) day is the same
    entries = []
    # Ages grow at local midnight; the cohorts offered (those not ended) change at midnight UTC.
    changes_at = min(cal.next_midnight(now), datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                                             tzinfo=timezone.utc))
    for row in rows[:limit]:
        active = bool(row.claimed_by_id and row.claim_expires_at and row.claim_expires_at > now)
        if active:
            changes_at = min(changes_at, row.claim_expires_at)
        day = cal.local_date(row.submitted_at)
        age = ages.get(day)
        if age is None:
            age = ages[day] = cal.working_days_between(row.submitted_at, now)
        unit = cat.unit(row.unit_slug)
        entries.append(QueueEntry(
            version_id=row.version_id, code=row.code,
            label=f"{row.learner_name} ({row.code})" if show_names else row.code,
            unit_title=unit.title if unit else row.unit_slug, number=row.number, stage=row.stage,
            submitted_at=row.submitted_at, age_working_days=age, overdue=age > target,
            claimed_by_name=row.holder_name if active and row.claimed_by_id != assessor.id else None,
            mine=active and row.claimed_by_id == assessor.id))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = f"{last.submitted_at.isoformat()}_{last.version_id}"
    return QueuePage(entries, int(total_waiting or 0), next_cursor,
                     _cohort_choices(listed) if with_cohorts else None, changes_at)


@functools.lru_cache(maxsize=256)
def _queue_statements(dialect: str, lead: bool, show_names: bool, by_unit: bool, by_cohort: bool, paged: bool,
                      with_cohorts: bool, limit: int, cohort_limit: int):
    """The queue's statements for one shape of request, built once: every value is a bound parameter (me,
    threshold, today; slugs, cohort, after_at and after_id when filtered or paged) but the limits, which are
    written in (a prepared statement's generic plan then knows them, as a page fetches only a few rows).
    The page, with the total and the cohorts on its first row; and the total and cohorts alone, for an
    empty page."""
    me = db.bindparam("me")
    calibrated = _calibrated_sql(me, lead, db.bindparam("threshold"))
    where = [_eligible(me, calibrated)]
    slugs = db.bindparam("slugs", expanding=True) if by_unit else None
    if by_unit:
        where.append(MarkingCase.unit_slug.in_(slugs))
    if by_cohort:
        where.append(MarkingCase.learner_id.in_(
            db.select(CohortLearner.user_id).where(CohortLearner.cohort_id == db.bindparam("cohort"))))
        total = db.select(db.func.count()).select_from(MarkingCase).where(*where).scalar_subquery()
    else:
        total = _total_sql(me, calibrated, slugs)
    cohorts = (_cohorts_sql(me, db.literal_column(str(cohort_limit)), db.bindparam("today", type_=db.Date))
               if with_cohorts else db.null())
    page_where = list(where)
    if paged:
        after_at, after_id = db.bindparam("after_at"), db.bindparam("after_id")
        page_where.append(db.or_(MarkingCase.submitted_at > after_at,
                                 db.and_(MarkingCase.submitted_at == after_at, MarkingCase.version_id > after_id)))
    order = (MarkingCase.submitted_at, MarkingCase.version_id)
    first_row = db.func.row_number().over(order_by=order) == 1
    holder, learner = aliased(User), aliased(User)
    stmt = (db.select(MarkingCase.version_id, MarkingCase.code, MarkingCase.unit_slug, MarkingCase.stage,
                      MarkingCase.submitted_at, EvidenceVersion.number, EvidenceVersion.claimed_by_id,
                      EvidenceVersion.claim_expires_at, holder.name.label("holder_name"),
                      (learner.name if show_names else db.null()).label("learner_name"),
                      db.case((first_row, total)).label("total"), db.case((first_row, cohorts)).label("cohorts"))
            .join(EvidenceVersion, EvidenceVersion.id == MarkingCase.version_id)
            .outerjoin(holder, holder.id == EvidenceVersion.claimed_by_id))
    if show_names:
        stmt = stmt.join(learner, learner.id == MarkingCase.learner_id)
    page = stmt.where(*page_where).order_by(*order).limit(db.literal_column(str(limit + 1)))
    return page, db.select(total.label("total"), cohorts.label("cohorts"))


def learner_label(case: MarkingCase) -> str:
    """How assessors see whose evidence this is: the code, or with blind marking off, name and code."""
    if blind():
        return case.code
    learner = db.session.get(User, case.learner_id)
    return f"{learner.name} ({case.code})" if learner else case.code


# --- validation ----------------------------------------------------------------------------------------

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


# --- marking -------------------------------------------------------------------------------------------

def _final_scores(learner_id: int) -> list[ScoredIndicator]:
    rows = db.session.execute(
        db.select(IndicatorScore.indicator_id, IndicatorScore.level, Assessment.outcome, Assessment.decided_at)
        .join(Assessment).join(EvidenceVersion).join(Submission)
        .where(Submission.learner_id == learner_id)
    ).all()
    framework = catalogue().framework
    return [ScoredIndicator(i, level, outcome, when) for i, level, outcome, when in rows
            if framework.indicator(i) is not None]


def would_complete_credential(learner_id: int, indicator_ids: tuple[str, ...], levels: dict[str, int | None]) -> bool:
    """Would accepting this task (at the levels given, or the levels its rules need) complete the whole
    micro-credential for a learner who does not hold it yet?"""
    cat = catalogue()
    scores = _final_scores(learner_id)
    if roll_up(cat.framework, cat.rubric, scores).achieved:
        return False
    now = utcnow()
    for indicator_id in indicator_ids:
        indicator = cat.framework.indicator(indicator_id)
        needed = cat.rubric.rules[indicator.competency_id].every_indicator_at_least
        scores.append(ScoredIndicator(indicator_id, max(levels.get(indicator_id) or 0, needed), ACCEPTED, now))
    return roll_up(cat.framework, cat.rubric, scores).achieved


def marks_agree(first_outcome: str, first_levels: dict[str, int], second_outcome: str,
                second_levels: dict[str, int]) -> bool:
    """Within tolerance: the same outcome and no indicator two or more levels apart."""
    if first_outcome != second_outcome or set(first_levels) != set(second_levels):
        return False
    return all(abs(level - second_levels[i]) < 2 for i, level in first_levels.items())


def _stale(assessor: User, version_id: int) -> StaleDecision:
    return StaleDecision(stale_reason(assessor, version_id) or "This submission cannot be marked now.")


def decide(assessor: User, decision: Decision) -> MarkResult:
    """Record this assessor's mark exactly once, and finalise or route the version (second mark, moderation).

    A refused mark changes nothing but the assessor's saved notes, so that their work is kept.
    """
    version = db.session.get(EvidenceVersion, decision.version_id)
    case = case_for(decision.version_id)
    if version is None or case is None or case.learner_id == assessor.id:
        raise AssessmentError("There is no such submission to assess.")
    unit = catalogue().unit(version.submission.unit_slug)
    problems = validate(decision, unit.task.indicator_ids)
    if problems:
        keep_decision_as_note(assessor, decision)
        raise AssessmentError(" ".join(problems))
    learner_id = case.learner_id
    calibrated = is_calibrated_marker(assessor)
    levels = {j.indicator_id: j.level for j in decision.judgements}
    db.session.rollback()  # start the write from a clean transaction: the conditional updates decide

    # One final decision at a time per learner (PostgreSQL row lock; SQLite serialises writers), so
    # that two decisions completing a competency together see each other and its badge is issued.
    db.session.execute(db.select(User.id).where(User.id == learner_id).with_for_update())
    case = db.session.get(MarkingCase, decision.version_id, populate_existing=True)
    now = utcnow()
    if case.stage == FIRST:
        seq = 1
        reasons = []
        if case.sampled:
            reasons.append("sampled")
        if not calibrated:
            reasons.append("uncalibrated_first_marker")
        if would_complete_credential(learner_id, unit.task.indicator_ids, levels):
            reasons.append("completes_credential")
        next_stage = SECOND if reasons else FINAL
        values = {"stage": next_stage, "first_marker_id": assessor.id, "second_reasons": ",".join(reasons)}
        condition = MarkingCase.stage == FIRST
    elif case.stage == SECOND and calibrated and case.first_marker_id != assessor.id:
        seq = 2
        first = db.session.execute(db.select(Mark).where(Mark.version_id == case.version_id, Mark.seq == 1)
                                   ).scalar_one()
        agree = marks_agree(first.outcome, {m.indicator_id: m.level for m in first.levels}, decision.outcome, levels)
        next_stage = FINAL if agree else MODERATION
        values = {"stage": next_stage}
        condition = db.and_(MarkingCase.stage == SECOND, MarkingCase.first_marker_id != assessor.id)
    else:
        keep_decision_as_note(assessor, decision)
        raise _stale(assessor, decision.version_id)

    # The claim: only the holder (or anyone, when nobody holds it) may mark.
    claimed = db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == decision.version_id, EvidenceVersion.status == SUBMITTED,
               _free_or_mine(assessor, now))
        .values(claimed_by_id=None, claim_expires_at=None)
    ).rowcount
    moved = db.session.execute(
        db.update(MarkingCase).where(MarkingCase.version_id == decision.version_id, condition)
        .values(**values, **({"finalised_at": now} if next_stage == FINAL else {}))
    ).rowcount if claimed == 1 else 0
    if moved != 1:
        db.session.rollback()
        keep_decision_as_note(assessor, decision)
        raise _stale(assessor, decision.version_id)
    mark = Mark(version_id=decision.version_id, assessor_id=assessor.id, seq=seq, outcome=decision.outcome,
                feedback=decision.feedback.strip(), marked_at=now,
                levels=[MarkLevel(indicator_id=j.indicator_id, level=j.level, comment=j.comment.strip())
                        for j in decision.judgements])
    db.session.add(mark)
    try:
        db.session.flush()
    except IntegrityError:  # (version, seq) or (version, assessor) already marked: someone got there first
        db.session.rollback()
        keep_decision_as_note(assessor, decision)
        raise _stale(assessor, decision.version_id) from None
    audit(assessor, "assessment.marked", f"evidence_version:{decision.version_id}", code=case.code, seq=seq,
          outcome=decision.outcome, levels=levels, next_stage=next_stage,
          **({"second_reasons": values["second_reasons"]} if seq == 1 else {}))
    final = None
    if next_stage == FINAL:
        if seq == 1:
            final = _finalise(case, assessor, decision.outcome, {j.indicator_id: (j.level, j.comment.strip())
                                                                 for j in decision.judgements},
                              decision.feedback.strip(), "single", now)
        else:
            first = db.session.execute(db.select(Mark).where(Mark.version_id == case.version_id, Mark.seq == 1)
                                       ).scalar_one()
            final = _finalise_agreed(case, assessor, first, mark, now)
    elif next_stage == SECOND:
        _tell_second_markers(case, assessor.id)
    elif next_stage == MODERATION:
        _tell_lead_assessors(case, f"Two marks of submission {case.code} disagree: it needs moderation.",
                             url_for("assessment.moderate", version_id=case.version_id),
                             exclude={case.first_marker_id, assessor.id})
    db.session.execute(db.delete(MarkingNote).where(MarkingNote.version_id == decision.version_id,
                                                    MarkingNote.assessor_id == assessor.id))
    db.session.commit()
    return MarkResult(mark, next_stage, final)


def _combine(first: str, second: str) -> str:
    parts = [f"{who}: {text}" for who, text in (("First assessor", first), ("Second assessor", second)) if text]
    return "\n\n".join(parts)


def _finalise_agreed(case: MarkingCase, assessor: User, first: Mark, second: Mark, now: datetime) -> Assessment:
    """Two marks within tolerance: the lower level of the two for each indicator, both feedbacks, no names."""
    levels = {}
    for indicator_id in [m.indicator_id for m in first.levels]:
        level = min(first.level_of(indicator_id), second.level_of(indicator_id))
        levels[indicator_id] = (level, _combine(first.comment_of(indicator_id), second.comment_of(indicator_id)))
    feedback = "\n\n".join(f"**{who}:** {text}" for who, text in
                           (("First assessor", first.feedback), ("Second assessor", second.feedback)) if text)
    return _finalise(case, assessor, first.outcome, levels, feedback, "agreed", now)


def _finalise(case: MarkingCase, decided_by: User, outcome: str, levels: dict[str, tuple[int, str]],
              feedback: str, method: str, now: datetime) -> Assessment:
    """Write the final decision (the caller has moved the case to FINAL): the learner's one decision,
    their record and badges, a notification and the audit trail. No commit."""
    result = db.session.execute(
        db.update(EvidenceVersion).where(EvidenceVersion.id == case.version_id, EvidenceVersion.status == SUBMITTED)
        .values(status=outcome, claimed_by_id=None, claim_expires_at=None))
    if result.rowcount != 1:
        db.session.rollback()
        raise StaleDecision("This submission was decided meanwhile. Your decision was not applied.")
    assessment = Assessment(version_id=case.version_id, assessor_id=decided_by.id, outcome=outcome,
                            feedback=feedback, decided_at=now)
    assessment.scores = [IndicatorScore(indicator_id=i, level=level, comment=comment)
                         for i, (level, comment) in levels.items()]
    db.session.add(assessment)
    try:
        db.session.flush()
    except IntegrityError:  # the unique version_id: another final decision got there first
        db.session.rollback()
        raise StaleDecision("This submission was decided meanwhile. Your decision was not applied.") from None
    # The learner's record: the roll-up reads it, and its listeners (badges) act on it.
    record_final_decision(case.learner_id, case.version_id, outcome, {i: level for i, (level, _) in levels.items()},
                          now)
    unit = catalogue().unit(case.unit_slug)
    version = db.session.get(EvidenceVersion, case.version_id)
    word = "accepted" if outcome == ACCEPTED else "returned “not yet”"
    notify(case.learner_id, f"Your evidence for “{unit.title}” (version {version.number}) was {word}.",
           url_for("evidence.submission", slug=unit.slug), email_kind="decisions")
    audit(decided_by, "assessment.decided", f"evidence_version:{case.version_id}", code=case.code,
          outcome=outcome, method=method, learner_id=case.learner_id, unit=unit.slug, version=version.number,
          levels={i: level for i, (level, _) in levels.items()})
    return assessment


def _tell_second_markers(case: MarkingCase, first_marker_id: int) -> None:
    """A second mark is needed: tell the calibrated assessors who may give it, by code only. Those assigned to
    the learner's cohort when it has any (else every assessor); lead assessors when none of them is calibrated."""
    cohort_assessors = (db.select(CohortAssessor.user_id)
                        .join(CohortLearner, CohortLearner.cohort_id == CohortAssessor.cohort_id)
                        .where(CohortLearner.user_id == case.learner_id))
    pool = set(db.session.execute(cohort_assessors).scalars())
    if not pool:
        pool = set(db.session.execute(db.select(UserRole.user_id).where(
            UserRole.role.in_(("assessor", "lead_assessor")))).scalars())
    pool -= {first_marker_id, case.learner_id}
    people = db.session.execute(db.select(User).where(User.id.in_(pool), User.active)).scalars().all() if pool else []
    markers = [p for p in people if is_calibrated_marker(p)]
    message = f"Submission {case.code} needs a second, independent mark."
    if not markers:
        _tell_lead_assessors(case, message, url_for("assessment.queue"), exclude={first_marker_id})
        return
    for person in markers:
        notify(person.id, message, url_for("assessment.queue"))


def _tell_lead_assessors(case: MarkingCase, message: str, link: str, exclude=frozenset()) -> None:
    """Notify every lead assessor (never the learner's name: the message carries the code)."""
    ids = db.session.execute(db.select(UserRole.user_id).where(UserRole.role == "lead_assessor")).scalars()
    for user_id in set(ids) - set(exclude) - {case.learner_id}:
        notify(user_id, message, link)


def stale_reason(assessor: User, version_id: int) -> str | None:
    """Why this version cannot be marked by this assessor now; None when they never could see it."""
    version = db.session.get(EvidenceVersion, version_id, populate_existing=True)
    case = db.session.get(MarkingCase, version_id, populate_existing=True)
    if version is None or case is None or case.learner_id == assessor.id:
        return None
    existing = db.session.execute(db.select(Assessment).where(Assessment.version_id == version_id)
                                  ).scalar_one_or_none()
    if existing is not None:
        who = existing.assessor.name if existing.assessor else "another assessor"
        when = existing.decided_at.strftime("%d %b %Y at %H:%M UTC")
        outcome = "accepted" if existing.outcome == ACCEPTED else "returned “not yet”"
        return (f"This version was already decided: {outcome} by {who} on {when}. "
                f"Your decision was not applied; what you entered is kept below.")
    mine = db.session.execute(db.select(Mark.seq).where(Mark.version_id == version_id,
                                                        Mark.assessor_id == assessor.id)).scalar_one_or_none()
    if mine is not None:
        return "You have already marked this version. Your new decision was not applied."
    if case.stage == MODERATION:
        return ("This version has been marked twice and is waiting for moderation. "
                "Your decision was not applied; what you entered is kept below.")
    if version.claim_active() and version.claimed_by_id != assessor.id:
        return (f"{version.claimed_by.name} is assessing this submission now (your claim had expired). "
                f"Your decision was not applied; what you entered is kept below.")
    if case.stage == SECOND:
        return ("This version has had its first mark and needs a second mark from a different, calibrated "
                "assessor. Your decision was not applied; what you entered is kept below.")
    return "This submission can no longer be marked. Your decision was not applied."


# --- the assessor's notes --------------------------------------------------------------------------------

NOTE_FIELD_PREFIXES = ("level_", "comment_")
NOTE_FIELDS = ("feedback", "outcome", "reason")
MAX_NOTE_CHARS = 400_000  # a guard against abuse, far above every field's own limit


def note_for(assessor: User, version_id: int) -> dict:
    """The assessor's saved work on a version: form field name -> value."""
    note = db.session.get(MarkingNote, (version_id, assessor.id))
    return json.loads(note.fields_json) if note else {}


def save_note(assessor: User, version_id: int, fields: dict[str, str]) -> datetime:
    """Keep what the assessor has entered so far (only the assessment form's fields); theirs alone."""
    case = case_for(version_id)
    if case is None or case.learner_id == assessor.id:
        raise AssessmentError("There is no such submission to assess.")
    # Kept whole, however long: the decision's own check says what is too long, and nothing typed is cut.
    kept = {k: str(v) for k, v in fields.items() if k in NOTE_FIELDS or k.startswith(NOTE_FIELD_PREFIXES)}
    text = json.dumps(kept, sort_keys=True)
    if len(text) > MAX_NOTE_CHARS:
        raise AssessmentError("These notes are too long to keep.")
    now = utcnow()
    note = db.session.get(MarkingNote, (version_id, assessor.id))
    if note is None:
        db.session.add(MarkingNote(version_id=version_id, assessor_id=assessor.id, fields_json=text, updated_at=now))
    else:
        note.fields_json, note.updated_at = text, now
    try:
        db.session.commit()
    except IntegrityError:  # two autosaves at once created the row: the later one updates it
        db.session.rollback()
        db.session.execute(db.update(MarkingNote).where(MarkingNote.version_id == version_id,
                                                        MarkingNote.assessor_id == assessor.id)
                           .values(fields_json=text, updated_at=now))
        db.session.commit()
    return now


def keep_decision_as_note(assessor: User, decision: Decision) -> None:
    """A refused decision is kept as the assessor's notes, so that it is on the page when they return."""
    db.session.rollback()
    fields = {"feedback": decision.feedback, "outcome": decision.outcome}
    for j in decision.judgements:
        key = j.indicator_id.replace(".", "_")
        fields[f"level_{key}"] = "" if j.level is None else str(j.level)
        fields[f"comment_{key}"] = j.comment
    try:
        save_note(assessor, decision.version_id, fields)
    except AssessmentError:
        db.session.rollback()


# --- moderation ----------------------------------------------------------------------------------------

def is_lead(user: User) -> bool:
    """Lead assessors (and admins) moderate and decide reviews."""
    return user.has_role("lead_assessor")


def moderation_queue(lead: User, limit: int = 50) -> tuple[list[MarkingCase], int]:
    """Versions whose two marks disagree, oldest first, that this lead may moderate; and how many in all."""
    where = [MarkingCase.stage == MODERATION, MarkingCase.learner_id != lead.id,
             MarkingCase.first_marker_id != lead.id,
             ~MarkingCase.version_id.in_(db.select(Mark.version_id).where(Mark.assessor_id == lead.id))]
    total = db.session.execute(db.select(db.func.count()).select_from(MarkingCase).where(*where)).scalar_one()
    cases = db.session.execute(db.select(MarkingCase).where(*where)
                               .order_by(MarkingCase.submitted_at, MarkingCase.version_id).limit(limit)
                               ).scalars().all()
    return list(cases), total


def moderation_case(lead: User, version_id: int) -> MarkingCase | None:
    """The case if this lead may moderate it: in moderation, not their evidence, not marked by them."""
    case = case_for(version_id)
    if case is None or case.stage != MODERATION or case.learner_id == lead.id:
        return None
    if any(m.assessor_id == lead.id for m in case.marks):
        return None
    return case


def moderate(lead: User, decision: Decision, reason: str) -> Assessment:
    """The lead assessor's final levels, outcome and reason for two disagreeing marks; applied once."""
    case = moderation_case(lead, decision.version_id)
    if case is None:
        if case_for(decision.version_id) is not None:
            keep_decision_as_note(lead, decision)
        raise StaleDecision("This submission is not waiting for your moderation (it may have been moderated "
                            "already). Your decision was not applied.")
    unit = catalogue().unit(case.unit_slug)
    # Without feedback of their own, the learner gets both assessors' feedback, without names.
    combined = "\n\n".join(f"**{who}:** {m.feedback}" for who, m in
                            zip(("First assessor", "Second assessor"), case.marks) if m.feedback)
    final_feedback = decision.feedback.strip() or combined
    problems = validate(replace(decision, feedback=final_feedback), unit.task.indicator_ids)
    if not reason.strip():
        problems.append("Give the reason for the final decision.")
    if problems:
        keep_decision_as_note(lead, decision)
        raise AssessmentError(" ".join(problems))
    learner_id = case.learner_id
    db.session.rollback()
    db.session.execute(db.select(User.id).where(User.id == learner_id).with_for_update())
    now = utcnow()
    moved = db.session.execute(
        db.update(MarkingCase).where(MarkingCase.version_id == decision.version_id, MarkingCase.stage == MODERATION)
        .values(stage=FINAL, moderator_id=lead.id, moderation_reason=reason.strip(), finalised_at=now)).rowcount
    if moved != 1:
        db.session.rollback()
        keep_decision_as_note(lead, decision)
        raise StaleDecision("This submission was moderated meanwhile. Your decision was not applied.")
    case = db.session.get(MarkingCase, decision.version_id, populate_existing=True)
    feedback = final_feedback
    levels = {j.indicator_id: (j.level, j.comment.strip()) for j in decision.judgements}
    audit(lead, "assessment.moderated", f"evidence_version:{case.version_id}", code=case.code,
          outcome=decision.outcome, reason=reason.strip(), levels={i: lv for i, (lv, _) in levels.items()})
    assessment = _finalise(case, lead, decision.outcome, levels, feedback, "moderated", now)
    db.session.execute(db.delete(MarkingNote).where(MarkingNote.version_id == decision.version_id,
                                                    MarkingNote.assessor_id == lead.id))
    db.session.commit()
    return assessment


# --- the learner's view: where it is, by when, and reviews ------------------------------------------------

STAGE_LABELS = {
    "waiting": "Waiting for an assessor",
    "being_marked": "Being marked",
    "second_marking": "Second marking",
    "moderation": "Moderation",
    "decided": "Decided",
}


@dataclass(frozen=True)
class LearnerStatus:
    """Where a learner's submitted version is, and by when a decision is due (no assessor named)."""

    key: str
    label: str
    due: date | None
    overdue: bool
    review: ReviewRequest | None = None
    review_until: date | None = None
    can_request_review: bool = False
    steps: tuple[str, ...] = field(default=())


def review_days() -> int:
    """How many days after a final decision a learner may ask for a review (REVIEW_DAYS)."""
    return int(current_app.config.get("REVIEW_DAYS", 14))


def learner_status(version: EvidenceVersion | None) -> LearnerStatus | None:
    """The learner-facing stage of a submitted or decided version (None for drafts)."""
    if version is None or version.status == DRAFT:
        return None
    case = case_for(version.id)
    if case is None:
        return None
    cal, now = calendar(), utcnow()
    due = cal.add_working_days(case.submitted_at, turnaround_days())
    if case.stage == FINAL or version.status != SUBMITTED:
        review = db.session.execute(db.select(ReviewRequest).where(ReviewRequest.version_id == version.id)
                                    ).scalar_one_or_none()
        decided = version.assessment.decided_at if version.assessment else case.finalised_at or now
        until = (decided + timedelta(days=review_days())).date()
        return LearnerStatus("decided", STAGE_LABELS["decided"], None, False, review, until,
                             review is None and version.assessment is not None and now.date() <= until)
    if case.stage == MODERATION:
        key = "moderation"
    elif case.stage == SECOND:
        key = "second_marking"
    elif version.claim_active(now):
        key = "being_marked"
    else:
        key = "waiting"
    return LearnerStatus(key, STAGE_LABELS[key], due, cal.local_date(now) > due,
                         steps=("waiting", "being_marked", "second_marking", "moderation"))


def request_review(learner: User, version_id: int, reason: str) -> ReviewRequest:
    """A learner asks, once and with a reason, for a review of a final decision within REVIEW_DAYS."""
    version = db.session.get(EvidenceVersion, version_id)
    if version is None or version.submission.learner_id != learner.id or version.assessment is None:
        raise AssessmentError("Only a final decision on your own evidence can be reviewed.")
    if not reason.strip():
        raise AssessmentError("Say why you are asking for a review, so that the lead assessor can look at it.")
    if len(reason) > 4000:
        raise AssessmentError("Keep the reason under 4,000 characters.")
    if utcnow() > version.assessment.decided_at + timedelta(days=review_days()):
        raise AssessmentError(f"A review can be asked for within {review_days()} days of the decision; "
                              f"that time has passed.")
    case = case_for(version_id)
    review = ReviewRequest(version_id=version_id, learner_id=learner.id, reason=reason.strip())
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AssessmentError("You have already asked for a review of this decision.") from None
    audit(learner, "assessment.review_requested", f"evidence_version:{version_id}",
          code=case.code if case else None, reason=reason.strip())
    if case is not None:
        _tell_lead_assessors(case, f"A review of the decision on submission {case.code} was requested.",
                             url_for("assessment.review", review_id=review.id))
    db.session.commit()
    return review


def review_queue(lead: User, limit: int = 50) -> tuple[list[ReviewRequest], int]:
    """Open review requests, oldest first, not about the lead's own evidence; and how many in all."""
    where = [ReviewRequest.status == REVIEW_OPEN, ReviewRequest.learner_id != lead.id]
    total = db.session.execute(db.select(db.func.count()).select_from(ReviewRequest).where(*where)).scalar_one()
    rows = db.session.execute(db.select(ReviewRequest).where(*where)
                              .order_by(ReviewRequest.requested_at, ReviewRequest.id).limit(limit)).scalars().all()
    return list(rows), total


def review_for(lead: User, review_id: int) -> ReviewRequest | None:
    """An open review this lead may decide."""
    review = db.session.get(ReviewRequest, review_id)
    if review is None or review.status != REVIEW_OPEN or review.learner_id == lead.id:
        return None
    case = case_for(review.version_id)
    if case is not None and (case.moderator_id == lead.id or any(m.assessor_id == lead.id for m in case.marks)):
        return None  # a review is a fresh look: not by someone who marked or moderated it
    return review


def decide_review(lead: User, review_id: int, change: bool, response: str,
                  decision: Decision | None = None) -> ReviewRequest:
    """Uphold the decision, or change it; once, audited, and the learner is told.

    Changing an accepted decision reopens the evidence for revision (its accepted levels stay).
    Changing a "not yet" decision records the levels and outcome it should have had (``decision``):
    when they reach the competency rule the evidence is accepted, the learner's record takes the new
    levels, and any badge they complete is issued. Refused (nothing changed) while a newer version of the
    evidence is waiting for assessment or decided.
    """
    review = review_for(lead, review_id)
    if review is None:
        raise StaleDecision("This review is not open (it may have been decided already).")
    response = response.strip()
    if not response:
        raise AssessmentError("Write a response to the learner explaining the review decision.")
    version = db.session.get(EvidenceVersion, review.version_id)
    unit = catalogue().unit(version.submission.unit_slug)
    redecide = change and version.status == NOT_YET
    if redecide:
        if decision is None:
            raise AssessmentError("To change a “not yet” decision, record the level each indicator should have "
                                  "had and the outcome.")
        decision = replace(decision, version_id=version.id, feedback=response)
        problems = validate(decision, unit.task.indicator_ids)
        if problems:
            raise AssessmentError(" ".join(problems))
        latest = version.submission.latest
        if latest.id != version.id and latest.status != DRAFT:
            raise AssessmentError(f"Version {latest.number} of this evidence was submitted after this decision, so "
                                  "the decision on this version cannot be changed; uphold it with your response "
                                  "(the newer version is assessed on its own).")
    learner_id = review.learner_id
    # One final decision at a time per learner, as in decide(): the record and badges see each other.
    db.session.execute(db.select(User.id).where(User.id == learner_id).with_for_update())
    now = utcnow()
    moved = db.session.execute(
        db.update(ReviewRequest).where(ReviewRequest.id == review_id, ReviewRequest.status == REVIEW_OPEN)
        .values(status=REVIEW_CHANGED if change else REVIEW_UPHELD, lead_id=lead.id, response=response,
                decided_at=now)).rowcount
    if moved != 1:
        db.session.rollback()
        raise StaleDecision("This review was decided meanwhile.")
    changes = {}
    try:
        if change and version.status == ACCEPTED:
            _reopen_accepted(lead, version, response)
        elif redecide:
            changes = _redecide(version, decision, response, now)
    except Exception:
        db.session.rollback()
        raise
    case = case_for(review.version_id)
    audit(lead, "assessment.review_decided", f"evidence_version:{review.version_id}",
          code=case.code if case else None, result="changed" if change else "upheld", response=response, **changes)
    if redecide and decision.outcome == ACCEPTED:
        outcome = "changed: your evidence is now accepted"
    else:
        outcome = "changed" if change else "upheld"
    notify(review.learner_id,
           f"The review of the decision on your evidence for “{unit.title}” is done: the decision was {outcome}.",
           url_for("evidence.submission", slug=unit.slug), email_kind="decisions")
    db.session.commit()
    return review


def _redecide(version: EvidenceVersion, decision: Decision, response: str, now: datetime) -> dict:
    """A review's new levels and outcome for a "not yet" version: the decision, the version's status and the
    learner's record change together (the record tells badges). Returns what changed, for the audit trail."""
    if db.session.execute(db.update(EvidenceVersion)
                          .where(EvidenceVersion.id == version.id, EvidenceVersion.status == NOT_YET)
                          .values(status=decision.outcome)).rowcount != 1:
        raise StaleDecision("This evidence changed meanwhile. The review decision was not applied.")
    assessment = version.assessment
    before = {s.indicator_id: s.level for s in assessment.scores}
    given = {j.indicator_id: j for j in decision.judgements}
    for score in assessment.scores:
        judgement = given.pop(score.indicator_id, None)
        if judgement is not None:
            score.level = judgement.level
            score.comment = judgement.comment.strip() or score.comment
    for judgement in given.values():
        assessment.scores.append(IndicatorScore(indicator_id=judgement.indicator_id, level=judgement.level,
                                                comment=judgement.comment.strip()))
    before_outcome = assessment.outcome
    assessment.outcome = decision.outcome
    assessment.feedback = "\n\n".join(part for part in (assessment.feedback, f"**After review:** {response}") if part)
    levels = {j.indicator_id: j.level for j in decision.judgements}
    record_reviewed_decision(version.submission.learner_id, version.id, decision.outcome, levels, now)
    return {"outcome_before": before_outcome, "outcome": decision.outcome, "levels_before": before,
            "levels": levels}


def _reopen_accepted(lead: User, version: EvidenceVersion, reason: str) -> None:
    """Accepted evidence whose decision a review changed is reopened for revision, through the one
    reopening mechanism (evidence.services.reopen): its accepted levels and badges stay."""
    from ..evidence import services as evidence

    reopen = getattr(evidence, "reopen", None)
    if reopen is None:
        raise AssessmentError("Accepted evidence cannot be reopened in this installation yet; uphold the "
                              "decision or ask an administrator.")
    try:
        reopen(version.id, actor=lead, reason=reason)
    except evidence.EvidenceError as exc:
        raise AssessmentError(str(exc)) from None

