"""The dispatcher's goods page: orders waiting for goods, longest first; marking them received."""

from __future__ import annotations

from tests.dispatch.test_pages import _csrf, sign_in
from tests.factories import Metro
from tests.jobs.test_orders import NOW, order_payload


def test_a_dealer_marks_goods_received_and_the_visits_become_bookable(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app)
    api = as_key(metro.brand_key)
    waiting = api.post("/api/v1/orders", json=order_payload(goods_expected_on="2026-12-03")).json
    sign_in(client, metro.dealer_key, lang="zh-CN")
    page = client.get(f"/dispatch/{metro.dealer.id}/goods")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert waiting["external_id"] in text and "12月3日 周四" in text
    assert "送货 → 安装" in text and "delivery" not in text

    forged = client.post(f"/dispatch/{metro.dealer.id}/goods/{waiting['id']}/received")
    assert forged.status_code == 400
    done = client.post(
        f"/dispatch/{metro.dealer.id}/goods/{waiting['id']}/received", data={"csrf": _csrf(page)}
    )
    assert done.status_code == 302
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已标记到货" in after and "没有等待到货的订单" in after
    assert api.get(f"/api/v1/orders/{waiting['id']}").json["goods"]["status"] == "received"

    # Another dealer's dispatcher can neither see nor mark it.
    other = Metro(app)
    order = api.post("/api/v1/orders", json=order_payload()).json
    client.get("/dispatch/logout")
    sign_in(client, other.dealer_key)
    page = client.get(f"/dispatch/{other.dealer.id}/goods")
    assert order["external_id"] not in page.get_data(as_text=True)
    refused = client.post(
        f"/dispatch/{other.dealer.id}/goods/{order['id']}/received", data={"csrf": _csrf(page)}
    )
    assert refused.status_code == 404
    assert client.get(f"/dispatch/{metro.dealer.id}/goods").status_code == 404
