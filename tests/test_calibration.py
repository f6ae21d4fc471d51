"""Calibration: who counts as calibrated, rounds drawn from the bank, the calibration page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lms.calibration.models import CalibrationRound
from lms.calibration.services import is_calibrated
from lms.extensions import db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def _round(user_id: int, judged: int, agreed: int, days: int = 0, completed: bool = True) -> None:
    db.session.add(CalibrationRound(assessor_id=user_id, started_at=T0 + timedelta(days=days),
                                    completed_at=T0 + timedelta(days=days, hours=1) if completed else None,
                                    judged=judged, agreed=agreed))
    db.session.commit()


def test_an_assessor_without_a_completed_round_is_not_calibrated(app, make_user):
    assessor = make_user("a@example.org", "A", "assessor")
    with app.app_context():
        assert not is_calibrated(assessor)
        _round(assessor, 10, 10, completed=False)  # still in progress: does not count
        assert not is_calibrated(assessor)
        assert not is_calibrated(99999)


def test_calibrated_at_or_above_the_threshold_over_the_last_completed_round(app, make_user):
    assessor = make_user("a@example.org", "A", "assessor")
    with app.app_context():
        _round(assessor, 10, 7, days=0)   # 70%: below the default 80%
        assert not is_calibrated(assessor)
        _round(assessor, 10, 8, days=1)   # exactly 80% counts
        assert is_calibrated(assessor)
        _round(assessor, 10, 5, days=2)   # only the last completed round counts
        assert not is_calibrated(assessor)
        _round(assessor, 10, 10, days=3, completed=False)
        assert not is_calibrated(assessor)


def test_the_threshold_is_configurable(app, make_user):
    assessor = make_user("a@example.org", "A", "assessor")
    app.config["CALIBRATION_THRESHOLD"] = 0.6
    with app.app_context():
        _round(assessor, 10, 7)
        assert is_calibrated(assessor)
        app.config["CALIBRATION_THRESHOLD"] = 0.9
        assert not is_calibrated(assessor)


def test_lead_assessors_and_admins_count_as_calibrated_without_a_round(app, make_user):
    lead = make_user("lead@example.org", "L", "lead_assessor")
    admin = make_user("admin@example.org", "Ad", "admin")
    with app.app_context():
        assert is_calibrated(lead) and is_calibrated(admin)
