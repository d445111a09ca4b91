"""The SMS link in a real browser at phone size: open it, pick a window, see the confirmation."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db, limiter
from app.notify.models import OutboundMessage
from tests.conftest import screenshot
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


@pytest.mark.browser
def test_consumer_books_from_the_sms_link(app, client, live_server, phone, clock):
    clock.set(NOW)
    limiter.reset()
    metro = Metro(app)
    job = metro.job(client, items=[{"sku": "OAK-80", "name": "橡木室内门", "quantity": 1}])
    with app.app_context():
        invitation = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.job_id == job["id"])
        ).one()
    link = re.search(r"https?://\S+/b/[\w.-]+", invitation.body).group(0)
    page = phone.new_page()
    page.goto(live_server + link[link.index("/b/") :])
    assert page.locator("legend").first.inner_text() == "12月2日 周三"
    screenshot(page, "consumer-booking-page")
    page.locator("label.slot", has_text="13:00–15:00").nth(1).click()  # Thursday afternoon
    page.get_by_role("button", name="确认预约").click()
    page.wait_for_url(re.compile(r"done=booked"))
    assert "预约成功" in page.locator("[role=status]").inner_text()
    assert "12月3日 周四 13:00–15:00" in page.locator(".booked").inner_text()
    screenshot(page, "consumer-booked")
    status = client.get(
        f"/api/v1/jobs/{job['id']}", headers={"Authorization": f"Bearer {metro.brand_key}"}
    ).json
    assert status["status"] == "scheduled"
