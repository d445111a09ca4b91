"""The favicon is served, and every page links it."""

import re

from app.auth.links import make_token
from tests.factories import Metro


def icon_links(html):
    return re.findall(r'<link rel="icon" href="([^"]+)"', html)


def test_favicon_ico_is_a_real_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert response.cache_control.max_age == 86400
    response.close()  # a file-backed answer


def test_staff_and_consumer_pages_link_icons_that_exist(app, client):
    metro = Metro(app)
    job = metro.job(client)
    with app.app_context():
        token = make_token(job["id"], "book")
    for path in ("/login", f"/b/{token}"):
        page = client.get(path)
        assert page.status_code == 200, path
        links = icon_links(page.get_data(as_text=True))
        assert "/favicon.ico" in links and "/static/favicon.svg" in links, path
        for link in links:
            icon = client.get(link)
            assert icon.status_code == 200, link
            assert icon.mimetype.startswith("image/"), link
            icon.close()
