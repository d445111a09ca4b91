"""The SLA dashboard as brand and dealer staff see it; people sign in with passwords."""

import csv
import io

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests import factories
from tests.factories import Metro, user, web_login


def test_password_sign_in_lands_on_the_dashboard(world, app, client):
    person = user(app, "brand", brand_id=world.metro.brand.id)
    assert web_login(client, person.email, "wrong password!").status_code == 401
    signed = web_login(client, person.email.upper())
    assert signed.status_code == 302 and signed.headers["Location"] == "/sla/"
    with app.app_context():
        assert db.session.get(User, person.id).last_login_at is not None
    page = client.get("/sla/")
    assert page.status_code == 200
    assert "服务商排行榜" in page.get_data(as_text=True)  # zh-CN unless asked otherwise
    # The header names the brand and the person, not ids.
    assert f"{world.metro.brand.name} · {person.name}" in page.get_data(as_text=True)


def test_the_dashboard_shows_the_brands_numbers(world, app, client):
    first = world.job()
    world.later(hours=2)
    world.book(first["id"], 0)
    flagged = world.job()
    world.later(hours=30)
    web_login(client, user(app, "brand", brand_id=world.metro.brand.id).email)
    html = client.get(
        "/sla/", query_string={"from": "2026-11-01", "to": "2026-12-31", "lang": "en"}
    ).get_data(as_text=True)
    assert '>2</div><div class="label">Jobs' in html
    assert world.metro.dealer.name in html
    assert f"/sla/jobs/{flagged['id']}" in html
    assert ">12-01 12:00</td>" in html  # ordered at 04:00 UTC, shown local
    assert "Ordered (Asia/Shanghai)" in html
    assert "<svg" in html and "On time" in html
    drill = client.get(f"/sla/jobs/{flagged['id']}?lang=en").get_data(as_text=True)
    assert "SLA clocks" in drill and "breached" in drill and "ordered" in drill
    export = client.get(
        "/sla/export.csv", query_string={"from": "2026-11-01", "to": "2026-12-31", "lang": "en"}
    )
    assert export.get_data().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert sorted(int(r["job id"]) for r in rows) == sorted([first["id"], flagged["id"]])
    assert {r["dealer"] for r in rows} == {world.metro.dealer.name}
    assert {r["ordered (Asia/Shanghai)"][11:] for r in rows} == {
        "10:00:00",
        "12:00:00",
    }  # 02:00 and 04:00 UTC


def test_walls_on_the_pages(world, app, client):
    job = world.job()
    other = Metro(app)
    web_login(client, user(app, "brand", brand_id=other.brand.id).email)
    assert client.get(f"/sla/jobs/{job['id']}").status_code == 404
    assert '<div class="value">0</div>' in client.get("/sla/").get_data(as_text=True)
    brand_b_filter = client.get("/sla/", query_string={"brand_id": world.metro.brand.id}).get_data(
        as_text=True
    )
    assert '<div class="value">0</div>' in brand_b_filter


def test_a_dealer_sees_its_own_scorecard(world, app, client):
    world.job()
    web_login(client, user(app, "dealer", dealer_id=world.metro.dealer.id).email)
    html = client.get("/sla/").get_data(as_text=True)
    assert "服务商排行榜" not in html
    assert f"<span>{world.metro.dealer.name} · User " in html
    assert '>1</div><div class="label">工单' in html


def test_signed_out_and_deactivated_people_are_sent_to_sign_in(world, app, client, admin):
    assert client.get("/sla/").status_code == 302
    person = user(app, "brand", brand_id=world.metro.brand.id)
    web_login(client, person.email)
    assert client.get("/sla/").status_code == 200
    assert admin.post(f"/api/v1/users/{person.id}/deactivate").status_code == 200
    assert client.get("/sla/").status_code == 302
    assert web_login(client, person.email).status_code == 401


def test_users_api_and_cli(app, admin):
    brand = factories.brand(app)
    made = admin.post(
        "/api/v1/users",
        json={
            "email": "Ops@Brand.example",
            "name": "Ops",
            "password": "long enough pw",
            "role": "brand",
            "brand_id": brand.id,
        },
    )
    assert (
        made.status_code == 201
        and "password" not in made.json
        and made.json["email"] == "ops@brand.example"
    )
    again = admin.post(
        "/api/v1/users",
        json={
            "email": "ops@brand.example",
            "name": "x",
            "password": "long enough pw",
            "role": "brand",
            "brand_id": brand.id,
        },
    )
    assert again.status_code == 409
    assert (
        admin.post(
            "/api/v1/users",
            json={
                "email": "a@b.example",
                "name": "x",
                "password": "short",
                "role": "brand",
                "brand_id": brand.id,
            },
        ).status_code
        == 422
    )
    assert (
        admin.post(
            "/api/v1/users",
            json={
                "email": "a@b.example",
                "name": "x",
                "password": "long enough pw",
                "role": "brand",
            },
        ).status_code
        == 422
    )
    result = app.test_cli_runner().invoke(
        args=[
            "user",
            "create",
            "--email",
            "cli@x.example",
            "--name",
            "CLI",
            "--role",
            "admin",
            "--password",
            "another long pw",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalar(select(User).where(User.email == "cli@x.example"))
        assert stored is not None and stored.password_hash.startswith("scrypt:")
