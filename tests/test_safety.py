"""Safer by default: no caching of signed-in pages, our own 413 page, trusted host names, literal search."""

from __future__ import annotations

import io

from .conftest import login, make_app
from .test_badges import earner, held  # noqa: F401  (fixture)


def test_signed_in_pages_are_not_stored_but_badge_artwork_keeps_its_cache_lifetime(app, learner, client):
    page = learner.get("/dashboard")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert learner.get("/units/empathy-and-respect/evidence").headers["Cache-Control"] == "no-store"
    artwork = learner.get("/badges/classes/DSP/image.png")
    assert artwork.status_code == 200 and "max-age=86400" in artwork.headers["Cache-Control"]
    assert "no-store" not in (app.test_client().get("/framework").headers.get("Cache-Control") or "")


def test_an_oversized_request_gets_the_apps_own_413_page(database_url, tmp_path, make_user):
    small = make_app(database_url, tmp_path / "small", MAX_CONTENT_LENGTH=64 * 1024)
    client = small.test_client()
    with small.app_context():
        from lms.auth import services
        services.create_user("big@example.org", "Big Upload", "correct horse battery", "learner")
    assert login(client, "big@example.org").status_code == 302
    response = client.post("/units/empathy-and-respect/evidence",
                           data={"reflection": "x", "files": (io.BytesIO(b"%PDF-1.4 " + b"0" * 200_000), "big.pdf")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Upload too large" in page and "Sign out" in page  # the full page, signed in, not a bare error


def test_a_forged_host_header_cannot_change_published_ids(app, earner, database_url, tmp_path):  # noqa: F811
    public_id = held(app)["DSP"]
    # Issuing needs PUBLIC_BASE_URL (the tests set http://localhost): ids never come from the request.
    forged = app.test_client().get(f"/badges/assertions/{public_id}", base_url="http://evil.example")
    assert forged.get_json()["id"] == f"http://localhost/badges/assertions/{public_id}"
    # Without it, only local hosts are answered, so a forged host cannot reach published JSON either.
    local_only = make_app(database_url, tmp_path / "local", PUBLIC_BASE_URL=None)
    assert local_only.test_client().get("/framework/case.json", base_url="http://evil.example").status_code == 400
    # The development server's own address still works, with its port.
    local = local_only.test_client().get("/framework/case.json", base_url="http://127.0.0.1:5000").get_json()
    assert local["CFDocument"]["uri"].startswith("http://127.0.0.1:5000/ims/case/v1p1/")


def test_configured_hosts_and_a_public_base_url(database_url, tmp_path):
    named = make_app(database_url, tmp_path / "named", TRUSTED_HOSTS=["mentoring.example.org"])
    assert named.test_client().get("/framework", base_url="https://mentoring.example.org").status_code == 200
    assert named.test_client().get("/framework").status_code == 400
    # With the public base URL set, published ids never come from the request, so any host may ask.
    based = make_app(database_url, tmp_path / "based", PUBLIC_BASE_URL="https://mentoring.example.org")
    assert based.test_client().get("/framework", base_url="http://10.0.0.5:8000").status_code == 200


def test_admin_search_treats_percent_and_underscore_as_plain_characters(app, admin_client, make_user):
    make_user("a_b@example.org", "Percy 100% Sure")
    make_user("axb@example.org", "Percy Plain")
    underscore = admin_client.get("/admin/users?q=a_b").get_data(as_text=True)
    assert "a_b@example.org" in underscore and "axb@example.org" not in underscore
    percent = admin_client.get("/admin/users?q=100%25").get_data(as_text=True)
    assert "Percy 100% Sure" in percent and "Percy Plain" not in percent
    assert "axb@example.org" not in admin_client.get("/admin/users?q=%25").get_data(as_text=True)
