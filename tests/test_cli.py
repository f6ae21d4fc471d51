"""Command line: content check, users create, demo seed; and start-up with broken content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms import create_app
from lms.assessment.models import Assessment, MarkingCase
from lms.content_store import ContentLoadFailed
from lms.extensions import db
from lms.evidence.models import EvidenceVersion, Submission
from lms.models import UnitProgress, User

from .conftest import login, make_app
from .content_fixtures import make_tree, unit_text

FLASK = [sys.executable, "-m", "flask", "--app", "lms"]


def run_flask(args, tmp_path, cwd, **env):
    environment = {**os.environ, "LMS_INSTANCE_PATH": str(tmp_path / "instance"), **env}
    environment.pop("LMS_DATABASE_URL", None)
    return subprocess.run(FLASK + args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60)


def test_content_check_on_the_shipped_content(app):
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].endswith(" tasks with exemplars, 0 problems")


def test_content_check_reports_broken_units_and_exits_non_zero(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(teaches=["COM.7", "COM.99"])})
    result = run_flask(["content", "check"], tmp_path, cwd=tmp_path,
                       LMS_RUBRICS_DIR=str(rubrics), LMS_MODULES_DIR=str(modules))
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert any(line.startswith("modules/listening.md:") and "unknown indicator 'COM.99'" in line for line in lines)
    assert lines[-1] == "content: 0 units, 0/38 indicators evidenced, 0/0 tasks with exemplars, 39 problems"
    assert "Traceback" not in result.stderr


def test_content_check_fails_on_quality_problems_the_app_can_run_with(database_url, tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    app = make_app(database_url, tmp_path / "instance", RUBRICS_DIR=str(rubrics), MODULES_DIR=str(modules))
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "indicator SDS.1 is not asked for by any evidence task" in result.output
    assert result.output.strip().splitlines()[-1] == ("content: 1 units, 1/38 indicators evidenced, 0/1 tasks with "
                                                      "exemplars, 37 problems")


def test_a_broken_unit_stops_the_app_with_the_same_message(tmp_path, monkeypatch):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(order="first")})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ContentLoadFailed) as failure:
        create_app({"RUBRICS_DIR": str(rubrics), "MODULES_DIR": str(modules), "SECRET_KEY": "x",
                    "DATABASE_URL": "sqlite://"})
    assert "modules/listening.md:7: 'order' must be a whole number of 1 or more, not 'first'" in str(failure.value)

    result = run_flask(["run", "--port", "5999"], tmp_path, cwd=tmp_path,
                       LMS_RUBRICS_DIR=str(rubrics), LMS_MODULES_DIR=str(modules))
    assert result.returncode == 1
    assert result.stderr.startswith("modules/listening.md:7: 'order' must be a whole number")
    assert "Traceback" not in result.stderr


def test_users_create_reads_the_password_from_stdin(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Head@School.example.org", "--name", "Head Teacher",
                                 "--role", "admin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created admin head@school.example.org" in result.output
    assert login(client, "head@school.example.org", "a long enough password").status_code == 302
    assert client.get("/admin/users").status_code == 200

    again = runner.invoke(args=["users", "create", "head@school.example.org", "--name", "X"],
                          input="another long password\n")
    assert again.exit_code == 1 and "already exists" in again.output
    weak = runner.invoke(args=["users", "create", "b@example.org", "--name", "B"], input="short\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output


def test_demo_seed_is_idempotent_and_prints_working_logins(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output
    logins = {}
    for line in first.output.splitlines()[1:]:
        role, email, password = line.split()
        logins[role] = (email, password)
    assert set(logins) == {"learner", "assessor", "lead_assessor", "admin", "programme_lead"}
    with app.app_context():
        # The three demo logins, one invited mentor (whose invitation is kept in instance/mail/), the
        # programme lead, the demo cohort's thirty mentors and its second assessor; the lead assessor, a second
        # lead assessor and two more learners whose marks disagreed; a mentor whose badge was revoked and one
        # who renewed an expired badge.
        assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one() == 42
        from lms.mail.services import mail_folder
        assert len(list(mail_folder().glob("*-invitation.eml"))) == 1
        learner_id = db.session.execute(db.select(User.id).where(User.email == logins["learner"][0])).scalar_one()
        # Units 1-3 read, and the six units with submitted evidence (1-3 and the three PD units).
        assert db.session.execute(db.select(db.func.count()).select_from(UnitProgress)
                                  .where(UnitProgress.user_id == learner_id)).scalar_one() == 6
        decided = db.session.execute(
            db.select(Assessment.outcome).join(EvidenceVersion).join(Submission)
            .where(Submission.learner_id == learner_id).order_by(Assessment.id)).scalars().all()
        assert decided == ["accepted", "not_yet", "accepted", "accepted", "accepted"]
        from lms.badges.models import BadgeAssertion
        withdrawn = db.session.execute(db.select(BadgeAssertion).join(User, BadgeAssertion.user_id == User.id)
                                       .where(User.email == "mentor.withdrawn@demo.example.org")).scalars().all()
        # Issued (second marking settled in the seed) and revoked.
        assert [a.status() for a in withdrawn if a.badge_class_id == "DSP"] == ["revoked"]
        # The demo learner's DSP badge: one endorsement approved and carried by its credential, one asked for.
        from lms.badges.models import BadgeEndorsement
        dsp = db.session.execute(db.select(BadgeAssertion).where(
            BadgeAssertion.user_id == learner_id, BadgeAssertion.badge_class_id == "DSP")).scalar_one()
        states = db.session.execute(db.select(BadgeEndorsement.status).where(
            BadgeEndorsement.assertion_id == dsp.id).order_by(BadgeEndorsement.id)).scalars().all()
        assert states == ["approved", "requested"]
        assert json.loads(dsp.credential_json)["endorsement"][0]["credentialSubject"]["endorsementComment"]
        # A renewed badge that supersedes an expired one.
        renewed = db.session.execute(db.select(BadgeAssertion).join(User, BadgeAssertion.user_id == User.id).where(
            User.email == "mentor.renewed@demo.example.org", BadgeAssertion.badge_class_id == "DSP")
            .order_by(BadgeAssertion.id)).scalars().all()
        assert [a.status() for a in renewed] == ["expired", "valid"] and renewed[1].supersedes_id == renewed[0].id
        assert renewed[0].superseded_at is not None and renewed[1].credential_json
        waiting = db.session.execute(db.select(db.func.count()).select_from(EvidenceVersion)
                                     .where(EvidenceVersion.status == "submitted")).scalar_one()
    assert login(client, *logins["admin"]).status_code == 302
    assert Path(app.instance_path, "demo-logins.json").stat().st_mode & 0o077 == 0

    # The demo learner sees the whole loop: evidence accepted, returned "not yet", and waiting.
    learner = app.test_client()
    login(learner, *logins["learner"])
    portfolio = learner.get("/evidence").get_data(as_text=True)
    for status in ("Accepted", "Not yet", "Submitted"):
        assert f">{status}</span>" in portfolio
    assert "was returned “not yet”" in learner.get("/notifications").get_data(as_text=True)
    assessor = app.test_client()
    login(assessor, *logins["assessor"])
    with app.app_context():  # his queue: first marks, and second marks of others' first marks (he is calibrated now)
        jean_marc = db.session.execute(db.select(User.id).where(User.email == logins["assessor"][0])).scalar_one()
        waiting = db.session.execute(db.select(db.func.count()).select_from(MarkingCase).where(
            MarkingCase.learner_id != jean_marc,
            db.or_(MarkingCase.stage == "first",
                   db.and_(MarkingCase.stage == "second", MarkingCase.first_marker_id != jean_marc)))).scalar_one()
    queue = assessor.get("/assess").get_data(as_text=True)
    assert f"{waiting} submission{'s' if waiting != 1 else ''} waiting" in queue and "overdue</strong>" in queue
    assert "Priya" not in queue and "Kavita" not in queue  # blind
    moderator = app.test_client()
    login(moderator, *logins["lead_assessor"])
    assert "1 submission waiting for moderation" in moderator.get("/assess/moderation").get_data(as_text=True)

    # The programme lead's report on the demo cohort has real numbers in every part.
    lead = app.test_client()
    login(lead, *logins["programme_lead"])
    cohorts = lead.get("/programme").get_data(as_text=True)
    assert "Demo intake 2026" in cohorts and "<td>31</td>" in cohorts
    report = lead.get(_demo_report_path(app))
    page = report.get_data(as_text=True)
    assert "<th scope=\"row\">Enrolled</th><td>31</td>" in page
    assert "<th scope=\"row\">Earned the credential</th><td>1</td>" in page
    assert "are behind" in page and "decisions: half within" in page and "Attempts per learner" in page


def _demo_report_path(app) -> str:
    from lms.cohorts.models import Cohort
    with app.app_context():
        cohort_id = db.session.execute(db.select(Cohort.id).where(Cohort.name == "Demo intake 2026")).scalar_one()
    return f"/programme/cohorts/{cohort_id}/report"
