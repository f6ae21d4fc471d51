"""Enrolment from a CSV file on the page (preview, then confirm) and on the command line."""

from __future__ import annotations

import io
import re

import pytest

from lms.cohorts.models import CohortLearner
from lms.extensions import db
from lms.models import AuditEvent, User

from .conftest import csrf_token, signed_in
from .test_cohorts import make_cohort

GOOD_AND_BAD = ("name;email;school;region;cohort\n"
                "Zoë Rivière;zoe@example.mu;Collège Royal;Plaines Wilhems;Intake A\n"   # row 2: new
                "Bad Mail;bad@;School 2;;Intake A\n"                                   # row 3: malformed email
                ";noname@example.mu;School 3;;Intake A\n"                              # row 4: no name
                "Zoë Again;ZOE@example.mu;Collège Royal;;Intake A\n"                   # row 5: duplicate
                "Ghost;ghost@example.mu;School 5;;Intake Z\n"                          # row 6: unknown cohort
                "Other;other@example.mu;School 6;;Intake B\n"                          # row 7: not the chosen one
                "=HYPERLINK(\"http://x\");ok@example.mu;School 7;;Intake A\n")         # row 8: new (odd name)


@pytest.fixture
def lead_client(app, make_user):
    return signed_in(app, make_user, "lead@example.org", "Lina Lead", "programme_lead")


def counts(app):
    with app.app_context():
        users = db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one()
        members = db.session.execute(db.select(db.func.count()).select_from(CohortLearner)).scalar_one()
        return users, members


def invitations(app) -> list[str]:
    from lms.mail.models import OutboxMessage
    with app.app_context():
        return sorted(db.session.execute(db.select(OutboxMessage.to_address)
                                         .where(OutboxMessage.kind == "invitation")).scalars())


def post_enrol(client, data: dict, file: bytes | None = None):
    body = {"csrf_token": csrf_token(client, "/programme/enrol"), "text": "", "cohort": "", **data}
    if file is not None:
        body["file"] = (io.BytesIO(file), "people.csv")
    return client.post("/programme/enrol", data=body, content_type="multipart/form-data")


def fingerprint(page: str) -> str:
    return re.search(r'id="fingerprint" name="fingerprint" type="hidden" value="([0-9a-f]+)"', page).group(1)


def test_preview_lists_every_problem_and_writes_nothing_then_confirm_enrols_the_valid_rows(app, lead_client):
    make_cohort(app, "Intake A")
    make_cohort(app, "Intake B")
    before = counts(app)
    response = post_enrol(lead_client, {"cohort": "Intake A", "preview": "1"}, GOOD_AND_BAD.encode("utf-8"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert counts(app) == before
    for row, words in ((3, "“bad@” is not a valid email address"), (4, "the name is missing."),
                       (5, "zoe@example.mu is also on row 2"), (6, "no cohort called “Intake Z”"),
                       (7, "differs from the one chosen for this file")):
        assert re.search(rf"<td>{row}</td><td>Problem</td><td>[^<]*{re.escape(words)}", page), row
    assert "2 new accounts to create and enrol" in page and "5 rows with a problem" in page
    # The file's text is in the form, so rows can be corrected and previewed again.
    assert "Zoë Rivière;zoe@example.mu" in page

    response = post_enrol(lead_client, {"cohort": "Intake A", "confirm": "1", "text": GOOD_AND_BAD,
                                        "fingerprint": fingerprint(page)})
    assert response.status_code == 200
    assert "2 accounts created, 2 enrolments, 2 invitations sent." in response.get_data(as_text=True)
    assert invitations(app) == ["ok@example.mu", "zoe@example.mu"]
    assert counts(app) == (before[0] + 2, 2)
    with app.app_context():
        zoe = db.session.execute(db.select(User).where(User.email == "zoe@example.mu")).scalar_one()
        assert (zoe.name, zoe.school, zoe.region) == ("Zoë Rivière", "Collège Royal", "Plaines Wilhems")
        assert db.session.get(CohortLearner, zoe.id).cohort.name == "Intake A"
        assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "cohort.enrolled")).scalar_one() == 2

    # The same file again: nothing to do, only notices for the people already enrolled.
    response = post_enrol(lead_client, {"cohort": "Intake A", "preview": "1", "text": GOOD_AND_BAD})
    page = response.get_data(as_text=True)
    assert "0 new accounts to create and enrol" in page and "2 notices" in page
    assert "zoe@example.mu is already enrolled in “Intake A”: nothing to do." in page
    assert "Confirm: enrol" not in page
    response = post_enrol(lead_client, {"cohort": "Intake A", "confirm": "1", "text": GOOD_AND_BAD,
                                        "fingerprint": fingerprint(page)})
    assert "0 accounts created, 0 enrolments." in response.get_data(as_text=True)
    assert counts(app) == (before[0] + 2, 2)
    assert invitations(app) == ["ok@example.mu", "zoe@example.mu"]  # nobody is invited twice


def test_confirm_checks_again_and_refuses_a_tampered_or_outdated_preview(app, lead_client, make_user):
    make_cohort(app, "Intake A")
    text = "name,email,school\nAnn Ah,ann@example.org,School 1\n"
    page = post_enrol(lead_client, {"cohort": "Intake A", "preview": "1", "text": text}).get_data(as_text=True)
    previewed = fingerprint(page)
    # A row added after the preview (or a forged form) is not applied: a new preview is shown instead.
    changed = text + "Bob Bee,bob@example.org,School 2\n"
    response = post_enrol(lead_client, {"cohort": "Intake A", "confirm": "1", "text": changed,
                                        "fingerprint": previewed})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Something changed since the preview" in page and "Bob Bee,bob@example.org" in page
    assert counts(app)[1] == 0
    # Someone gets an account with that email meanwhile: confirming the old preview is refused too.
    make_user("ann@example.org", "Ann Ah")
    response = post_enrol(lead_client, {"cohort": "Intake A", "confirm": "1", "text": text, "fingerprint": previewed})
    assert response.status_code == 409 and counts(app)[1] == 0


def test_a_file_that_is_not_utf8_is_refused_with_its_row(app, lead_client):
    make_cohort(app, "Intake A")
    response = post_enrol(lead_client, {"cohort": "Intake A", "preview": "1"},
                          "name,email,school\nAnn,ann@example.org,École\n".encode("latin-1"))
    assert response.status_code == 400
    assert "row 2: this row is not UTF-8 text" in response.get_data(as_text=True)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_creates_lists_and_imports_cohorts(app, tmp_path):
    result = run(app, "cohort", "create", "Intake A", "--start", "2027-01-04", "--end", "2027-06-30")
    assert result.exit_code == 0, result.output
    assert run(app, "cohort", "create", "Intake A", "--start", "2027-01-04", "--end", "2027-06-30").exit_code == 1
    assert run(app, "cohort", "create", "Late", "--start", "2027-06-30", "--end", "2027-01-04").exit_code != 0
    assert "Intake A\t2027-01-04 to 2027-06-30\t0 learners" in run(app, "cohort", "list").output

    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,school\nAnn Ah,ann@example.org,School 1\nBad,bad@,School 2\n", encoding="utf-8")
    result = run(app, "cohort", "import", str(bad), "--cohort", "Intake A")
    assert result.exit_code == 1
    assert "row 3: “bad@” is not a valid email address" in result.output
    assert counts(app) == (0, 0)  # a file with a problem imports nothing

    good = tmp_path / "good.csv"
    good.write_text("name;email;school;cohort\nAnn Ah;ann@example.org;School 1;Intake A\n"
                    "Bea Bé;bea@example.org;École 2;Intake A\n", encoding="utf-8")
    result = run(app, "cohort", "import", str(good), "--dry-run")
    assert result.exit_code == 0 and "Nothing was changed" in result.output
    assert counts(app) == (0, 0)
    result = run(app, "cohort", "import", str(good))
    assert result.exit_code == 0 and "2 account(s) created, 2 enrolment(s) made, 2 invitation(s)" in result.output
    assert counts(app) == (2, 2)
    assert invitations(app) == ["ann@example.org", "bea@example.org"]
    result = run(app, "cohort", "import", str(good))  # again: notices only, exit 0, nothing changes
    assert result.exit_code == 0
    assert "row 2: ann@example.org is already enrolled in “Intake A”: nothing to do." in result.output
    assert counts(app) == (2, 2)
    # Without a cohort column, --cohort is needed.
    result = run(app, "cohort", "import", str(bad))
    assert result.exit_code == 1 and "row 1: the file has no cohort column" in result.output
