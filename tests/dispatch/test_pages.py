"""Dispatcher pages and the web sign-in (session cookie) behind them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import ApiKey
from app.auth.service import hash_key, revoke_api_key
from app.db import transaction
from app.extensions import db
from tests import factories
from tests.dispatch.plans import DAY, NOW, book_day, plan_now
from tests.factories import Metro


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=2)


def _csrf(page) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "no csrf field on the page"
    return found.group(1)


def sign_in(client, key, next_path=None, lang="en"):
    client.set_cookie("lang", lang)  # these tests read the English words
    form = client.get("/dispatch/login")
    data = {"csrf": _csrf(form), "api_key": key}
    if next_path:
        data["next"] = next_path
    return client.post("/dispatch/login", data=data)


def test_pages_need_a_sign_in_and_go_back_after_it(app, client, metro):
    page = f"/dispatch/{metro.dealer.id}/{DAY}"
    away = client.get(page)
    assert away.status_code == 302
    assert away.headers["Location"].startswith("/dispatch/login?next=")
    signed = sign_in(client, metro.dealer_key, next_path=page)
    assert (signed.status_code, signed.headers["Location"]) == (302, page)
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert metro.dealer_key not in cookie
    shown = client.get(page)
    assert shown.status_code == 200
    assert "No plan for this day yet" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"


def test_login_refuses_bad_keys_and_forged_posts(client, metro):
    client.set_cookie("lang", "en")
    form = client.get("/dispatch/login")
    token = _csrf(form)
    wrong = client.post("/dispatch/login", data={"csrf": token, "api_key": "fwt_nope"})
    assert wrong.status_code == 401
    assert "unknown or revoked" in wrong.get_data(as_text=True)
    forged = client.post("/dispatch/login", data={"api_key": metro.dealer_key})
    assert forged.status_code == 400
    assert "form expired" in forged.get_data(as_text=True)
    # Only paths on this site are followed after signing in.
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        signed = sign_in(client, metro.dealer_key, next_path=target)
        assert signed.headers["Location"] == "/dispatch/", target


def test_the_day_page_draws_routes_timeline_and_unplanned_jobs(app, client, as_key, metro):
    jobs = book_day(metro, client, as_key, 5)
    plan_now(app, as_key(metro.dealer_key), metro.dealer.id)
    sign_in(client, metro.dealer_key)
    html = client.get(f"/dispatch/{metro.dealer.id}/{DAY}").get_data(as_text=True)
    assert html.count("<svg") == 2
    assert html.count("<polyline") == 2  # one line per installer's route
    assert html.count("<circle") == 5  # one dot per job
    for installer in metro.installers:
        assert installer.name in html
    assert "Not planned" not in html
    assert "version" in html and "Re-plan now" in html
    old = client.get(f"/dispatch/{metro.dealer.id}/{DAY}?version=7")
    assert old.status_code == 404 and "no plan version 7" in old.get_data(as_text=True)
    assert len(jobs) == 5


def test_replan_button_queues_a_request(client, metro):
    sign_in(client, metro.dealer_key)
    page = client.get(f"/dispatch/{metro.dealer.id}/{DAY}")
    forged = client.post(f"/dispatch/{metro.dealer.id}/{DAY}/plan")
    assert forged.status_code == 400
    asked = client.post(f"/dispatch/{metro.dealer.id}/{DAY}/plan", data={"csrf": _csrf(page)})
    assert asked.status_code == 302
    shown = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "A new plan was requested" in shown and "being made (waiting)" in shown


def test_walls_roles_revocation_and_sign_out(app, client, metro):
    other = Metro(app, installers=1)
    sign_in(client, metro.dealer_key)
    foreign = client.get(f"/dispatch/{other.dealer.id}/{DAY}")
    assert foreign.status_code == 404
    assert client.post(f"/dispatch/{other.dealer.id}/{DAY}/plan", data={}).status_code == 400
    assert client.get("/dispatch/").headers["Location"].startswith(f"/dispatch/{metro.dealer.id}/")

    page = client.get(f"/dispatch/{metro.dealer.id}/{DAY}")
    out = client.post("/dispatch/logout", data={"csrf": _csrf(page)})
    assert out.status_code == 302
    assert client.get(f"/dispatch/{metro.dealer.id}/{DAY}").status_code == 302

    sign_in(client, metro.brand_key)
    refused = client.get(f"/dispatch/{metro.dealer.id}/{DAY}")
    assert refused.status_code == 403
    assert "not available to brand credentials" in refused.get_data(as_text=True)

    key = factories.api_key(app, "dealer", dealer=metro.dealer)
    sign_in(client, key)
    assert client.get(f"/dispatch/{metro.dealer.id}/{DAY}").status_code == 200

    with app.app_context(), transaction():
        revoke_api_key(db.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(key))))
    assert client.get(f"/dispatch/{metro.dealer.id}/{DAY}").status_code == 302


def test_an_admin_sees_every_dealer(app, client, metro):
    sign_in(client, factories.api_key(app, "admin"))
    listing = client.get("/dispatch/").get_data(as_text=True)
    assert metro.dealer.name in listing
    assert client.get(f"/dispatch/{metro.dealer.id}/{DAY}").status_code == 200
