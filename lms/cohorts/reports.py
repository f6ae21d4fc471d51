"""Reading a cohort's figures from the database in a fixed, small number of queries, and writing them
out as CSV, XLSX or JSON. The figures themselves come from lms.domain.cohort_report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination

from ..assessment.models import Assessment, IndicatorScore
from ..badges.models import BadgeAssertion
from ..content_store import catalogue
from ..domain import cohort_report as figures
from ..domain.spreadsheet import spreadsheet_safe
from ..domain.badge_classes import CREDENTIAL_ID
from ..evidence.models import ACCEPTED, NOT_YET, SUBMITTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import UnitProgress, User, utcnow
from .models import Cohort, CohortLearner
from .services import done_units, today

TABLES = ("funnel", "heatmap", "behind", "difficulty", "turnaround")
TABLE_TITLES = {"funnel": "Funnel", "heatmap": "Progress per domain", "behind": "Behind their target dates",
                "difficulty": "Indicator difficulty", "turnaround": "Assessment turnaround"}


@dataclass(frozen=True)
class CohortReport:
    """Everything the cohort report page shows."""

    cohort: Cohort
    funnel: tuple[figures.FunnelStep, ...]
    heat: tuple[figures.HeatRow, ...]
    behind: tuple[figures.BehindRow, ...]
    difficulty: tuple[figures.DifficultyRow, ...]
    turnaround: figures.Turnaround
    heat_page: object | None = None  # the SQL page of learners the heat map shows, on the web page


def _members(cohort_id: int):
    return db.select(CohortLearner.user_id).where(CohortLearner.cohort_id == cohort_id)


class ListPagination(Pagination):
    """A page of a list already in memory (the cohort's learners, read once for every figure)."""

    def _query_items(self) -> list:
        return self._query_args["rows"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def _facts(members_q) -> list[tuple[str, int, str]]:
    """What each learner has reached, in one statement: (kind, learner id, detail) rows for units
    started ("progress", "submission"), submitted versions ("version", status), badges held
    ("badge", badge class) and units with accepted evidence ("accepted", unit)."""
    def rows(kind: str, user_id, detail):
        return db.select(db.literal(kind).label("kind"), user_id.label("user_id"), detail.label("detail"))

    empty = db.literal("")
    return db.session.execute(db.union_all(
        rows("progress", UnitProgress.user_id, empty).where(UnitProgress.user_id.in_(members_q)),
        rows("submission", Submission.learner_id, empty).where(Submission.learner_id.in_(members_q)),
        rows("version", Submission.learner_id, EvidenceVersion.status).join(EvidenceVersion)
        .where(Submission.learner_id.in_(members_q), EvidenceVersion.submitted_at.is_not(None)),
        rows("accepted", Submission.learner_id, Submission.unit_slug).join(EvidenceVersion)
        .where(Submission.learner_id.in_(members_q), EvidenceVersion.status == ACCEPTED),
        rows("badge", BadgeAssertion.user_id, BadgeAssertion.badge_class_id)
        .where(BadgeAssertion.user_id.in_(members_q), BadgeAssertion.revoked_at.is_(None)),
    )).all()


def _accepted_units(user_ids) -> dict[int, set[str]]:
    rows = db.session.execute(
        db.select(Submission.learner_id, Submission.unit_slug).join(EvidenceVersion)
        .where(Submission.learner_id.in_(user_ids), EvidenceVersion.status == ACCEPTED).distinct())
    accepted: dict[int, set[str]] = {}
    for user_id, slug in rows:
        accepted.setdefault(user_id, set()).add(slug)
    return accepted


def heat_rows(cohort_id: int, page: int | None = None, per_page: int = 50, people=None, accepted=None):
    """The heat map, one learner per row by name: a page of it (with its pagination), or all of it.

    ``people`` (learner id and name, by name) and ``accepted`` (units with accepted evidence, by learner)
    when the caller has read them already."""
    if people is None:
        people = [(uid, name) for uid, name in db.session.execute(
            db.select(User.id, User.name).join(CohortLearner, CohortLearner.user_id == User.id)
            .where(CohortLearner.cohort_id == cohort_id).order_by(User.name, User.id))]
    pagination = None
    if page is not None:
        pagination = ListPagination(page=page, per_page=per_page, error_out=False, rows=people)
        people = list(pagination.items)
    if accepted is None:
        accepted = _accepted_units([uid for uid, _ in people]) if people else {}
    cat = catalogue()
    return tuple(figures.heat_row(cat, uid, name, accepted.get(uid, ())) for uid, name in people), pagination


def build(cohort: Cohort, page: int | None = None, per_page: int = 50) -> CohortReport:
    """Every figure of the cohort; with ``page``, the heat map is that page of learners only.
    Six statements besides the cohort and its plan, whatever the cohort's size."""
    cat = catalogue()
    members_q = _members(cohort.id)
    members = [figures.Member(uid, name, ext) for uid, name, ext in db.session.execute(
        db.select(User.id, User.name, CohortLearner.extension_days).join(CohortLearner, CohortLearner.user_id == User.id)
        .where(CohortLearner.cohort_id == cohort.id).order_by(User.name, User.id))]
    ids = {m.user_id for m in members}

    reached = {"started": set(), "submitted": set(), "accepted": set(), "badge": set(), "credential": set()}
    accepted_units: dict[int, set[str]] = {}
    for kind, uid, detail in _facts(members_q):
        if kind in ("progress", "submission"):
            reached["started"].add(uid)
        elif kind == "version":
            reached["submitted"].add(uid)
            if detail == ACCEPTED:
                reached["accepted"].add(uid)
        elif kind == "accepted":
            accepted_units.setdefault(uid, set()).add(detail)
        else:
            reached["badge"].add(uid)
            if detail == CREDENTIAL_ID:
                reached["credential"].add(uid)
    funnel = figures.funnel(ids, reached)

    behind = figures.behind(cat, members, cohort.plan, done_units(members_q), today())

    counts = db.session.execute(
        db.select(IndicatorScore.indicator_id, db.func.count(),
                  db.func.sum(db.case((Assessment.outcome == NOT_YET, 1), else_=0)),
                  db.func.count(db.distinct(Submission.learner_id)))
        .join(Assessment, Assessment.id == IndicatorScore.assessment_id)
        .join(EvidenceVersion, EvidenceVersion.id == Assessment.version_id)
        .join(Submission, Submission.id == EvidenceVersion.submission_id)
        .where(Submission.learner_id.in_(members_q))
        .group_by(IndicatorScore.indicator_id)).all()
    difficulty = figures.difficulty(cat.framework, [figures.IndicatorCounts(i, n, int(ny or 0), learners)
                                                    for i, n, ny, learners in counts])

    # Decided versions (with their decision's time) and those still waiting, in one statement.
    timings = db.session.execute(
        db.select(EvidenceVersion.submitted_at, Assessment.decided_at, EvidenceVersion.status)
        .join(Submission, Submission.id == EvidenceVersion.submission_id)
        .outerjoin(Assessment, Assessment.version_id == EvidenceVersion.id)
        .where(Submission.learner_id.in_(members_q), EvidenceVersion.submitted_at.is_not(None),
               db.or_(Assessment.id.is_not(None), EvidenceVersion.status == SUBMITTED))).all()
    decided = [(submitted, decided_at) for submitted, decided_at, _ in timings if decided_at is not None]
    waiting = [submitted for submitted, _, status in timings if status == SUBMITTED]
    turnaround = figures.turnaround(decided, waiting, utcnow())

    heat, pagination = heat_rows(cohort.id, page, per_page, people=[(m.user_id, m.name) for m in members],
                                 accepted=accepted_units)
    return CohortReport(cohort, funnel, heat, behind, difficulty, turnaround, pagination)


def tables(report: CohortReport) -> dict[str, figures.Table]:
    """Each of the report's tables as headers and rows."""
    framework = catalogue().framework
    return {
        "funnel": figures.funnel_table(report.funnel),
        "heatmap": figures.heatmap_table(framework, report.heat),
        "behind": figures.behind_table(report.behind),
        "difficulty": figures.difficulty_table(report.difficulty),
        "turnaround": figures.turnaround_table(report.turnaround),
    }


def to_csv(table: figures.Table) -> str:
    """A table as CSV text, every cell safe in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers, rows = table
    writer.writerow([spreadsheet_safe(h) for h in headers])
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


def to_xlsx(title: str, table: figures.Table) -> bytes:
    """A table as an XLSX workbook (openpyxl); text cells are stored as text, so none can run as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    headers, rows = table
    for r, values in enumerate([headers, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            if r == 1:
                cell.font = Font(bold=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_json(report: CohortReport) -> dict:
    """The report's tables as JSON-ready data: for each table, a list of objects keyed by column."""
    return {"cohort": report.cohort.name, "date": today().isoformat(),
            **{name: [dict(zip(headers, row)) for row in rows] for name, (headers, rows) in tables(report).items()}}
