"""Photo and signature uploads: content checks, size, path tricks, storage by hash, access."""

import hashlib
import os
import uuid
from io import BytesIO
from pathlib import Path

import pytest

from tests import factories
from tests.factories import field_day, image
from tests.field.test_api import AT_DOOR, event, post


@pytest.fixture
def working(app, client, clock, as_key):
    """A job in progress on the installer's phone."""
    metro, jobs = field_day(app, client, clock, jobs=2)
    phone = factories.device_token(app, metro.installers[0])
    for step in ("en_route", "arrived", "start_work"):
        assert post(as_key, phone, jobs[0]["id"], event(step, position=AT_DOOR)).status_code == 201
    return metro, jobs, phone


def send(as_key, token, job_id, data, *, name="photo.jpg", mimetype="image/jpeg", **query):
    query = {"kind": "photo", **query}
    return as_key(token).post(
        f"/api/field/jobs/{job_id}/attachments",
        query_string=query,
        data={"file": (BytesIO(data), name, mimetype)},
        content_type="multipart/form-data",
    )


def stored_files(app):
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("fmt", "mimetype", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_images_are_stored_by_content_hash(working, app, as_key, fmt, mimetype, extension):
    _, jobs, phone = working
    data = image(fmt, size=(40, 30), color=(1, 2, len(fmt)))
    digest = hashlib.sha256(data).hexdigest()
    response = send(as_key, phone, jobs[0]["id"], data, name="IMG_0001.HEIC", mimetype=mimetype)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["content_type"], body["width"], body["height"]) == (mimetype, 40, 30)
    assert (body["sha256"], body["size"]) == (digest, len(data))
    assert f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}" in stored_files(app)
    assert "IMG_0001" not in str(stored_files(app))


def test_retries_do_not_store_twice(working, app, as_key):
    _, jobs, phone = working
    data = image("PNG", color="navy")
    upload_id = str(uuid.uuid4())
    first = send(
        as_key, phone, jobs[0]["id"], data, mimetype="image/png", client_upload_id=upload_id
    )
    retry = send(
        as_key, phone, jobs[0]["id"], data, mimetype="image/png", client_upload_id=upload_id
    )
    same_bytes = send(as_key, phone, jobs[0]["id"], data, mimetype="image/png")
    assert (first.status_code, retry.status_code, same_bytes.status_code) == (201, 200, 200)
    assert first.json["id"] == retry.json["id"] == same_bytes.json["id"]
    listed = as_key(phone).get(f"/api/field/jobs/{jobs[0]['id']}").json["attachments"]
    assert [a["id"] for a in listed] == [first.json["id"]]
    reused = send(
        as_key, phone, jobs[0]["id"], image("PNG", color="red"), mimetype="image/png",
        client_upload_id=upload_id, kind="signature",
    )  # fmt: skip
    assert (reused.status_code, reused.json["error"]["code"]) == (422, "client_upload_id_reused")


@pytest.mark.parametrize(
    ("data", "name", "mimetype"),
    [
        (b"hello, world\n", "notes.txt", "text/plain"),
        (image("GIF"), "anim.gif", "image/gif"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "x.svg", "image/svg+xml"),
        (b"%PDF-1.7\n", "scan.pdf", "application/pdf"),
    ],
)
def test_other_types_are_415(working, app, as_key, data, name, mimetype):
    _, jobs, phone = working
    response = send(as_key, phone, jobs[0]["id"], data, name=name, mimetype=mimetype)
    assert (response.status_code, response.json["error"]["code"]) == (415, "unsupported_media_type")
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("data", "mimetype", "status", "code"),
    [
        # An HTML page dressed as a JPEG: the content decides.
        (b"<html><script>alert(1)</script></html>", "image/jpeg", 415, "unsupported_media_type"),
        (b"GIF89a" + image("GIF")[6:], "application/octet-stream", 415, "unsupported_media_type"),
        # A PNG that says it is a JPEG.
        (image("PNG"), "image/jpeg", 422, "content_type_mismatch"),
        # JPEG magic bytes, then nothing an image decoder accepts.
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image/jpeg", 422, "invalid_image"),
        # A real JPEG cut in half.
        (image("JPEG", size=(64, 64))[:300], "image/jpeg", 422, "invalid_image"),
    ],
)
def test_content_type_lies_are_refused(working, app, as_key, data, mimetype, status, code):
    _, jobs, phone = working
    response = send(as_key, phone, jobs[0]["id"], data, mimetype=mimetype)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)
    assert stored_files(app) == []


def test_an_octet_stream_is_judged_by_its_content(working, as_key):
    _, jobs, phone = working
    response = send(
        as_key,
        phone,
        jobs[0]["id"],
        image("JPEG"),
        name="blob",
        mimetype="application/octet-stream",
    )
    assert (response.status_code, response.json["content_type"]) == (201, "image/jpeg")


def test_oversize_uploads_are_413(working, app, as_key, monkeypatch):
    _, jobs, phone = working
    data = image("PNG", size=(300, 300))
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", len(data) - 1)
    response = send(as_key, phone, jobs[0]["id"], data, mimetype="image/png")
    assert (response.status_code, response.json["error"]["code"]) == (413, "payload_too_large")
    assert response.json["error"]["max_bytes"] == len(data) - 1
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    whole = send(as_key, phone, jobs[0]["id"], b"\xff\xd8\xff" + b"0" * 4096)
    assert (whole.status_code, whole.json["error"]["code"]) == (413, "payload_too_large")
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "photo.jpg\x00.png",
        "....//....//x.jpg",
        "%2e%2e%2fsecret.jpg",
    ],
)
def test_file_names_never_become_paths(working, app, as_key, tmp_path, name):
    _, jobs, phone = working
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    outside_before = set(os.listdir(root.parent))
    data = image("JPEG", color=(len(name), 9, 9))
    response = send(as_key, phone, jobs[0]["id"], data, name=name)
    assert response.status_code == 201, response.json
    digest = hashlib.sha256(data).hexdigest()
    assert stored_files(app) == [f"{digest[:2]}/{digest[2:4]}/{digest}.jpg"]
    assert set(os.listdir(root.parent)) == outside_before
    assert "passwd" not in str(response.json) and name not in str(response.json)


def test_a_bad_kind_or_missing_file_is_422(working, as_key):
    _, jobs, phone = working
    assert send(as_key, phone, jobs[0]["id"], image(), kind="selfie").status_code == 422
    no_file = as_key(phone).post(
        f"/api/field/jobs/{jobs[0]['id']}/attachments?kind=photo",
        data={"other": "x"},
        content_type="multipart/form-data",
    )
    assert (no_file.status_code, list(no_file.json["error"]["fields"])) == (422, ["file"])
    as_json = as_key(phone).post(f"/api/field/jobs/{jobs[0]['id']}/attachments?kind=photo", json={})
    assert as_json.status_code == 415


def test_uploads_only_while_the_visit_is_under_way(working, as_key):
    _, jobs, phone = working
    not_yet = send(as_key, phone, jobs[1]["id"], image("JPEG"))
    assert (not_yet.status_code, not_yet.json["error"]["code"]) == (409, "not_accepting_uploads")
    assert not_yet.json["error"]["current_status"] == "dispatched"


def test_attachments_are_served_only_to_who_may_see_the_job(working, app, client, as_key, admin):
    metro, jobs, phone = working
    data = image("JPEG", color="teal")
    attachment = send(as_key, phone, jobs[0]["id"], data).json
    url = f"/api/v1/attachments/{attachment['id']}/content"
    for key in (metro.brand_key, metro.dealer_key, admin.key):
        with as_key(key).get(url) as response:
            assert response.status_code == 200
            assert response.data == data
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    with as_key(phone).get(f"/api/field/attachments/{attachment['id']}/content") as mine:
        assert (mine.status_code, mine.data) == (200, data)
    listed = as_key(metro.brand_key).get(f"/api/v1/jobs/{jobs[0]['id']}/attachments")
    assert [a["id"] for a in listed.json] == [attachment["id"]]

    other = factories.Metro(app)
    stranger = factories.device_token(app, factories.installer(app, metro.dealer))
    for key in (other.brand_key, other.dealer_key):
        assert as_key(key).get(url).status_code == 404
        assert as_key(key).get(f"/api/v1/jobs/{jobs[0]['id']}/attachments").status_code == 404
    assert (
        as_key(stranger).get(f"/api/field/attachments/{attachment['id']}/content").status_code
        == 404
    )
    assert as_key(phone).get(url).status_code == 403
    assert as_key(None).get(url).status_code == 401
    assert as_key(admin.key).get("/api/v1/attachments/999999/content").status_code == 404


def test_upload_refused_once_by_a_serialization_failure_is_stored_whole_on_retry(
    working, app, as_key
):
    from tests import faults

    _, jobs, phone = working
    data = image("PNG", size=(20, 10), color="teal")
    with faults.refuse(app, "40001", into="attachments", times=1) as injected:
        response = send(as_key, phone, jobs[0]["id"], data, name="door.png", mimetype="image/png")
    assert injected.count == 1
    # The second attempt read the upload from its start again.
    assert response.status_code == 201, response.json
    assert (response.json["sha256"], response.json["size"]) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert len(stored_files(app)) == 1
