"""Endorsements: asked for by email, written through a single-use link, shown and signed only with the
earner's consent, withdrawn at will; the credential carries them and still verifies."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from lms.models import AuditEvent
from lms.auth.models import AccountToken
from lms.badges import services as badges
from lms.badges.models import BadgeEndorsement
from lms.domain.openbadges import baking
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.models import utcnow

from .conftest import csrf_token, login, submit
from .test_badges import earner, held  # noqa: F401 - the fixture
from .test_openbadges import assert_signed_over_pyld_normalisation

ENDORSER = "hod@school.example.org"
STATEMENT = ("I watched Test Teacher mentor our student educator for a whole term. <script>alert(1)</script>\n"
             "Her feedback was specific and she let him plan his own lessons.")


def ask(client, public_id, email=ENDORSER, name="Devika Ramsamy"):
    return submit(client, "/my/badges", {"name": name, "email": email},
                  action=f"/my/badges/{public_id}/endorsements")


def emailed_link(app, email=ENDORSER) -> str:
    """The endorsement link in the latest email to ``email`` (as written to the outbox)."""
    with app.app_context():
        body = db.session.execute(db.select(OutboxMessage.body).where(OutboxMessage.to_address == email)
                                  .order_by(OutboxMessage.id.desc())).scalars().first()
    match = re.search(r"http://localhost(/endorse/\S+)", body or "")
    assert match, body
    return match.group(1)


def endorse(client, path, statement=STATEMENT, confirm="y", **extra):
    fields = {"statement": statement, "name": "Devika Ramsamy", "role": "Head of department",
              "organisation": "Royal College Curepipe", **({"confirm": confirm} if confirm else {}), **extra}
    return submit(client, path, fields)


def endorsement_row(app) -> BadgeEndorsement:
    with app.app_context():
        return db.session.execute(db.select(BadgeEndorsement).order_by(BadgeEndorsement.id.desc())).scalars().first()


def decide(client, public_id, endorsement_id, action):
    return submit(client, "/my/badges", {}, action=f"/my/badges/{public_id}/endorsements/{endorsement_id}/{action}")


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action.like("badge.endorse%"))
                                       .order_by(AuditEvent.id)).scalars())


def test_an_endorsement_is_asked_written_approved_and_travels_signed_with_the_credential(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    before = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert ask(earner, public_id).status_code == 302
    with app.app_context():  # the link and its email were written together
        token = db.session.execute(db.select(AccountToken).where(AccountToken.purpose == "endorsement")).scalar_one()
        assert token.email == ENDORSER and token.used_at is None and token.expires_at > utcnow() + timedelta(days=20)
    path = emailed_link(app)

    page = client.get(path).get_data(as_text=True)  # the endorser: no account, sees what they endorse
    assert "Test Teacher" in page and "Development of effective dispositions" in page
    assert "Private words" not in page and "teacher@example.org" not in page  # nothing more private
    assert "At most 1,000 characters" in page
    assert client.get(f"/badges/credentials/{public_id}.json").get_json() == before  # a GET changed nothing

    response = endorse(client, path)
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    row = endorsement_row(app)
    assert row.status == "received" and row.statement == STATEMENT.strip()
    # Not shown, not signed until the earner consents.
    earner.post(f"/my/badges/{public_id}/visibility", data={"public": "1",
                                                             "csrf_token": _token(earner)})
    assert "Devika" not in client.get(f"/b/{public_id}").get_data(as_text=True)
    assert client.get(f"/badges/credentials/{public_id}.json").get_json() == before
    mine = earner.get("/my/badges").get_data(as_text=True)
    assert "pending your approval" in mine and "&lt;script&gt;" in mine and "<script>alert" not in mine

    assert earner.get(f"/my/badges/{public_id}/endorsements/{row.id}/approve").status_code == 405  # never on GET
    assert decide(earner, public_id, row.id, "approve").status_code == 302
    after = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert after["proof"] != before["proof"]
    (embedded,) = after["endorsement"]
    assert embedded["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert embedded["credentialSubject"] == {"id": after["credentialSubject"]["achievement"]["id"],
                                             "type": ["EndorsementSubject"],
                                             "endorsementComment": STATEMENT.strip()}
    assert embedded["issuer"]["id"] == after["issuer"]["id"] and embedded["proof"]
    assert "Devika Ramsamy, Head of department, Royal College Curepipe" in embedded["description"]
    assert "single-use link" in embedded["description"]
    assert_signed_over_pyld_normalisation(after)  # what PyLD alone computes is what was signed
    assert_signed_over_pyld_normalisation(embedded)
    with app.test_request_context():
        result = badges.verify(json.dumps(after))
        assert result.status == "valid" and result.endorsements[0]["comment"] == STATEMENT.strip()
        png = client.get(f"/badges/credentials/{public_id}.png").data
        assert json.loads(baking.unbake(png).ob3) == after and badges.verify(png).status == "valid"
        svg = client.get(f"/badges/credentials/{public_id}.svg").data
        assert badges.verify(svg).endorsements
    public = client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "Devika Ramsamy" in public and "Royal College Curepipe" in public and "&lt;script&gt;" in public
    assert ENDORSER not in public
    assert actions(app) == ["badge.endorsement_requested", "badge.endorsed", "badge.endorsement_approved"]


def _token(client) -> str:
    return csrf_token(client, "/my/badges")


def test_the_link_works_once_and_not_after_it_expires(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    ask(earner, public_id)
    path = emailed_link(app)
    assert endorse(client, path).status_code == 200
    again = client.get(path)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    token = csrf_token(client, "/verify")
    assert client.post(path, data={"statement": "Second go", "csrf_token": token}).status_code == 410
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(BadgeEndorsement)).scalar_one() == 1

    ask(earner, public_id, "principal@school.example.org", "Rajesh Principal")
    late = emailed_link(app, "principal@school.example.org")
    with app.app_context():
        db.session.execute(db.update(AccountToken).where(AccountToken.email == "principal@school.example.org")
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.get(late).status_code == 410 and "expired" in client.get(late).get_data(as_text=True)
    fields = {"statement": "Late words", "name": "Rajesh", "role": "Principal", "confirm": "y",
              "csrf_token": csrf_token(client, "/verify")}
    assert client.post(late, data=fields).status_code == 410
    assert client.get("/endorse/not-a-real-token").status_code == 404


def test_the_statement_limit_is_stated_enforced_and_the_text_kept(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    ask(earner, public_id)
    path = emailed_link(app)
    long_text = "She listens. " * 100  # 1,300 characters
    response = endorse(client, path, statement=long_text, confirm="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "keep it to 1,000" in page and "Tick the box" in page and long_text.strip() in page
    assert endorsement_row(app).status == "requested"  # the link still works
    assert endorse(client, path, statement="She listens before she advises.").status_code == 200


def test_withdrawing_takes_it_off_the_page_and_out_of_the_re_signed_credential(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    ask(earner, public_id)
    endorse(client, emailed_link(app))
    row = endorsement_row(app)
    decide(earner, public_id, row.id, "approve")
    endorsed = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert decide(earner, public_id, row.id, "withdraw").status_code == 302
    after = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert "endorsement" not in after and after["proof"] != endorsed["proof"]
    with app.test_request_context():
        assert badges.verify(json.dumps(after)).status == "valid"
    assert "Devika" not in client.get(f"/b/{public_id}").get_data(as_text=True)
    assert endorsement_row(app).status == "withdrawn"
    assert actions(app)[-1] == "badge.endorsement_withdrawn"


def test_cancelling_a_request_closes_its_link_and_others_cannot_decide(app, earner, make_user):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    ask(earner, public_id)
    path = emailed_link(app)
    row = endorsement_row(app)
    make_user("other@example.org", "Other Person")
    other = app.test_client()
    login(other, "other@example.org")
    assert decide(other, public_id, row.id, "withdraw").status_code == 404
    decide(earner, public_id, row.id, "withdraw")
    assert client.get(path).status_code == 410


def test_a_tampered_endorsement_makes_the_credential_invalid(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # the endorser, and anyone: not signed in
    ask(earner, public_id)
    endorse(client, emailed_link(app))
    decide(earner, public_id, endorsement_row(app).id, "approve")
    credential = client.get(f"/badges/credentials/{public_id}.json").get_json()
    credential["endorsement"][0]["credentialSubject"]["endorsementComment"] = "Not what was written."
    with app.test_request_context():
        assert badges.verify(json.dumps(credential)).status != "valid"
