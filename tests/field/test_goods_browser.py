"""The field app's goods section at phone size: type (or scan) the order code, see it marked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.factories import Metro
from tests.field.test_browser import AT_DOOR, phone, shot, watch
from tests.jobs.test_orders import NOW, order_payload


@pytest.mark.browser
def test_an_installer_marks_goods_received_on_the_phone(app, clock, as_key, live_server, browser):
    clock.set(NOW)
    metro = Metro(app)
    order = as_key(metro.brand_key).post("/api/v1/orders", json=order_payload()).json
    installer = metro.installers[0]
    context = clock.follow(phone(browser, "zh-CN", AT_DOOR))
    page = context.new_page()
    errors = watch(page)
    page.goto(f"{live_server}/field/")
    page.fill("input[name=phone]", installer.phone)
    page.click("button[name=send]")
    expect(page.locator(".signin [role=status]")).to_contain_text("验证码已发送")
    page.fill("input[name=code]", factories.texted_code(app, installer.phone))
    page.click("button[name=verify]")
    page.click("a.tab[href='#/me']")
    form = page.locator("form.goods")
    expect(page.locator("[data-screen=me]")).to_contain_text("到货登记")
    form.locator("input[name=code]").fill("NOPE-1")
    form.locator("button[type=submit]").click()
    expect(form.locator("[role=status]")).to_contain_text("没有这个订单")
    form.locator("input[name=code]").fill(order["external_id"])
    form.locator("button[type=submit]").click()
    expect(form.locator("[role=status]")).to_contain_text(f"订单 {order['external_id']} 已登记到货")
    expect(form.locator("[role=status]")).to_contain_text("王芳")
    shot(page, "20-goods-received")
    goods = as_key(metro.brand_key).get(f"/api/v1/orders/{order['id']}").json["goods"]
    assert goods["status"] == "received"
    # The page fits the phone: nothing wider than its screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The unknown code's 404 is logged by the browser; nothing else went wrong.
    assert [e for e in errors if "404 (NOT FOUND)" not in e] == []
    context.close()
