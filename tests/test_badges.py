"""Badges end to end: issued on achievement, hosted, signed, baked, shared, verified and revoked."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re

import pytest

from lms.assessment import services as assessment
from lms.auth import services as accounts
from lms.badges import services as badges
from lms.badges.models import BadgeAssertion
from lms.content_store import catalogue
from lms.domain.openbadges import baking, dataintegrity, ob3
from lms.domain.openbadges.verify import verify_anything
from lms.evidence import services as evidence
from lms.extensions import db
from lms.models import User, UserRole

from .conftest import PASSWORD, csrf_token, login, submit
from .evidence_helpers import REFLECTION
from .test_openbadges import assert_signed_over_pyld_normalisation

PD_UNITS = ("empathy-and-respect", "agency-and-wellbeing", "dispositions-journal")  # DSP.1, DSP.2, DSP.3


def accept(app, learner_email, slug, level=2, reflection=REFLECTION):
    """The learner submits evidence for a unit and an assessor accepts it, through the services."""
    with app.test_request_context():
        learner = db.session.execute(db.select(User).where(User.email == learner_email)).scalar_one()
        assessor = db.session.execute(db.select(User).join(UserRole).where(UserRole.role == "assessor")).scalars().first()
        if assessor is None:
            assessor = accounts.create_user("assessor@example.org", "Asha Assessor", PASSWORD,
                                           ("assessor", "lead_assessor"))  # calibrated: one mark is final
        version = evidence.save_draft(learner, slug, evidence.DraftInput(reflection, "", 0), submit=True).version
        unit = catalogue().unit(slug)
        assessment.decide(assessor, assessment.Decision(
            version.id, "accepted", "", tuple(assessment.IndicatorJudgement(i, level) for i in unit.task.indicator_ids)))
        return version.id


@pytest.fixture
def earner(app, learner):
    """A signed-in learner who has achieved DSP (and so the PD domain)."""
    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug, reflection=f"{REFLECTION} Private words for {slug}.")
    return learner


def held(app):
    with app.app_context():
        return {a.badge_class_id: a.public_id for a in db.session.execute(db.select(BadgeAssertion)).scalars()}


def test_achieving_a_competency_issues_its_badge_and_its_domains_once(app, earner):
    assert set(held(app)) == {"DSP", "PD"}
    page = earner.get("/my/badges").get_data(as_text=True)
    assert "MCF Mentor: Development of effective dispositions" in page and "MCF Domain: Professional Dispositions" in page
    assert "You earned the badge" in earner.get("/notifications").get_data(as_text=True)
    # More accepted evidence for the same competency issues nothing new.
    accept(app, "teacher@example.org", "active-listening-and-rapport")
    assert set(held(app)) == {"DSP", "PD"}


def test_nothing_is_issued_below_the_rule(app, learner):
    accept(app, "teacher@example.org", PD_UNITS[0])
    with pytest.raises(assessment.AssessmentError, match="DSP.2 is at “Emerging”"):  # below proficient
        accept(app, "teacher@example.org", PD_UNITS[1], level=1)
    accept(app, "teacher@example.org", PD_UNITS[2])
    assert held(app) == {}


def test_hosted_documents_are_served_at_their_own_ids(app, earner, client):
    public_id = held(app)["DSP"]
    assertion = client.get(f"/badges/assertions/{public_id}").get_json()
    assert assertion["id"] == f"http://localhost/badges/assertions/{public_id}"
    assert assertion["verification"] == {"type": "hosted"} and assertion["issuedOn"].endswith("Z")
    recipient = assertion["recipient"]
    assert recipient["hashed"] is True and recipient["type"] == "email"
    assert recipient["identity"] == "sha256$" + hashlib.sha256(
        ("teacher@example.org" + recipient["salt"]).encode()).hexdigest()
    assert "evidence" not in assertion
    badge_class = client.get(assertion["badge"].replace("http://localhost", "")).get_json()
    assert badge_class["id"] == assertion["badge"] and badge_class["type"] == "BadgeClass"
    assert "at least Proficient" in badge_class["criteria"]["narrative"]
    assert {a["targetUrl"] for a in badge_class["alignment"]} >= {"http://localhost/framework/DSP",
                                                                 "http://localhost/framework/DSP.1"}
    assert client.get(badge_class["image"].replace("http://localhost", "")).mimetype == "image/png"
    issuer = client.get(badge_class["issuer"].replace("http://localhost", "")).get_json()
    assert issuer["id"] == badge_class["issuer"] and issuer["type"] == "Issuer" and issuer["url"]


def test_the_credential_carries_the_achievement_results_and_a_status_entry(app, earner, client):
    public_id = held(app)["DSP"]
    cred = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["issuer"]["id"].startswith("did:key:z6Mk")
    achievement = cred["credentialSubject"]["achievement"]
    assert achievement["criteria"]["narrative"] and achievement["alignment"]
    results = {r["resultDescription"].rsplit("-", 1)[-1]: r["achievedLevel"] for r in cred["credentialSubject"]["result"]}
    assert set(results) == {"DSP.1", "DSP.2", "DSP.3"}
    assert all(level.endswith("-proficient") for level in results.values())
    status = cred["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert_signed_over_pyld_normalisation(cred)  # what PyLD alone computes is what was signed
    with app.test_request_context():
        assert badges.verify(json.dumps(cred), "teacher@example.org").status == "valid"
        cred["credentialSubject"]["achievement"]["name"] = "Forged"
        forged = badges.verify(json.dumps(cred))
        assert forged.status == "invalid" and "signature" in forged.summary()


def test_baked_images_verify_with_the_apps_own_code(app, earner, client):
    public_id = held(app)["PD"]
    for ext in ("png", "svg"):
        image = client.get(f"/badges/assertions/{public_id}/baked.{ext}").data
        with app.test_request_context():
            result = badges.verify(image, "TEACHER@example.org")
            assert result.status == "valid", result.problems
            assert result.badge_name == "MCF Domain: Professional Dispositions"
            assert badges.verify(image, "someone.else@example.org").status == "invalid"


def test_evidence_appears_only_where_the_earner_chose(app, earner, client):
    public_id = held(app)["DSP"]
    page = earner.get("/my/badges").get_data(as_text=True)
    version_ids = re.findall(rf'id="ev-{public_id}-(\d+)"', page)
    assert len(version_ids) == 3
    response = submit(earner, "/my/badges", {"version": [version_ids[0]]}, action=f"/my/badges/{public_id}/evidence")
    assert response.status_code == 302
    assertion = client.get(f"/badges/assertions/{public_id}").get_json()
    assert len(assertion["evidence"]) == 1 and "Private words for empathy-and-respect" in assertion["evidence"][0]["narrative"]
    cred = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert len(cred["evidence"]) == 1
    assert_signed_over_pyld_normalisation(cred)


def test_the_public_page_is_private_until_made_public_and_shows_only_what_was_shared(app, earner):
    public_id = held(app)["DSP"]
    client = app.test_client()  # anyone, not signed in
    assert client.get(f"/b/{public_id}").status_code == 404
    assert earner.get(f"/b/{public_id}").status_code == 200  # the earner can preview it
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    page = client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "MCF Mentor: Development of effective dispositions" in page and "Test Teacher" in page and "Valid" in page
    assert "MCF Mentoring Micro-credential" in page  # the issuer
    assert "teacher@example.org" not in page
    assert "Private words for" not in page
    mine = earner.get("/my/badges").get_data(as_text=True)
    assert "linkedin.com/profile/add?" in mine and "CERTIFICATION_NAME" in mine
    assert f"&lt;a href=&#34;http://localhost/b/{public_id}&#34;&gt;" in mine  # the embed snippet
    qr = earner.get(f"/my/badges/{public_id}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    assert client.get(f"/my/badges/{public_id}/qr.svg").status_code == 302


def test_others_cannot_change_a_badge(app, earner, make_user):
    public_id = held(app)["DSP"]
    make_user("other@example.org", "Other")
    other = app.test_client()
    login(other, "other@example.org")
    assert submit(other, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility").status_code == 404
    with app.app_context():
        assert db.session.execute(db.select(BadgeAssertion.is_public)
                                  .where(BadgeAssertion.public_id == public_id)).scalar_one() is False
    assert other.get("/admin/badges").status_code == 403


def test_the_verify_page_takes_an_image_json_or_url(app, earner, client):
    public_id = held(app)["DSP"]
    image = client.get(f"/badges/assertions/{public_id}/baked.png").data
    token = csrf_token(client, "/verify")
    page = client.post("/verify", data={"csrf_token": token, "image": (io.BytesIO(image), "badge.png"),
                                        "email": "teacher@example.org"}).get_data(as_text=True)
    assert "Valid: “MCF Mentor: Development of effective dispositions” issued by MCF Mentoring Micro-credential to " \
           "teacher@example.org" in page
    by_url = client.post("/verify", data={"csrf_token": token,
                                          "url": f"http://localhost/badges/assertions/{public_id}"})
    assert "Valid:" in by_url.get_data(as_text=True)
    pasted = client.post("/verify", data={"csrf_token": token,
                                          "json_text": client.get(f"/badges/credentials/{public_id}.json").data})
    assert "Valid:" in pasted.get_data(as_text=True)
    elsewhere = client.post("/verify", data={"csrf_token": token, "url": "http://169.254.169.254/latest/"})
    assert "Not issued here" in elsewhere.get_data(as_text=True)  # never fetched: not this issuer
    junk = client.post("/verify", data={"csrf_token": token, "image": (io.BytesIO(b"hello"), "x.png")})
    assert "Not valid" in junk.get_data(as_text=True)


def test_revocation_reaches_every_format(app, earner, admin_client, client):
    public_id = held(app)["DSP"]
    baked_before = client.get(f"/badges/assertions/{public_id}/baked.png").data
    credential_before = client.get(f"/badges/credentials/{public_id}.json").data
    response = submit(admin_client, "/admin/badges", {"reason": "Evidence was plagiarised"},
                      action=f"/admin/badges/{public_id}/revoke")
    assert response.status_code == 302
    hosted = client.get(f"/badges/assertions/{public_id}")
    assert hosted.status_code == 410
    assert hosted.get_json()["revoked"] is True and hosted.get_json()["revocationReason"] == "Evidence was plagiarised"
    with app.test_request_context():
        assert badges.verify(credential_before).status == "revoked"
        assert badges.verify(baked_before).status == "revoked"
        index = db.session.execute(db.select(BadgeAssertion.id).where(BadgeAssertion.public_id == public_id)).scalar_one()
    status_list = client.get("/badges/status/0").get_json()
    assert ob3.status_bit(status_list["credentialSubject"]["encodedList"], index)
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    assert "Revoked on" in client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "badge.revoked" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_command_line_list_verify_revoke(app, earner, tmp_path):
    runner = app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["badges", "list", "--json"]).output)
    row = next(r for r in listed if r["badge_class"] == "DSP")
    assert row["recipient"] == "teacher@example.org"
    client = app.test_client()
    for key in ("assertion_url", "credential_url", "credential_png_url", "credential_svg_url", "baked_png_url",
                "baked_svg_url"):
        assert row[key].startswith("http://localhost/badges/")  # the configured PUBLIC_BASE_URL
        assert client.get(row[key]).status_code == 200, key
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in client.get(row["credential_svg_url"]).data
    assert b'xmlns:openbadges="http://openbadges.org"' in client.get(row["baked_svg_url"]).data
    (tmp_path / "badge.png").write_bytes(client.get(row["baked_png_url"]).data)
    ok = runner.invoke(args=["badges", "verify", str(tmp_path / "badge.png")])
    assert ok.exit_code == 0 and ok.output.startswith("Valid:")
    revoked = runner.invoke(args=["badges", "revoke", row["id"], "--reason", "Withdrawn by the programme"])
    assert revoked.exit_code == 0
    again = runner.invoke(args=["badges", "verify", str(tmp_path / "badge.png")])
    assert again.exit_code == 1 and again.output.startswith("Revoked:")
    assert runner.invoke(args=["badges", "revoke", row["id"], "--reason", "x"]).exit_code == 1


def test_an_expired_badge_says_so_everywhere(app, earner):
    from datetime import timedelta

    from lms.models import utcnow

    public_id = held(app)["DSP"]
    with app.test_request_context():
        found = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.public_id == public_id)).scalar_one()
        found.issued_at = utcnow() - timedelta(days=400)
        found.expires_at = utcnow() - timedelta(days=35)
        found.is_public = True
        badges.sign_credential(found)  # the stored credential says what was signed
        db.session.commit()
    client = app.test_client()
    assert "Expired on" in client.get(f"/b/{public_id}").get_data(as_text=True)
    assertion = client.get(f"/badges/assertions/{public_id}").get_json()
    assert assertion["expires"].endswith("Z")
    credential = client.get(f"/badges/credentials/{public_id}.json").data
    with app.test_request_context():
        assert badges.verify(f"http://localhost/badges/assertions/{public_id}").status == "expired"
        result = badges.verify(credential)
        assert result.status == "expired" and result.summary().startswith("Expired:")


def forge(genuine: dict) -> tuple[dict, str]:
    """The attack in issue 9: rename the achievement, put one's own did:key as issuer.id (keeping
    issuer.name), drop the proof and the status entry, and sign it with one's own key."""
    attacker = dataintegrity.new_private_key()
    did = dataintegrity.did_key(attacker.public_key())
    forged = copy.deepcopy(genuine)
    forged["credentialSubject"]["achievement"]["name"] = "MCF Master Mentor"
    forged["issuer"]["id"] = did
    del forged["proof"], forged["credentialStatus"]
    return dataintegrity.sign(forged, attacker, f"{did}#{did[len('did:key:'):]}"), did


def test_a_credential_signed_by_anyone_else_is_not_issued_here_in_json_png_and_svg(app, earner, client, tmp_path):
    public_id = held(app)["DSP"]
    forged, attacker_did = forge(client.get(f"/badges/credentials/{public_id}.json").get_json())
    text = json.dumps(forged)
    # The forgery is well made: a verifier that trusts any did:key would call it valid.
    assert verify_anything(text, lambda url: (0, None)).status == "valid"
    with app.app_context():
        badge = catalogue().badge_class("DSP")
        png, svg = badge.png_path.read_bytes(), badge.svg_path.read_bytes()
    submissions = {
        "JSON": {"json_text": text},
        "PNG": {"image": (io.BytesIO(baking.bake_png(png, None, text)), "badge.png")},
        "SVG": {"image": (io.BytesIO(baking.bake_svg3(svg, text)), "badge.svg")},
    }
    for form, data in submissions.items():
        page = submit(client, "/verify", data).get_data(as_text=True)
        verdict = re.search(r'<section class="verdict.*?</section>', page, re.S).group(0)
        assert "Not issued here" in verdict and attacker_did in verdict, form
        assert "Valid" not in verdict and "MCF Master Mentor" not in verdict, form
    (tmp_path / "forged.json").write_text(text)
    result = app.test_cli_runner().invoke(args=["badges", "verify", str(tmp_path / "forged.json")])
    assert result.exit_code == 1 and result.output.startswith("Not issued here") and attacker_did in result.output


def test_our_issuer_id_with_someone_elses_signature_is_not_issued_here(app, earner, client):
    public_id = held(app)["DSP"]
    genuine = client.get(f"/badges/credentials/{public_id}.json").get_json()
    forged, attacker_did = forge(genuine)
    forged["issuer"]["id"] = genuine["issuer"]["id"]  # claims to be us, signed by someone else
    attacker = dataintegrity.new_private_key()
    forged = dataintegrity.sign(forged, attacker, dataintegrity.did_key(attacker.public_key()) + "#k")
    with app.test_request_context():
        result = badges.verify(json.dumps(forged))
    assert result.status == "not_issued_here" and result.issuer_name == ""
    assert "not by a key of MCF Mentoring Micro-credential" in result.summary()


def test_the_issuer_is_named_from_our_profile_not_from_the_credential(app, earner, client):
    public_id = held(app)["DSP"]
    app.config["ISSUER_NAME"] = "Mauritius Institute of Education"  # the profile now, not what was signed
    with app.test_request_context():
        result = badges.verify(client.get(f"/badges/credentials/{public_id}.json").data)
    assert result.status == "valid" and result.issuer_name == "Mauritius Institute of Education"


def test_after_a_key_rotation_old_copies_still_verify_and_new_ones_use_the_new_key(app, earner, client):
    public_id = held(app)["DSP"]
    before = client.get(f"/badges/credentials/{public_id}.json").get_json()
    png_before = client.get(f"/badges/assertions/{public_id}/baked.png").data
    rotated = app.test_cli_runner().invoke(args=["badges", "rotate-key", "--yes"])
    assert rotated.exit_code == 0, rotated.output
    after = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert after["issuer"]["id"] != before["issuer"]["id"]
    with app.test_request_context():
        assert badges.verify(json.dumps(before)).status == "valid"  # signed by a key in the history
        assert badges.verify(png_before).status == "valid"
        assert badges.verify(json.dumps(after)).status == "valid"
    status_list = client.get(after["credentialStatus"]["statusListCredential"]).get_json()
    assert status_list["issuer"] == after["issuer"]["id"]


def test_nothing_is_signed_on_a_get(app, earner, client):
    public_id = held(app)["DSP"]
    first = client.get(f"/badges/credentials/{public_id}.json")
    status_first = client.get("/badges/status/0").data
    second = client.get(f"/badges/credentials/{public_id}.json")
    assert first.data == second.data and client.get("/badges/status/0").data == status_first
    assert client.get(f"/badges/credentials/{public_id}.json",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    png = client.get(f"/badges/assertions/{public_id}/baked.png")
    assert png.data == client.get(f"/badges/assertions/{public_id}/baked.png").data
    assert png.headers["Access-Control-Allow-Origin"] == "*" and png.headers["ETag"]
    with app.app_context():
        version = db.session.execute(db.select(BadgeAssertion.credential_version)
                                     .where(BadgeAssertion.public_id == public_id)).scalar_one()
    fixed = client.get(f"/badges/assertions/{public_id}/v{version}/baked.png")
    assert fixed.data == png.data and "immutable" in fixed.headers["Cache-Control"]
    assert client.get(f"/badges/assertions/{public_id}/v{version + 7}/baked.png").status_code == 302


def test_the_credential_is_signed_again_only_when_the_shared_evidence_changes(app, earner, client):
    public_id = held(app)["DSP"]
    first = client.get(f"/badges/credentials/{public_id}.json").get_json()
    page = earner.get("/my/badges").get_data(as_text=True)
    version_id = re.findall(rf'id="ev-{public_id}-(\d+)"', page)[0]
    submit(earner, "/my/badges", {"version": [version_id]}, action=f"/my/badges/{public_id}/evidence")
    second = client.get(f"/badges/credentials/{public_id}.json").get_json()
    assert second["proof"] != first["proof"] and len(second["evidence"]) == 1
    submit(earner, "/my/badges", {"version": [version_id]}, action=f"/my/badges/{public_id}/evidence")
    assert client.get(f"/badges/credentials/{public_id}.json").get_json() == second  # same choice: not re-signed
    svg3 = client.get(f"/badges/credentials/{public_id}.svg").data
    assert baking.unbake(svg3).ob3 and json.loads(baking.unbake(svg3).ob3) == second


def test_the_status_list_keeps_its_valid_from_and_is_signed_again_only_on_a_change(app, earner, admin_client,
                                                                                    client):
    ids = held(app)
    credential = client.get(f"/badges/credentials/{ids['DSP']}.json").get_json()
    listing = client.get("/badges/status/0").get_json()
    assert listing["validFrom"] <= credential["validFrom"]
    assert client.get("/badges/status/0").get_json() == listing
    submit(admin_client, "/admin/badges", {"reason": "Evidence was plagiarised"},
           action=f"/admin/badges/{ids['PD']}/revoke")
    changed = client.get("/badges/status/0").get_json()
    assert changed["validFrom"] == listing["validFrom"] and changed["proof"] != listing["proof"]
    with app.test_request_context():
        assert badges.verify(json.dumps(credential)).status == "valid"  # the other badge is untouched


def test_issuing_needs_the_public_address(app, learner):
    app.config["PUBLIC_BASE_URL"] = None
    for slug in PD_UNITS:
        accept(app, "teacher@example.org", slug)
    public_id = held(app)["DSP"]  # the achievement is recorded ...
    assert app.test_client().get(f"/badges/credentials/{public_id}.json").status_code == 404  # ... unsigned
    refused = app.test_cli_runner().invoke(args=["badges", "sign"])
    assert refused.exit_code == 1 and "PUBLIC_BASE_URL" in refused.output
    app.config["PUBLIC_BASE_URL"] = "https://mentoring.example.org"
    signed = app.test_cli_runner().invoke(args=["badges", "sign"])
    assert signed.exit_code == 0 and "Signed 2" in signed.output
    credential = app.test_client().get(f"/badges/credentials/{public_id}.json").get_json()
    assert credential["credentialStatus"]["statusListCredential"] == "https://mentoring.example.org/badges/status/0"


def test_the_achievement_points_to_its_criteria_page_and_states_what_each_result_requires(app, earner, client):
    public_id = held(app)["DSP"]
    achievement = client.get(f"/badges/credentials/{public_id}.json").get_json()["credentialSubject"]["achievement"]
    criteria_page = client.get(achievement["criteria"]["id"].replace("http://localhost", ""))
    assert criteria_page.status_code == 200 and criteria_page.mimetype == "text/html"
    assert "at least Proficient" in criteria_page.get_data(as_text=True)
    indicator = next(a for a in achievement["alignment"] if a["targetCode"] == "DSP.1")
    with app.app_context():
        assert indicator["targetName"] == catalogue().framework.indicator("DSP.1").statement
    for description in achievement["resultDescription"]:
        assert description["requiredLevel"].endswith("-proficient")
        assert description["requiredLevel"] in {level["id"] for level in description["rubricCriterionLevel"]}
    competency = next(a for a in achievement["alignment"] if a["targetCode"] == "DSP")
    with app.app_context():
        parts = catalogue().framework.competency("DSP").description
    assert len(parts) > 1
    for part in parts:  # each statement ends as a sentence, however it was written in the framework
        assert part.strip().rstrip(".") + "." in competency["targetDescription"]


def test_sharing_linkedin_open_graph_and_copy_buttons(app, earner):
    from datetime import datetime, timezone

    public_id = held(app)["DSP"]
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    app.config["ISSUER_LINKEDIN_ID"] = "1234567"
    with app.app_context():
        found = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.public_id == public_id)).scalar_one()
        found.expires_at = datetime(2029, 3, 31, tzinfo=timezone.utc)
        db.session.commit()
    mine = earner.get("/my/badges").get_data(as_text=True)
    link = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', mine).group(1).replace("&amp;", "&")
    assert "organizationId=1234567" in link and "organizationName" not in link
    assert "expirationYear=2029" in link and "expirationMonth=3" in link
    assert 'class="button secondary small copy-button"' in mine and "/static/copy.js" in mine
    assert "<script>" not in mine  # the CSP forbids inline scripts
    page = app.test_client().get(f"/b/{public_id}").get_data(as_text=True)
    for tag in ('property="og:title"', 'property="og:description"', 'property="og:image"', 'name="twitter:card"',
                'name="twitter:image"'):
        assert tag in page
    assert 'content="http://localhost/badges/classes/DSP/image.png"' in page
