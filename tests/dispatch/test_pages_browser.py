"""The dispatcher's day page in headless Chromium, at phone and desktop size; screenshots saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dispatch.plans import DAY, NOW, book_day, plan_now, run_planner
from tests.factories import Metro

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STEPS = ("en_route", "on_site", "in_progress", "completed")
HOMES = [(31.262, 121.43), (31.20, 121.52), (31.19, 121.42), (31.25, 121.51)]

pytestmark = pytest.mark.browser


@pytest.fixture
def planned_day(app, client, as_key, clock):
    """A dealer day with four installers from different homes, twelve jobs, one not plannable."""
    clock.set(NOW)
    metro = Metro(app, installers=4, max_jobs=4)
    api = as_key(metro.dealer_key)
    for installer, (lat, lon) in zip(metro.installers, HOMES, strict=True):
        home = {"home_lat": lat, "home_lon": lon}
        moved = api.patch(f"/api/v1/installers/{installer.id}", json=home)
        assert moved.status_code == 200, moved.json
    jobs = book_day(metro, client, as_key, 12, seed=11)
    plan_now(app, api, metro.dealer.id)
    # A job locked to an installer who then stops working cannot be planned: shown in red.
    stranded = metro.installers[3].id
    locked = api.put(f"/api/v1/jobs/{jobs[0]}/plan-lock", json={"installer_id": stranded})
    assert locked.status_code == 200
    assert api.patch(f"/api/v1/installers/{stranded}", json={"active": False}).status_code == 200
    assert run_planner(app) == {"done": 1}
    return metro


def test_day_page_at_phone_and_desktop_size(live_server, planned_day, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page_path = f"/dispatch/{planned_day.dealer.id}/{DAY}"
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 375, "height": 667}),
    ):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.goto(live_server + page_path)
        assert "/dispatch/login" in page.url
        if name == "phone":
            page.screenshot(path=str(ARTIFACTS / "dispatch-login-phone.png"))
        page.fill("#api_key", planned_day.dealer_key)
        page.click("details button[type=submit]")
        page.wait_for_url(live_server + page_path)
        assert page.locator(".map svg circle").count() == 12
        assert page.locator(".map svg polyline").count() == 3
        assert page.locator(".issues li").count() == 1
        assert page.locator(".timeline svg").is_visible()
        assert "锁定的师傅当天不上班" in page.locator(".issues").inner_text()
        assert "locked_vehicle_unavailable" not in page.locator("body").inner_text()
        # Nothing sticks out sideways except the timeline, which scrolls in its card.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (name, width)
        page.screenshot(path=str(ARTIFACTS / f"dispatch-day-{name}.png"), full_page=True)
        context.close()


def test_today_with_work_done_and_under_way(app, client, as_key, clock, live_server, browser):
    from tests.dispatch.plans import advance, bookings_of, local

    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    [done] = book_day(metro, client, as_key, 1, window="08:00", seed=21)
    [busy] = book_day(metro, client, as_key, 1, window="10:00", seed=22)
    book_day(metro, client, as_key, 4, window="13:00", seed=23)
    book_day(metro, client, as_key, 2, window="15:00", seed=24)
    plan_now(app, api, metro.dealer.id)
    for job, steps in (
        (done, ("08:10", "08:30", "08:35", "09:30")),
        (busy, ("10:05", "10:25", "10:30")),
    ):
        for status, at in zip(STEPS, steps, strict=False):
            clock.set(local(DAY, at))
            advance(app, job, status)
    clock.set(local(DAY, "11:00"))
    plan_now(app, api, metro.dealer.id)
    assert bookings_of(app, [done])[done][1] == 0

    context = clock.follow(
        browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    )
    page = context.new_page()
    page.goto(f"{live_server}/dispatch/login")
    page.fill("#api_key", metro.dealer_key)
    page.click("details button[type=submit]")
    page.goto(f"{live_server}/dispatch/{metro.dealer.id}/{DAY}")
    assert page.locator(".tag", has_text="completed").count() >= 1
    assert page.locator(".tag", has_text="in progress").count() >= 1
    assert "in_progress" not in page.locator("body").inner_text()
    assert page.locator(".issues").count() == 0
    page.screenshot(path=str(ARTIFACTS / "dispatch-today-desktop.png"), full_page=True)
