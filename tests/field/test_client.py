"""The Python field client and fieldctl, against the app served over real HTTP."""

import json
import stat
import uuid
from datetime import UTC, datetime

import pytest

from field_client import (
    AuthenticationError,
    ConflictError,
    FieldClient,
    TransportError,
    ValidationError,
    event_body,
)
from field_client.cli import main
from tests import factories
from tests.factories import field_day, image


@pytest.fixture
def day(app, client, clock):
    return field_day(app, client, clock, jobs=2)


def test_sign_in_read_the_route_and_post_changes(day, app, clock, live_server):
    metro, jobs = day
    installer = metro.installers[0]
    with FieldClient(live_server, clock=clock) as api:
        api.request_code(installer.phone, locale="en")
        session = api.verify_code(installer.phone, factories.texted_code(app, installer.phone))
        assert session.installer.id == installer.id
        assert api.token == session.token and session.token.startswith("fwd_")
        assert api.me().installer.dealer_name == metro.dealer.name

        route = api.route()
        assert [job.id for job in route.jobs] == [job["id"] for job in jobs]
        first = route.jobs[0]
        assert (first.status, first.actions, first.visit.sequence) == (
            "dispatched",
            ("en_route",),
            0,
        )
        assert first.visit.window_start.isoformat() == "2026-12-02T08:00:00+08:00"
        assert first.items[0].name == "Oak door"

        body = event_body("en_route", clock=clock, position=(31.2304, 121.4737), accuracy_m=5)
        applied = api.post_event(first.id, "en_route", body=body)
        replayed = api.post_event(first.id, "en_route", body=body)
        assert (applied.result, replayed.result) == ("applied", "replayed")
        assert applied.event.id == replayed.event.id
        assert replayed.job.status == "en_route"

        with pytest.raises(ConflictError) as refused:
            api.post_event(jobs[1]["id"], "arrived")
        assert refused.value.status == 409 and refused.value.current_status == "dispatched"
        with pytest.raises(ValidationError) as invalid:
            api.post_event(first.id, "fail")  # no reason
        assert "reason" in invalid.value.fields

        results = api.sync(
            [
                {**event_body("arrived", clock=clock), "job_id": first.id},
                {**event_body("start_work", clock=clock), "job_id": first.id},
            ]
        )
        assert [r.result for r in results] == ["applied", "applied"]
        assert results[-1].job.actions == ("complete", "fail")

        data = image("JPEG", color="orange")
        photo = api.upload(first.id, "photo", data, content_type="image/jpeg")
        assert photo.content_type == "image/jpeg"
        assert api.attachment_content(photo.id) == data
        signature = api.upload(first.id, "signature", image("PNG", color="white"))
        done = api.post_event(
            first.id,
            "complete",
            signer_name="王芳",
            checklist=[("Oak door ×1", True)],
            photos=[photo.client_upload_id],
            signature=signature.client_upload_id,
        )
        assert done.job.status == "completed"

        api.logout()
        assert api.token is None
    with FieldClient(live_server, session.token) as revoked, pytest.raises(AuthenticationError):
        revoked.route()


def test_unreachable_server_is_a_transport_error():
    with FieldClient("http://127.0.0.1:9", timeout=2) as api, pytest.raises(TransportError):
        api.route()


def test_event_body_refuses_naive_times_and_unknown_actions():
    with pytest.raises(ValueError, match="time zone"):
        event_body("en_route", client_time=datetime(2026, 12, 2, 8))  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown action"):
        event_body("teleport")
    body = event_body("fail", reason="needs_parts", client_time=datetime(2026, 12, 2, tzinfo=UTC))
    assert uuid.UUID(body["client_event_id"]) and body["client_time"] == "2026-12-02T00:00:00+00:00"


def test_fieldctl_signs_in_lists_and_posts(
    day, app, clock, live_server, tmp_path, monkeypatch, capsys
):
    metro, jobs = day
    installer = metro.installers[0]
    config = tmp_path / "fieldctl.json"
    monkeypatch.setenv("FIELDCTL_CONFIG", str(config))
    monkeypatch.setattr("builtins.input", lambda _: factories.texted_code(app, installer.phone))

    assert main(["--url", live_server, "login", installer.phone]) == 0
    assert "signed in as" in capsys.readouterr().out
    saved = json.loads(config.read_text())
    assert saved["url"] == live_server and saved["token"].startswith("fwd_")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    assert main(["jobs"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "2026-12-02 (Asia/Shanghai): 2 job(s)"
    assert listing[1].split()[:3] == ["1", "08:00–10:00", "dispatched"]
    assert f"#{jobs[0]['id']}" in listing[1] and "[en_route]" in listing[1]

    event_id = str(uuid.uuid4())
    status = ["status", str(jobs[0]["id"]), "en_route", "--event-id", event_id]
    assert main(status, clock=clock) == 0
    assert capsys.readouterr().out.startswith(f"job {jobs[0]['id']}: applied, now en_route")
    assert main(status, clock=clock) == 0
    assert "replayed" in capsys.readouterr().out
    assert main(["status", str(jobs[1]["id"]), "start_work"], clock=clock) == 1
    assert "409 illegal_transition" in capsys.readouterr().err

    assert main(["jobs", "--date", "tomorrow", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["day"] == "2026-12-03"
    assert main(["logout"]) == 0
    assert main(["whoami"]) == 1
    assert "401" in capsys.readouterr().err
