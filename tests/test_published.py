"""Published responses: hosted badges, images, the status list and public pages are replayed to anonymous
visitors without the database, and never once what they show has changed."""

from __future__ import annotations

import time

from lms.extensions import db
from lms.published import PublishedStore

from .conftest import make_app, submit
from .test_badges import earner, held  # noqa: F401 - the fixture that earns DSP and PD
from .test_statement_counts import StatementCounter


def anonymous_get(app, path, **kwargs):
    """A GET from someone with no cookies, and how many statements it sent to the database."""
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = app.test_client().get(path, **kwargs)
    return response, counter.count


def public_addresses(public_id):
    return [f"/badges/assertions/{public_id}", f"/badges/assertions/{public_id}/baked.png",
            f"/badges/assertions/{public_id}/baked.svg", f"/badges/credentials/{public_id}.json",
            f"/badges/credentials/{public_id}.png", f"/badges/credentials/{public_id}.svg",
            f"/b/{public_id}", "/badges/status/0"]


def test_anonymous_requests_are_replayed_byte_for_byte_without_the_database(app, earner):
    public_id = held(app)["DSP"]
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    for path in public_addresses(public_id):
        first, first_statements = anonymous_get(app, path)
        again, again_statements = anonymous_get(app, path)
        assert first.status_code == again.status_code == 200, path
        assert first_statements > 0 and again_statements == 0, path
        assert again.data == first.data, path
        assert again.headers.get("Content-Type") == first.headers.get("Content-Type"), path
        # The security headers the app sets are replayed too; the internal mark never leaves.
        assert again.headers.get("X-Content-Type-Options") == "nosniff", path
        assert "X-Lms-Publish" not in again.headers and "X-Lms-Publish" not in first.headers, path


def test_a_stored_etag_answers_not_modified(app, earner):
    public_id = held(app)["DSP"]
    first, _ = anonymous_get(app, f"/badges/credentials/{public_id}.json")
    anonymous_get(app, f"/badges/credentials/{public_id}.json")
    again, statements = anonymous_get(app, f"/badges/credentials/{public_id}.json",
                                      headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and statements == 0 and again.data == b""


def test_revocation_ends_every_replay_at_once(app, earner, admin_client):
    public_id = held(app)["DSP"]
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    status_before = {}
    for path in public_addresses(public_id):
        anonymous_get(app, path)
        status_before[path] = anonymous_get(app, path)[0].data
    submit(admin_client, "/admin/badges", {"reason": "Evidence was plagiarised"},
           action=f"/admin/badges/{public_id}/revoke")
    hosted, statements = anonymous_get(app, f"/badges/assertions/{public_id}")
    assert hosted.status_code == 410 and statements > 0
    assert "Revoked on" in anonymous_get(app, f"/b/{public_id}")[0].get_data(as_text=True)
    assert anonymous_get(app, "/badges/status/0")[0].data != status_before["/badges/status/0"]


def test_hiding_the_public_page_takes_it_down_for_everyone(app, earner):
    public_id = held(app)["DSP"]
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    anonymous_get(app, f"/b/{public_id}")
    assert anonymous_get(app, f"/b/{public_id}")[1] == 0  # replayed
    submit(earner, "/my/badges", {}, action=f"/my/badges/{public_id}/visibility")
    assert anonymous_get(app, f"/b/{public_id}")[0].status_code == 404


def test_the_earner_signed_in_gets_their_own_page_not_the_stored_one(app, earner):
    public_id = held(app)["DSP"]
    submit(earner, "/my/badges", {"public": "1"}, action=f"/my/badges/{public_id}/visibility")
    anonymous_get(app, f"/b/{public_id}")
    anonymous_page = anonymous_get(app, f"/b/{public_id}")[0].get_data(as_text=True)
    own = earner.get(f"/b/{public_id}")
    assert own.headers["Cache-Control"] == "no-store"
    assert "X-Lms-Publish" not in earner.get(f"/badges/assertions/{public_id}").headers  # never leaves the app
    assert "Sign out" in own.get_data(as_text=True) and "Sign out" not in anonymous_page


def test_downloads_and_unknown_badges_are_never_stored(app, earner):
    public_id = held(app)["DSP"]
    for _ in range(2):
        download, statements = anonymous_get(app, f"/badges/credentials/{public_id}.json?download=1")
        assert download.headers["Content-Disposition"].startswith("attachment") and statements > 0
        missing, statements = anonymous_get(app, "/badges/assertions/no-such-badge")
        assert missing.status_code == 404 and statements > 0


def test_the_generation_moves_on_only_after_a_committed_write_to_a_watched_table(app, earner):
    store: PublishedStore = app.extensions["lms.published"]
    with app.app_context():
        before = store.generation()
        db.session.execute(db.text("UPDATE users SET name = 'Renamed' WHERE email = 'teacher@example.org'"))
        assert store.generation() == before  # not committed yet: nobody can see the change
        db.session.rollback()
        db.session.remove()
        assert store.generation() == before  # rolled back: nothing changed
        db.session.execute(db.text("UPDATE unit_progress SET unit_slug = unit_slug"))
        db.session.commit()
        db.session.remove()
        assert store.generation() == before  # not a table any published response is built from
        db.session.execute(db.text("UPDATE users SET name = 'Renamed' WHERE email = 'teacher@example.org'"))
        db.session.commit()
        db.session.remove()
        assert store.generation() != before


def test_a_response_built_before_a_change_is_never_replayed_after_it(app, earner):
    """The race the generation closes: a response read from the database before a revocation committed, and
    stored after it, carries the older generation."""
    store: PublishedStore = app.extensions["lms.published"]
    read_before = store.generation()
    store.advance()  # the revocation's commit
    store.put("localhost/b/x", read_before, None, "200 OK", [("Content-Type", "text/plain")], b"stale")
    assert store.get("localhost/b/x", store.generation()) is None
    store.put("localhost/b/x", store.generation(), time.time() - 1, "200 OK", [], b"expired")
    assert store.get("localhost/b/x", store.generation()) is None  # past its own expiry
    store.put("localhost/b/x", store.generation(), None, "200 OK", [], b"fresh")
    assert store.get("localhost/b/x", store.generation())[2] == b"fresh"


def test_it_is_off_when_asked_and_for_several_servers_sharing_an_object_store(database_url, tmp_path):
    assert "lms.published" not in make_app(database_url, tmp_path / "a", PUBLISHED_RESPONSES=False).extensions
    several = make_app(database_url, tmp_path / "b", STORAGE_BACKEND="s3", S3_BUCKET="b")
    assert "lms.published" not in several.extensions


def test_what_earlier_generations_stored_is_pruned(app, earner):
    public_id = held(app)["DSP"]
    store: PublishedStore = app.extensions["lms.published"]
    anonymous_get(app, f"/badges/credentials/{public_id}.json")
    anonymous_get(app, f"/badges/assertions/{public_id}/baked.png")
    stored_before = list(store.responses.rglob("*"))
    assert len([p for p in stored_before if p.is_file()]) == 2
    store.advance()
    assert store.prune() == 1 and not any(store.responses.iterdir())
    again, statements = anonymous_get(app, f"/badges/credentials/{public_id}.json")
    assert again.status_code == 200 and statements > 0  # built again, and stored in the new generation
    assert anonymous_get(app, f"/badges/credentials/{public_id}.json")[1] == 0
