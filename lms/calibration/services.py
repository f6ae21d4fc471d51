"""Calibration operations: who is calibrated, rounds drawn from the bank, scoring; the one place that writes them."""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..models import User
from .models import CalibrationRound

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
