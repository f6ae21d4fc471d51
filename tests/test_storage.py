"""Evidence files in either storage backend: the local folder, or an S3-compatible object store.

The S3 runs go to a real S3 API server started here (moto's server mode on a free port), through
boto3 over HTTP, exactly as the app would talk to MinIO or AWS.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import boto3
import pytest

from lms.evidence.models import EvidenceFile
from lms.extensions import db

from .conftest import login, make_app
from .evidence_helpers import PDF, save_evidence


@pytest.fixture(scope="session")
def s3_server():
    """An S3 API server for the run."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_KEYS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(params=["local", "s3"])
def storage_app(request, database_url, tmp_path):
    """The app with one backend or the other, on a fresh schema."""
    overrides = {"STORAGE_BACKEND": request.param}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_server")
        bucket = f"evidence-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)
        overrides.update(S3_BUCKET=bucket, S3_ENDPOINT_URL=endpoint, **S3_KEYS)
    app = make_app(database_url, tmp_path / "instance", **overrides)
    with app.app_context():
        db.create_all()
        from lms.auth import services
        services.create_user("teacher@example.org", "Test Teacher", "correct horse battery")
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def stored_objects(app) -> list[str]:
    """What the backend holds: file names in the folder, or object keys in the bucket."""
    config = app.config
    if config["STORAGE_BACKEND"] == "s3":
        client = boto3.client("s3", endpoint_url=config["S3_ENDPOINT_URL"], region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        return [o["Key"] for o in client.list_objects_v2(Bucket=config["S3_BUCKET"]).get("Contents", [])]
    root = Path(app.instance_path, "uploads")
    return [p.name for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts]


def test_a_file_round_trips_through_the_backend_and_goes_when_removed(storage_app):
    client = storage_app.test_client()
    assert login(client).status_code == 302
    response = save_evidence(client, "questioning", files=[("lesson plan.pdf", PDF)])
    assert response.status_code == 302
    with storage_app.app_context():
        evidence_file = db.session.execute(db.select(EvidenceFile)).scalar_one()
        file_id, key = evidence_file.id, evidence_file.storage_key
    assert any(name.endswith(key) for name in stored_objects(storage_app))
    download = client.get(f"/evidence/files/{file_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    # Nothing half-written is left in the local scratch folder, whatever the backend.
    assert not [p for p in Path(storage_app.instance_path, "uploads", ".incoming").glob("*")]

    page = client.get("/units/questioning/evidence").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/evidence/files/{file_id}/remove", data={"csrf_token": token}).status_code == 302
    assert not any(name.endswith(key) for name in stored_objects(storage_app))
    assert client.get(f"/evidence/files/{file_id}").status_code == 404


def test_a_refused_upload_leaves_nothing_in_the_backend(storage_app):
    client = storage_app.test_client()
    assert login(client).status_code == 302
    response = save_evidence(client, "questioning", files=[("notes.pdf", b"MZ\x90\x00 not a pdf at all" * 20)])
    assert "is not a file type we accept" in response.get_data(as_text=True)
    assert stored_objects(storage_app) == []


def test_the_s3_backend_reads_what_it_stored_in_chunks(s3_server, tmp_path):
    from lms.storage import S3BlobStore

    bucket = f"blobs-{uuid.uuid4().hex[:10]}"
    store = S3BlobStore(bucket, endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    store.client.create_bucket(Bucket=bucket)
    source = tmp_path / "big"
    payload = bytes(range(256)) * 40_000  # 10 MB
    source.write_bytes(payload)
    store.put("abc123", source)
    assert not source.exists() and store.exists("abc123")
    with store.open("abc123") as stream:
        assert b"".join(iter(lambda: stream.read(1 << 20), b"")) == payload
    store.delete("abc123")
    assert not store.exists("abc123")
    with pytest.raises(FileNotFoundError):
        store.open("abc123")
    with pytest.raises(ValueError):
        store.exists("../../etc/passwd")
