"""The consumer's booking and feedback pages: signed links, forms without JavaScript, policy."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth.links import make_token
from app.auth.service import Actor
from app.db import transaction
from app.extensions import db, limiter
from app.jobs import service as jobs
from app.jobs.models import Feedback, Job
from app.notify.models import OutboundMessage
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # Tue 12:00 Shanghai


@pytest.fixture(autouse=True)
def _fresh_limits(clock):
    clock.set(NOW)
    limiter.reset()


@pytest.fixture
def setup(app, client):
    metro = Metro(app)
    job = metro.job(client)
    with app.app_context():
        token = make_token(job["id"], "book")
    return metro, job, token


def starts(html):
    return re.findall(r'name="window_start" value="([^"]+)"', html)


def job_row(app, job_id):
    with app.app_context():
        return db.session.get(Job, job_id)


def test_page_shows_the_job_and_windows_grouped_by_day(app, client, setup):
    metro, _, token = setup
    page = client.get(f"/b/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "橡木" not in html  # nothing from other fixtures
    assert "Oak door" in html and "上海市南京西路1266号" in html
    assert metro.dealer.name in html
    assert "<script" not in html  # works without JavaScript
    assert "12月2日 周三" in html and "12月15日" in html
    assert len(starts(html)) == 14 * 5
    assert starts(html)[0] == "2026-12-02T08:00:00+08:00"
    assert page.headers["Cache-Control"] == "no-store"


def test_book_then_reschedule_then_cancel(app, client, setup):
    _, job, token = setup
    html = client.get(f"/b/{token}").get_data(as_text=True)
    chosen = starts(html)[7]
    done = client.post(f"/b/{token}/book", data={"window_start": chosen})
    assert done.status_code == 303 and done.headers["Location"].endswith("done=booked")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "预约成功" in page and "12月3日 周四 13:00–15:00" in page
    row = job_row(app, job["id"])
    assert row.status == "scheduled"
    with app.app_context():
        actor = (
            db.session.execute(select(Job).where(Job.id == job["id"]))
            .scalar_one()
            .events[-1]
            .actor_role
        )
        confirmation = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "confirmed")
        ).one()
    assert actor == "consumer"
    assert confirmation.urgent is True  # an answer to the consumer's own action

    later = starts(page)[-1]
    moved = client.post(f"/b/{token}/book", data={"window_start": later})
    assert moved.headers["Location"].endswith("done=rescheduled")
    cancelled = client.post(f"/b/{token}/cancel")
    assert cancelled.headers["Location"].endswith("done=cancelled")
    assert job_row(app, job["id"]).status == "assigned"


def test_english_pages(app, client):
    metro = Metro(app)
    job = metro.job(client, consumer={"name": "Ann", "phone": "+8613812345678", "locale": "en"})
    with app.app_context():
        token = make_token(job["id"], "book")
    html = client.get(f"/b/{token}").get_data(as_text=True)
    assert 'lang="en"' in html and "Choose a time" in html and "Wed 2 Dec" in html


def test_a_taken_window_shows_fresh_times(app, client):
    metro = Metro(app, installers=1, max_jobs=1)
    first, second = (
        metro.job(client),
        metro.job(client, consumer={"name": "李", "phone": "+8613900000000"}),
    )
    with app.app_context():
        token = make_token(second["id"], "book")
    html = client.get(f"/b/{token}").get_data(as_text=True)
    contested = starts(html)[0]
    brand = {"Authorization": f"Bearer {metro.brand_key}"}
    assert (
        client.post(
            f"/api/v1/jobs/{first['id']}/booking", json={"window_start": contested}, headers=brand
        ).status_code
        == 201
    )
    clash = client.post(f"/b/{token}/book", data={"window_start": contested})
    assert clash.status_code == 409
    text = clash.get_data(as_text=True)
    assert "刚刚被约满" in text
    assert contested not in starts(text)
    assert job_row(app, second["id"]).status == "assigned"
    assert client.post(f"/b/{token}/book", data={"window_start": "not a time"}).status_code == 409


def test_inside_the_cutoff_no_change_is_offered_or_accepted(app, client, setup, clock):
    _, job, token = setup
    chosen = starts(client.get(f"/b/{token}").get_data(as_text=True))[7]
    client.post(f"/b/{token}/book", data={"window_start": chosen})
    clock.set(datetime.fromisoformat(chosen) - timedelta(hours=20))
    html = client.get(f"/b/{token}").get_data(as_text=True)
    assert "无法在线改期或取消" in html
    assert "/cancel" not in html and not starts(html)
    refused = client.post(f"/b/{token}/cancel")
    assert refused.status_code == 409
    assert job_row(app, job["id"]).status == "scheduled"


def test_expired_links_explain_how_to_get_a_new_one(app, client, setup, monkeypatch):
    _, _, token = setup
    from app.auth import links

    monkeypatch.setitem(links.MAX_AGE, "book", -1)
    expired = client.get(f"/b/{token}")
    assert expired.status_code == 410
    html = expired.get_data(as_text=True)
    assert "链接已过期" in html and "LINK" in html


def test_an_expired_feedback_link_says_how_to_get_a_new_rating_link(app, client, monkeypatch):
    from app.auth import links

    metro = Metro(app)
    job = metro.job(client, consumer={"name": "Jane", "phone": "+14155550100", "locale": "en"})
    with app.app_context():
        token = make_token(job["id"], "feedback")
    monkeypatch.setitem(links.MAX_AGE, "feedback", -1)
    expired = client.get(f"/f/{token}")
    assert expired.status_code == 410
    html = expired.get_data(as_text=True)
    assert "This rating link has expired" in html and "new rating link" in html
    assert "Booking links" not in html


def test_tampered_and_wrong_purpose_links_are_404(app, client, setup):
    _, job, token = setup
    assert client.get(f"/b/{token[:-2]}xx").status_code == 404
    assert client.get("/b/garbage").status_code == 404
    with app.app_context():
        feedback_token = make_token(job["id"], "feedback")
    assert client.get(f"/b/{feedback_token}").status_code == 404
    assert client.post(f"/b/{token[:-1]}/book", data={}).status_code == 404


def test_one_link_cannot_hold_all_windows(app, client, setup):
    _, _, token = setup
    html = client.get(f"/b/{token}").get_data(as_text=True)
    windows = starts(html)
    codes = [
        client.post(f"/b/{token}/book", data={"window_start": windows[5 + n % 40]}).status_code
        for n in range(21)
    ]
    assert codes[:20] == [303] * 20
    assert codes[20] == 429
    assert "操作太频繁" in client.post(
        f"/b/{token}/book", data={"window_start": windows[6]}
    ).get_data(as_text=True)


def complete(app, job_id):
    with app.app_context(), transaction():
        row = db.session.get(Job, job_id)
        for step in ("dispatched", "en_route", "on_site", "in_progress", "completed"):
            jobs.transition(row, step, Actor("installer", "t"))


def booked_feedback_link(app, client, job, token):
    """Book a window from the consumer's link; return the job's feedback token."""
    chosen = starts(client.get(f"/b/{token}").get_data(as_text=True))[5]
    client.post(f"/b/{token}/book", data={"window_start": chosen})
    with app.app_context():
        return make_token(job["id"], "feedback")


def test_feedback_once_after_completion(app, client, setup):
    metro, job, token = setup
    feedback_token = booked_feedback_link(app, client, job, token)
    assert "服务完成后才可以评价" in client.get(f"/f/{feedback_token}").get_data(as_text=True)
    complete(app, job["id"])
    with app.app_context():
        message = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "completed")
        ).one()
    assert "/f/" in message.body
    form = client.get(f"/f/{feedback_token}").get_data(as_text=True)
    assert 'name="rating"' in form
    assert client.post(f"/f/{feedback_token}", data={"rating": "9"}).status_code == 422
    thanks = client.post(f"/f/{feedback_token}", data={"rating": "5", "comment": "准时，专业"})
    assert thanks.status_code == 200 and "感谢您的评价" in thanks.get_data(as_text=True)
    again = client.post(f"/f/{feedback_token}", data={"rating": "1"})
    assert again.status_code == 409
    with app.app_context():
        [stored] = db.session.scalars(select(Feedback)).all()
    assert (stored.rating, stored.comment, stored.dealer_id) == (5, "准时，专业", metro.dealer.id)
    candidates = client.get(
        f"/api/v1/jobs/{job['id']}/candidates",
        headers={"Authorization": f"Bearer {metro.brand_key}"},
    ).json
    assert candidates["candidates"][0]["average_rating"] == round((5 + 4.0 * 5) / 6, 2)


def test_odd_form_input_is_refused_not_a_crash(app, client, setup):
    _, job, token = setup
    feedback_token = booked_feedback_link(app, client, job, token)
    complete(app, job["id"])
    assert client.post(f"/f/{feedback_token}", data={"rating": "²"}).status_code == 422
    assert (
        client.post(f"/f/{feedback_token}", data={"rating": "5", "comment": "a\x00b"}).status_code
        == 422
    )
    with app.app_context():
        assert db.session.scalars(select(Feedback)).all() == []
    assert client.post(f"/f/{feedback_token}", data={"rating": "4"}).status_code == 200
