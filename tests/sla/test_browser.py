"""The dashboard on the demo metro, in headless Chromium, at desktop and phone size."""

import re

import pytest

from app.db import transaction
from app.demo import service as demo
from tests.conftest import screenshot


def _sign_in(page, live_server):
    page.goto(f"{live_server}/sla/")
    assert "/login" in page.url
    page.fill("#email", "oakline@demo.fuwutong.cn")
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("form button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/sla/$"))


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_on_the_demo_data(app, live_server, browser):
    with app.app_context(), transaction():
        demo.seed()
    for name, viewport, locale in (
        ("desktop", {"width": 1280, "height": 900}, "en-US"),
        ("phone", {"width": 375, "height": 667}, "zh-CN"),
    ):
        context = browser.new_context(viewport=viewport, locale=locale)
        page = context.new_page()
        _sign_in(page, live_server)
        jobs = int(page.locator(".kpi .value").first.inner_text())
        assert jobs > 100
        assert page.locator("svg.chart").count() == 3
        assert page.locator("#league table tr").count() > 4
        # Nothing wider than the phone: wide tables scroll inside their card.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        league = page.locator("#league .scroll")
        box = league.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"]
        formula = page.locator("#league .formula").inner_text()
        assert "Wilson" in formula and ("1.96" in formula)
        assert ("排名规则" in formula) == (locale == "zh-CN")
        if name == "phone":
            assert page.evaluate(
                "(() => { const s = document.querySelector('#league .scroll');"
                " return s.scrollWidth > s.clientWidth; })()"
            ), "the league table scrolls sideways at phone width"
            # The jobs at risk stack: one block per job, every cell inside the screen.
            for cell in page.locator("#flagged td").all()[:12]:
                cell_box = cell.bounding_box()
                assert cell_box is not None and cell_box["x"] + cell_box["width"] <= 375
        screenshot(page, f"sla-dashboard-{name}")
        pager = page.locator("#flagged .pager a[rel=next]")
        if pager.count():
            pager.click()
            page.wait_for_url(re.compile(r"page=2"))
            assert page.locator("#flagged .pager a[rel=prev]").count() == 1
            screenshot(page, f"sla-dashboard-{name}-page-2")
        if name == "desktop":
            page.locator("a[href^='/sla/jobs/']").first.click()
            page.wait_for_selector("ol.timeline li")
            assert page.locator("text=SLA clocks").count() == 1
            screenshot(page, "sla-job-timeline")
        context.close()
