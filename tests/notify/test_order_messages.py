"""The consumer's messages for an order of several visits: an invitation waits until the visit
can be booked (goods, the visit before it), and a visit released by a moved delivery says so."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import OutboundMessage
from tests.factories import Metro
from tests.jobs.test_orders import book, order_payload, windows

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 08:00 in Shanghai


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=2, max_jobs=6)


def outbox(app, job_id, template):
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.job_id == job_id, OutboundMessage.template == template)
                .order_by(OutboundMessage.id)
            )
        )


def test_invitations_wait_for_goods_and_for_the_delivery(metro, as_key, app, client):
    api = as_key(metro.brand_key)
    order = api.post("/api/v1/orders", json=order_payload()).json
    delivery, install = order["visits"]
    assert outbox(app, delivery["id"], "invitation") == []
    assert outbox(app, install["id"], "invitation") == []
    # The page says why there is nothing to pick yet.
    token = _token(app, delivery["id"])
    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert "还未到达服务商仓库" in page
    assert "送货" in page and "第 1 次上门，共 2 次" in page

    api.patch(f"/api/v1/orders/{order['id']}/goods", json={"goods_expected_on": "2026-12-03"})
    (invited,) = outbox(app, delivery["id"], "invitation")
    assert "货物预计12月3日 周四到达，可选12月4日 周五起的时间" in invited
    assert "12月4日 周五起" in client.get(f"/b/{token}").get_data(as_text=True)
    # Announcing the same day again sends nothing more; the goods arriving do (book now).
    api.patch(f"/api/v1/orders/{order['id']}/goods", json={"goods_expected_on": "2026-12-03"})
    assert len(outbox(app, delivery["id"], "invitation")) == 1
    as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    assert len(outbox(app, delivery["id"], "invitation")) == 2
    assert outbox(app, install["id"], "invitation") == []
    install_page = client.get(f"/b/{_token(app, install['id'])}").get_data(as_text=True)
    assert "请先预约前一次上门" in install_page

    # The delivery booked: the install is invited, once.
    first = windows(api, delivery["id"]).json["windows"][5]
    assert book(api, delivery["id"], first["start"]).status_code == 201
    assert len(outbox(app, install["id"], "invitation")) == 1
    assert (
        book(
            api, install["id"], windows(api, install["id"]).json["windows"][0]["start"]
        ).status_code
        == 201
    )
    # The delivery moved a week on: the install's time is released, and the consumer told.
    later = [w for w in windows(api, delivery["id"]).json["windows"] if w["date"] >= "2026-12-10"]
    assert book(api, delivery["id"], later[0]["start"]).status_code == 200
    (broken,) = outbox(app, install["id"], "dependency_broken")
    assert "需要重新选择" in broken
    assert len(outbox(app, install["id"], "invitation")) == 1


def test_an_english_consumer_is_told_in_english(metro, as_key, app):
    api = as_key(metro.brand_key)
    body = order_payload(goods_expected_on="2026-12-03")
    body["consumer"]["locale"] = "en"
    order = api.post("/api/v1/orders", json=body).json
    (invited,) = outbox(app, order["visits"][0]["id"], "invitation")
    assert "the goods are expected on Thu 3 Dec: times from Fri 4 Dec" in invited


def _token(app, job_id):
    from app.auth.links import make_token

    with app.app_context():
        return make_token(job_id, "book")
