"""Calibration operations: who is calibrated, rounds drawn from the bank, scoring; the one place that writes them."""

from __future__ import annotations

from flask import current_app

from ..auth.services import audit
from ..content_store import catalogue
from ..domain.calibration import CalibrationBank, Exemplar, select_exemplars
from ..extensions import db
from ..models import User, utcnow
from .models import CalibrationItem, CalibrationRound, CalibrationScore

DEFAULT_THRESHOLD = 0.8


def threshold() -> float:
    """The exact agreement (0 to 1) over the last completed round that makes an assessor calibrated."""
    return float(current_app.config.get("CALIBRATION_THRESHOLD", DEFAULT_THRESHOLD))


def last_completed_round(user_id: int) -> CalibrationRound | None:
    """The assessor's most recently completed calibration round, or None."""
    return db.session.execute(
        db.select(CalibrationRound)
        .where(CalibrationRound.assessor_id == user_id, CalibrationRound.completed_at.is_not(None))
        .order_by(CalibrationRound.completed_at.desc(), CalibrationRound.id.desc()).limit(1)
    ).scalar_one_or_none()


def is_calibrated(user_id: int) -> bool:
    """True for lead assessors (and admins), and for anyone whose last completed round reached the threshold."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    if user.has_role("lead_assessor"):
        return True
    last = last_completed_round(user_id)
    agreement = last.exact_agreement if last is not None else None
    return agreement is not None and agreement >= threshold()


# Rounds ----------------------------------------------------------------------------------------

ROUNDS_PER_PAGE = 20


class CalibrationError(Exception):
    """A calibration action that cannot be done; the message is for the assessor."""


def round_size() -> int:
    """How many exemplars a new round draws."""
    return int(current_app.config.get("CALIBRATION_ROUND_SIZE", 3))


def bank() -> CalibrationBank:
    """The calibration bank loaded with the content."""
    return catalogue().calibration


def scored_exemplar_ids(user_id: int) -> set[str]:
    """Every exemplar this assessor has been given in any round."""
    return set(db.session.execute(
        db.select(CalibrationItem.exemplar_id).join(CalibrationRound)
        .where(CalibrationRound.assessor_id == user_id)).scalars())


def open_round(user_id: int) -> CalibrationRound | None:
    """The assessor's round in progress, or None."""
    return db.session.execute(
        db.select(CalibrationRound)
        .where(CalibrationRound.assessor_id == user_id, CalibrationRound.completed_at.is_(None))
        .order_by(CalibrationRound.id).limit(1)
    ).scalar_one_or_none()


def exemplars_left(user_id: int) -> int:
    """How many exemplars in the bank this assessor has not scored yet."""
    seen = scored_exemplar_ids(user_id)
    return sum(1 for e in bank().exemplars if e.id not in seen)


def start_round(assessor: User) -> CalibrationRound:
    """Start a round of exemplars the assessor has not scored before; the open round if there is one."""
    # One start at a time per assessor (PostgreSQL row lock; SQLite serialises writers), so a
    # double click cannot open two rounds.
    db.session.execute(db.select(User.id).where(User.id == assessor.id).with_for_update())
    existing = open_round(assessor.id)
    if existing is not None:
        drop_withdrawn(assessor, existing)
        existing = open_round(assessor.id)
    if existing is not None:
        db.session.commit()
        return existing
    drawn = select_exemplars(bank(), scored_exemplar_ids(assessor.id), round_size())
    if not drawn:
        db.session.rollback()
        raise CalibrationError("You have scored every exemplar in the calibration bank. A lead assessor can "
                               "add exemplars to rubrics/calibration/ for a new round.")
    calibration_round = CalibrationRound(assessor_id=assessor.id, started_at=utcnow())
    calibration_round.items = [CalibrationItem(position=n, exemplar_id=e.id, task_version=e.task_version,
                                               descriptors_version=e.descriptors_version)
                               for n, e in enumerate(drawn, start=1)]
    db.session.add(calibration_round)
    db.session.flush()
    audit(assessor, "calibration.started", f"calibration_round:{calibration_round.id}",
          exemplars=[e.id for e in drawn])
    db.session.commit()
    return calibration_round


def own_round(assessor: User, round_id: int) -> CalibrationRound | None:
    """The round if it belongs to this assessor; nobody sees another assessor's round."""
    calibration_round = db.session.get(CalibrationRound, round_id)
    if calibration_round is None or calibration_round.assessor_id != assessor.id:
        return None
    return calibration_round


def drop_withdrawn(assessor: User, calibration_round: CalibrationRound) -> None:
    """Take exemplars withdrawn from the bank out of an unfinished round, so it can still be completed."""
    if calibration_round.completed_at is not None:
        return
    withdrawn = [i for i in calibration_round.items if i.scored_at is None and bank().exemplar(i.exemplar_id) is None]
    if not withdrawn:
        return
    for item in withdrawn:
        calibration_round.items.remove(item)
    db.session.flush()
    if not calibration_round.items:
        db.session.delete(calibration_round)
    elif all(i.scored_at is not None for i in calibration_round.items):
        _complete(assessor, calibration_round, utcnow())
    db.session.commit()


def next_item(calibration_round: CalibrationRound) -> CalibrationItem | None:
    """The first exemplar of the round not scored yet."""
    return next((item for item in calibration_round.items if item.scored_at is None), None)


def validate_levels(exemplar: Exemplar, levels: dict[str, int | None]) -> list[str]:
    """What is missing from a set of levels for this exemplar (empty when complete)."""
    rubric = catalogue().rubric
    return [f"Choose a level for {indicator_id}." for indicator_id, _ in exemplar.agreed_levels
            if levels.get(indicator_id) is None or rubric.level(levels[indicator_id]) is None]


def score_item(assessor: User, round_id: int, position: int, levels: dict[str, int | None]) -> CalibrationRound:
    """Record the assessor's levels for one exemplar once; the round completes with its last exemplar."""
    calibration_round = own_round(assessor, round_id)
    item = next((i for i in calibration_round.items if i.position == position), None) if calibration_round else None
    if item is None:
        raise CalibrationError("There is no such exemplar in your calibration rounds.")
    exemplar = bank().exemplar(item.exemplar_id)
    if exemplar is None:
        raise CalibrationError("This exemplar has been withdrawn from the calibration bank. "
                               "Ask a lead assessor to start you a new round.")
    problems = validate_levels(exemplar, levels)
    if problems:
        raise CalibrationError(" ".join(problems))
    item_id = item.id
    db.session.rollback()  # the conditional update below decides whether this is the first score
    now = utcnow()
    result = db.session.execute(db.update(CalibrationItem)
                                .where(CalibrationItem.id == item_id, CalibrationItem.scored_at.is_(None))
                                .values(scored_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        return db.session.get(CalibrationRound, round_id)  # already scored (a second click): keep the first
    for indicator_id, agreed_level in exemplar.agreed_levels:
        db.session.add(CalibrationScore(item_id=item_id, indicator_id=indicator_id,
                                        level=levels[indicator_id], agreed_level=agreed_level))
    db.session.flush()
    calibration_round = db.session.get(CalibrationRound, round_id, populate_existing=True)
    db.session.refresh(calibration_round, ["items"])
    if all(i.scored_at is not None for i in calibration_round.items):
        _complete(assessor, calibration_round, now)
    db.session.commit()
    return calibration_round


def _complete(assessor: User, calibration_round: CalibrationRound, now) -> None:
    scores = db.session.execute(db.select(CalibrationScore).join(CalibrationItem)
                                .where(CalibrationItem.round_id == calibration_round.id)).scalars().all()
    calibration_round.judged = len(scores)
    calibration_round.agreed = sum(1 for s in scores if s.level == s.agreed_level)
    calibration_round.completed_at = now
    db.session.flush()
    audit(assessor, "calibration.completed", f"calibration_round:{calibration_round.id}",
          judged=calibration_round.judged, agreed=calibration_round.agreed,
          calibrated=is_calibrated(assessor.id))


def rounds(user_id: int, page: int = 1) -> tuple[list[CalibrationRound], bool]:
    """The assessor's rounds, newest first, one page at a time; and whether there is a next page."""
    rows = db.session.execute(
        db.select(CalibrationRound).where(CalibrationRound.assessor_id == user_id)
        .order_by(CalibrationRound.started_at.desc(), CalibrationRound.id.desc())
        .limit(ROUNDS_PER_PAGE + 1).offset((max(page, 1) - 1) * ROUNDS_PER_PAGE)
    ).scalars().all()
    return rows[:ROUNDS_PER_PAGE], len(rows) > ROUNDS_PER_PAGE
