"""The installer app in headless Chromium on a phone-sized screen: sign in, work offline, sync.

Screenshots of the main screens are saved under test-artifacts/field/ (look at them: a passing
test can still show a broken page).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
)
from sqlalchemy import select

from app.extensions import db
from app.field.models import Attachment
from app.field.uploads import blob_path
from app.jobs.models import Job, JobEvent
from app.notify.models import OutboundMessage
from tests import factories
from tests.factories import field_day, image

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "field"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AT_DOOR = {"latitude": 31.2305, "longitude": 121.4738}
FAR_AWAY = {"latitude": 31.2600, "longitude": 121.4737}  # ~3.3 km north


# The `browser` fixture (one headless Debian Chromium per session) comes from tests/conftest.py.


def phone(browser: Browser, locale: str, geolocation: dict[str, float]) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        geolocation=geolocation,
        permissions=["geolocation"],
    )


def watch(page: Page) -> list[str]:
    """Collect the page's script errors (a test fails on any); requests failing for want of
    signal are expected here."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "ERR_INTERNET_DISCONNECTED" not in message.text:
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    return errors


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot: the whole page, or just what the phone's screen shows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-page
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def wait_until(page: Page, expression: str, *, seconds: float = 15) -> None:
    """Poll a page expression from Python: page.wait_for_function would compile it with eval
    inside the page, which the app's Content-Security-Policy (rightly) forbids."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def pending(page: Page, count: int) -> None:
    expect(page.locator(".top .badge")).to_have_attribute("data-pending", str(count), timeout=15000)


def job_state(app, job_id: int) -> tuple[str, list[JobEvent], list[Attachment]]:
    with app.app_context():
        job = db.session.get(Job, job_id)
        events = list(
            db.session.scalars(
                select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
            )
        )
        attachments = list(
            db.session.scalars(select(Attachment).where(Attachment.job_id == job_id))
        )
        db.session.remove()
        return job.status, events, attachments


def sign_in_by_code(app, page: Page, base: str, phone_number: str) -> None:
    page.goto(f"{base}/field/")
    expect(page.locator("[data-screen=signin]")).to_be_visible()
    shot(page, "01-sign-in")
    page.fill("input[name=phone]", phone_number)
    page.click("button[name=send]")
    expect(page.locator(".signin [role=status]")).to_contain_text("验证码已发送")
    page.fill("input[name=code]", factories.texted_code(app, phone_number))
    page.click("button[name=verify]")
    expect(page.locator("article.card").first).to_be_visible(timeout=15000)


def draw_signature(page: Page) -> None:
    canvas = page.locator("canvas.signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 30, y + 20)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + 30 + step * 10, y + 20 - 40 * ((step % 6) / 6))
    page.mouse.up()
    page.mouse.move(x + 200, y - 30)
    page.mouse.down()
    page.mouse.move(x + 260, y + 40)
    page.mouse.up()


def test_offline_completion_syncs_exactly_once(app, client, clock, live_server, browser, tmp_path):
    metro, jobs = field_day(app, client, clock, jobs=3)
    installer = metro.installers[0]
    clock.set(factories.datetime_of(factories.BOOKED_AT))
    tomorrow = metro.job(client, duration_minutes=45, notes="电梯可用 lift available")
    factories.book(client, metro, tomorrow["id"], window=2, day="2026-12-03")
    clock.set(factories.datetime_of(factories.FIELD_MORNING))
    # The phone's clock follows the server's (frozen) one: the "on the way" ETA is reckoned
    # from the phone's time and would be long past otherwise.
    context = clock.follow(phone(browser, "zh-CN", AT_DOOR))
    page = context.new_page()
    errors = watch(page)
    sign_in_by_code(app, page, live_server, installer.phone)

    cards = page.locator("article.card")
    expect(cards).to_have_count(3)
    assert [int(c.get_attribute("data-job")) for c in cards.all()] == [j["id"] for j in jobs]
    expect(cards.first.locator(".window")).to_have_text("08:00–10:00")
    expect(cards.first.locator(".chip")).to_have_text("已派工")
    wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    shot(page, "02-route-today")

    job_id = jobs[0]["id"]
    first = page.locator(f"article[data-job='{job_id}']")
    first.locator("[data-action=en_route]").click()
    expect(first.locator(".chip")).to_have_text("在路上")
    pending(page, 0)
    assert job_state(app, job_id)[0] == "en_route"

    # No signal from here on.
    context.set_offline(True)
    expect(page.locator("[data-signal=offline]")).to_be_visible()
    first.click()
    expect(page.locator("[data-screen=job]")).to_be_visible()
    page.click("[data-action=arrived]")
    expect(page.locator("[data-screen=job] h1 .chip")).to_have_text("已到达")
    page.click("[data-action=start_work]")
    pending(page, 2)
    shot(page, "03-job-offline", full_page=False)

    page.click("[data-action=complete]")
    form = page.locator("[data-screen=complete]")
    expect(form).to_be_visible()
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    form.locator("textarea[name=notes]").fill("橡木门已安装，门锁调试正常。")
    photo = tmp_path / "door.jpg"
    photo.write_bytes(image("JPEG", size=(2400, 1800), color=(150, 110, 70)))
    form.locator("input[name=photo]").set_input_files(str(photo))
    expect(form.locator(".thumbs img")).to_have_count(1)
    draw_signature(page)
    expect(form.locator("input[name=signer]")).to_have_value("王芳")
    shot(page, "04-complete-form")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-screen=job] h1 .chip")).to_have_text("已完成")
    pending(page, 5)  # arrived, start_work, photo, signature, complete
    shot(page, "05-completed-offline")
    status, events, attachments = job_state(app, job_id)
    assert (status, attachments) == ("en_route", [])

    # The app opens again with no signal: the shell from the service worker, the queue from
    # IndexedDB.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("[data-signal=offline]")).to_be_visible()
    pending(page, 5)
    shot(page, "06-reopened-offline")

    context.set_offline(False)
    pending(page, 0)
    expect(page.locator("[data-screen=job] h1 .chip")).to_have_text("已完成")
    expect(page.locator("[data-screen=job] .thumb img")).to_have_count(2)
    wait_until(
        page,
        "[...document.querySelectorAll('.thumb img')].every(i => i.complete && i.naturalWidth > 0)",
    )
    shot(page, "07-synced")
    page.click(".back")
    page.click("a.tab[href='#/tomorrow']")
    expect(page.locator(f"article[data-job='{tomorrow['id']}'] .chip")).to_have_text("已预约")
    expect(page.locator("[data-screen=tomorrow] .hint")).to_contain_text("未派工")
    shot(page, "13-tomorrow")
    page.click("a.tab[href='#/me']")
    expect(page.locator("[data-screen=me] h1")).to_have_text(installer.name)
    shot(page, "14-me")

    status, events, attachments = job_state(app, job_id)
    assert status == "completed"
    types = [e.type for e in events]
    assert types.count("completed") == 1 and types.count("on_site") == 1
    phone_events = [e for e in events if e.client_event_id]
    assert len({e.client_event_id for e in phone_events}) == len(phone_events) == 4
    completed = next(e for e in events if e.type == "completed")
    assert completed.payload["signer_name"] == "王芳"
    assert all(item["done"] for item in completed.payload["checklist"])
    assert completed.client_time < completed.occurred_at or completed.client_time is not None
    assert sorted(a.kind for a in attachments) == ["photo", "signature"]
    photo_row = next(a for a in attachments if a.kind == "photo")
    assert photo_row.content_type == "image/jpeg" and max(photo_row.width, photo_row.height) == 1600
    with app.app_context():
        assert all(blob_path(a.sha256, a.content_type).is_file() for a in attachments)
        texts = list(
            db.session.scalars(
                select(OutboundMessage.template).where(OutboundMessage.job_id == job_id)
            )
        )
    assert texts.count("completed") == 1 and texts.count("on_the_way") == 1
    assert errors == []
    context.close()


def test_invite_link_stale_action_far_arrival_and_failed_visit(
    app, client, clock, live_server, browser, as_key
):
    metro, jobs = field_day(app, client, clock, jobs=3)
    installer = metro.installers[0]
    sent = as_key(metro.dealer_key).post(
        f"/api/v1/installers/{installer.id}/invite", json={"locale": "en"}
    )
    assert sent.status_code == 201
    link = factories.texted_invite_link(app, installer.phone)
    context = clock.follow(phone(browser, "en-US", FAR_AWAY))  # client_time = server's time
    page = context.new_page()
    errors = watch(page)
    page.goto(live_server + link[link.index("/field/") :])
    expect(page.locator("article.card")).to_have_count(3, timeout=15000)
    assert "invite" not in page.url
    expect(page.locator("h1")).to_contain_text("Today's route")
    shot(page, "08-route-english")

    # Offline, the installer starts a job the brand has just cancelled.
    context.set_offline(True)
    expect(page.locator("[data-signal=offline]")).to_be_visible()
    second = page.locator(f"article[data-job='{jobs[1]['id']}']")
    second.locator("[data-action=en_route]").click()
    expect(second.locator(".chip")).to_have_text("On the way")
    pending(page, 1)
    cancelled = as_key(metro.brand_key).post(
        f"/api/v1/jobs/{jobs[1]['id']}/cancel", json={"reason": "customer called"}
    )
    assert cancelled.status_code == 200
    context.set_offline(False)
    notice = page.locator(".notice", has_text=f"Job #{jobs[1]['id']}")
    expect(notice).to_contain_text("Cancelled")
    expect(notice).to_contain_text("1 unsynced change(s) were undone")
    pending(page, 0)
    expect(page.locator("article.card")).to_have_count(2)  # a cancelled job leaves the route
    shot(page, "09-stale-action-undone")
    assert job_state(app, jobs[1]["id"])[0] == "cancelled"

    # Arriving 3 km away asks first.
    first = page.locator(f"article[data-job='{jobs[0]['id']}']")
    first.locator("[data-action=en_route]").click()
    expect(first.locator(".chip")).to_have_text("On the way")
    pending(page, 0)
    first.locator("[data-action=arrived]").click()
    dialog = page.locator(".dialog")
    expect(dialog).to_contain_text("3.3 km")
    shot(page, "10-far-from-address")
    dialog.locator("[data-answer=yes]").click()
    expect(first.locator(".chip")).to_have_text("On site")
    pending(page, 0)
    _, events, _ = job_state(app, jobs[0]["id"])
    arrived = next(e for e in events if e.type == "on_site")
    assert arrived.payload["distance_m"] > 3000
    assert arrived.payload["warnings"] == ["far_from_address"]

    first.click()
    page.click("[data-action=fail]")
    form = page.locator("[data-screen=fail]")
    form.locator("button[type=submit]").click()
    expect(form.locator(".errors")).to_contain_text("Choose a reason")
    form.locator("input[value=other]").check()
    form.locator("button[type=submit]").click()
    expect(form.locator(".errors")).to_contain_text("Describe the reason")
    form.locator("input[value=customer_absent]").check()
    form.locator("textarea[name=note]").fill("Nobody answered; called twice.")
    shot(page, "11-could-not-complete")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-screen=job] h1 .chip")).to_have_text("Not completed")
    pending(page, 0)
    assert job_state(app, jobs[0]["id"])[0] == "assigned"
    page.click(".back")
    expect(page.locator(f"article[data-job='{jobs[0]['id']}'] .chip")).to_have_text("Not completed")
    shot(page, "12-route-after-failure")
    assert errors == []
    context.close()
