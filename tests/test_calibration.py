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


# Rounds through the pages -----------------------------------------------------------------------

import re  # noqa: E402

from lms.content_store import catalogue  # noqa: E402

from .conftest import csrf_token, signed_in  # noqa: E402


def _start(client) -> str:
    """Start a round from the calibration page; the path of the first exemplar to score."""
    token = csrf_token(client, "/calibration")
    response = client.post("/calibration/rounds", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    return response.request.path


def _exemplar_at(app, item_path: str):
    """The exemplar drawn for the item at this path (the page itself never names it)."""
    round_id, position = map(int, item_path.rsplit("/", 2)[1:])
    with app.app_context():
        from lms.calibration.models import CalibrationItem
        exemplar_id = db.session.execute(db.select(CalibrationItem.exemplar_id).where(
            CalibrationItem.round_id == round_id, CalibrationItem.position == position)).scalar_one()
        return catalogue().calibration.exemplar(exemplar_id)


def _score(client, app, item_path: str, right: bool):
    """Score the exemplar at ``item_path`` (all agreed levels, or all one level off); the next page."""
    page = client.get(item_path).get_data(as_text=True)
    exemplar = _exemplar_at(app, item_path)
    data = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)}
    for indicator_id, level in exemplar.agreed_levels:
        data[f"level_{indicator_id.replace('.', '_')}"] = str(level if right else (level + 1) % 4)
    response = client.post(item_path, data=data, follow_redirects=True)
    assert response.status_code == 200
    return response, exemplar


def test_an_assessor_scores_a_round_and_sees_agreement_with_the_agreed_levels_and_rationale(app, make_user):
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    assert re.fullmatch(r"/calibration/rounds/\d+/1", path)
    page = client.get(path).get_data(as_text=True)
    assert "Calibration exemplar 1 of 3" in page and "The task" in page and "Your assessment" in page
    seen = []
    for right in (True, True, False):
        response, exemplar = _score(client, app, path, right)
        seen.append(exemplar)
        path = response.request.path
    assert len({e.unit_slug for e in seen}) == 3  # three different tasks
    results = response.get_data(as_text=True)
    judged = sum(len(e.agreed_levels) for e in seen)
    agreed = sum(len(e.agreed_levels) for e in seen[:2])
    assert f"{round(agreed / judged * 100)}%" in results and f"({agreed} of {judged} indicator levels)" in results
    assert seen[2].rationale[:60] in results
    assert ("You are calibrated" in results) == (agreed / judged >= 0.8)


def test_agreeing_on_every_level_makes_an_assessor_calibrated(app, make_user):
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    for _ in range(3):
        response, _ = _score(client, app, path, right=True)
        path = response.request.path
    results = response.get_data(as_text=True)
    assert "100%" in results and "You are calibrated" in results
    with app.app_context():
        from lms.models import User
        user = db.session.execute(db.select(User).where(User.email == "a@example.org")).scalar_one()
        assert is_calibrated(user.id)
    # The next round draws only exemplars not scored before.
    first_round = {e.id for e in _round_exemplars(app, user.id)}
    second = _start(client)
    assert second != path and "Calibration exemplar 1 of 3" in client.get(second).get_data(as_text=True)
    assert not first_round & ({e.id for e in _round_exemplars(app, user.id)} - first_round) and \
        len(_round_exemplars(app, user.id)) == 6


def _round_exemplars(app, user_id: int):
    with app.app_context():
        from lms.calibration.models import CalibrationItem
        ids = db.session.execute(db.select(CalibrationItem.exemplar_id).join(CalibrationRound)
                                 .where(CalibrationRound.assessor_id == user_id)).scalars().all()
        assert len(ids) == len(set(ids))  # never the same exemplar twice
        return [catalogue().calibration.exemplar(i) for i in ids]


def test_a_missing_level_is_refused_and_the_chosen_levels_stay_on_the_page(app, make_user):
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    page = client.get(path).get_data(as_text=True)
    exemplar = _exemplar_at(app, path)
    first_indicator, level = exemplar.agreed_levels[0]
    key = first_indicator.replace(".", "_")
    data = {"csrf_token": csrf_token(client, path), f"level_{key}": str(level)}
    if len(exemplar.agreed_levels) == 1:
        data = {"csrf_token": data["csrf_token"]}
    response = client.post(path, data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Choose a level for" in body
    if len(exemplar.agreed_levels) > 1:
        assert re.search(rf'id="level-{key}-{level}"[^>]*checked', body.replace("\n", " "))


def test_a_second_click_keeps_the_first_levels(app, make_user):
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    page = client.get(path).get_data(as_text=True)
    exemplar = _exemplar_at(app, path)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    right = {f"level_{i.replace('.', '_')}": str(v) for i, v in exemplar.agreed_levels}
    wrong = {k: str((int(v) + 1) % 4) for k, v in right.items()}
    assert client.post(path, data={"csrf_token": token, **right}).status_code == 302
    assert client.post(path, data={"csrf_token": token, **wrong}).status_code == 302  # to the next, not an error
    with app.app_context():
        from lms.calibration.models import CalibrationScore
        levels = db.session.execute(db.select(CalibrationScore.level, CalibrationScore.agreed_level)).all()
        assert levels and all(a == b for a, b in levels)


def test_rounds_are_private_and_learners_never_see_the_bank(app, make_user, learner):
    mine = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    other = signed_in(app, make_user, "b@example.org", "Bala", "assessor")
    path = _start(mine)
    assert other.get(path).status_code == 404
    assert learner.get("/calibration").status_code == 403
    assert learner.get(path).status_code == 403
    with app.app_context():
        exemplar_text = catalogue().calibration.exemplars[0].evidence.splitlines()[0]
    assert exemplar_text not in learner.get("/").get_data(as_text=True)


def test_when_every_exemplar_is_scored_the_page_says_so(app, make_user):
    app.config["CALIBRATION_ROUND_SIZE"] = 100
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    with app.app_context():
        total = len(catalogue().calibration.exemplars)
    for _ in range(total):
        response, _ = _score(client, app, path, right=True)
        path = response.request.path
    page = client.get("/calibration").get_data(as_text=True)
    assert "You have scored every exemplar in the calibration bank." in page


def test_demo_seed_gives_the_demo_assessor_one_completed_round(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        from lms.models import User
        assessor = db.session.execute(db.select(User).where(User.email == "assessor@demo.example.org")).scalar_one()
        rounds = db.session.execute(db.select(CalibrationRound)
                                    .where(CalibrationRound.assessor_id == assessor.id)).scalars().all()
        assert len(rounds) == 1 and rounds[0].completed_at is not None
        # Every level agreed but one: a real figure, above the threshold.
        assert rounds[0].agreed == rounds[0].judged - 1 and rounds[0].judged >= 5
        assert is_calibrated(assessor.id)


def test_a_round_whose_exemplar_was_withdrawn_can_still_be_completed(app, make_user):
    client = signed_in(app, make_user, "a@example.org", "Asha", "assessor")
    path = _start(client)
    for _ in range(2):
        response, _ = _score(client, app, path, right=True)
        path = response.request.path
    withdrawn = _exemplar_at(app, path)
    with app.app_context():  # the bank is reloaded without the last exemplar of the round
        import dataclasses
        report = app.extensions["lms.content"]
        bank = report.catalogue.calibration
        smaller = dataclasses.replace(bank, exemplars=tuple(e for e in bank.exemplars if e.id != withdrawn.id))
        report.catalogue = dataclasses.replace(report.catalogue, calibration=smaller)
    results = client.get(path.rsplit("/", 1)[0], follow_redirects=True).get_data(as_text=True)
    assert "100%" in results and "Exemplar 3" not in results
