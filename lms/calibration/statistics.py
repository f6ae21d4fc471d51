"""Agreement and turnaround figures from the database: plain data gathered here, computed in lms/domain.

The pairs are the two independent marks of every double-marked evidence version (the first mark and
the blind second mark), indicator by indicator. A moderator's final levels are not a third mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import aliased

from ..content_store import catalogue
from ..domain.agreement import (DEFAULT_MIN_PAIRS, AssessorAgreement, Decided, IndicatorAgreement, MarkPair,
                                Turnaround, by_assessor, by_indicator, turnaround)
from ..extensions import db
from ..models import User


@dataclass(frozen=True)
class Statistics:
    """Everything the statistics pages show."""

    indicators: list[IndicatorAgreement]
    assessors: list[AssessorAgreement]
    turnaround: Turnaround
    min_pairs: int
    double_marked: int


def _marking_models():
    """The marks tables, or None before double marking exists in this database's code."""
    from ..assessment import models
    if not all(hasattr(models, name) for name in ("Mark", "MarkLevel", "MarkingCase")):
        return None
    return models


def min_pairs() -> int:
    """Pairs an indicator needs before it can be flagged."""
    return int(current_app.config.get("AGREEMENT_MIN_PAIRS", DEFAULT_MIN_PAIRS))


def mark_pairs() -> list[MarkPair]:
    """For each indicator of each double-marked version: the first and the second marker's levels."""
    models = _marking_models()
    if models is None:
        return []
    first, second = aliased(models.Mark), aliased(models.Mark)
    first_level, second_level = aliased(models.MarkLevel), aliased(models.MarkLevel)
    rows = db.session.execute(
        db.select(first_level.indicator_id, first.assessor_id, first_level.level, second.assessor_id,
                  second_level.level)
        .select_from(first)
        .join(second, db.and_(second.version_id == first.version_id, second.seq == 2))
        .join(first_level, first_level.mark_id == first.id)
        .join(second_level, db.and_(second_level.mark_id == second.id,
                                    second_level.indicator_id == first_level.indicator_id))
        .where(first.seq == 1)
        .order_by(first.version_id, first_level.indicator_id)
    ).all()
    return [MarkPair(*row) for row in rows]


def _decided() -> list[Decided]:
    models = _marking_models()
    if models is None:
        return []
    case = models.MarkingCase
    markers: dict[int, list[int]] = {}
    for version_id, assessor_id in db.session.execute(
            db.select(models.Mark.version_id, models.Mark.assessor_id).where(models.Mark.assessor_id.is_not(None))):
        markers.setdefault(version_id, []).append(assessor_id)
    items = []
    for version_id, submitted_at, finalised_at, moderator_id in db.session.execute(
            db.select(case.version_id, case.submitted_at, case.finalised_at, case.moderator_id)):
        ids = markers.get(version_id, []) + ([moderator_id] if moderator_id else [])
        items.append(Decided(submitted_at, finalised_at, tuple(ids)))
    return items


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days between two moments on the programme's calendar (time zone and holidays)."""
    from ..domain.working_days import WorkingCalendar
    config = current_app.config
    return WorkingCalendar(config.get("TIMEZONE", "Indian/Mauritius"),
                           config.get("HOLIDAYS") or ()).working_days_between(start, end)


def statistics() -> Statistics:
    """Per-indicator and per-assessor agreement over all double-marked versions, and turnaround."""
    cat = catalogue()
    levels = [level.value for level in cat.rubric.levels]
    pairs = mark_pairs()
    needed = min_pairs()
    indicators = by_indicator(pairs, levels, [i.id for i in cat.framework.indicators], needed)
    assessors = by_assessor([p for p in pairs if p.first_assessor_id and p.second_assessor_id], levels, needed)
    target = int(current_app.config.get("TURNAROUND_WORKING_DAYS", 5))
    timing = turnaround(_decided(), working_days_between, target)
    return Statistics(indicators, assessors, timing, needed, _double_marked_count())


def _double_marked_count() -> int:
    models = _marking_models()
    if models is None:
        return 0
    return db.session.execute(db.select(db.func.count()).select_from(models.Mark)
                              .where(models.Mark.seq == 2)).scalar_one()


def assessor_names(ids) -> dict[int, str]:
    """Names of these assessors, for the lead assessors' page only."""
    ids = list(ids)
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids))).all())
