"""The dashboard on the demo metro, in headless Chromium, at desktop and phone size."""

import re

import pytest

from app.db import transaction
from app.demo import service as demo
from tests.conftest import screenshot


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_on_the_demo_data(app, live_server, browser):
    with app.app_context(), transaction():
        demo.seed()
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 375, "height": 667}),
    ):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server}/sla/")
        assert "/login" in page.url
        page.fill("#email", "oakline@demo.fuwutong.cn")
        page.fill("#password", demo.DEMO_PASSWORD)
        page.click("form button[type=submit] >> nth=0")
        page.wait_for_url(re.compile(r"/sla/$"))
        jobs = int(page.locator(".kpi .value").first.inner_text())
        assert jobs > 100
        assert page.locator("svg.chart").count() == 3
        assert page.locator("table").nth(1).locator("tr").count() > 4  # the league table
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"sla-dashboard-{name}")
        if name == "desktop":
            page.locator("a[href^='/sla/jobs/']").first.click()
            page.wait_for_selector("ol.timeline li")
            assert page.locator("text=SLA clocks").count() == 1
            screenshot(page, "sla-job-timeline")
        context.close()
