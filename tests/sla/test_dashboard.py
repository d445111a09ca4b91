"""The dashboard's pieces: nice chart ticks, paging of the jobs at risk (API and page), words."""

import math
import re

import pytest

from app.sla.charts import bar_chart, nice_ticks
from tests.factories import user, web_login


@pytest.mark.parametrize(
    ("high", "ticks"),
    [
        (9, [0, 2, 4, 6, 8, 10]),  # not 0, 2, 4, 7, 9
        (10, [0, 2, 4, 6, 8, 10]),
        (1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (3, [0, 1, 2, 3]),
        (47, [0, 10, 20, 30, 40, 50]),
        (100, [0, 20, 40, 60, 80, 100]),
        (101, [0, 50, 100, 150]),
        (1234, [0, 500, 1000, 1500]),
        (0, [0, 1]),
    ],
)
def test_nice_ticks_step_by_one_two_or_five_times_a_power_of_ten(high, ticks):
    found = nice_ticks(high)
    assert found == pytest.approx(ticks)
    assert found[-1] >= high and len(found) - 1 <= 5
    step = found[1] - found[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5)


def test_bar_chart_labels_its_axis_with_nice_ticks():
    svg = bar_chart(["a", "b"], [("x", [4, 9]), ("y", [0, 0])])
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert labels == ["0", "2", "4", "6", "8", "10"]


def _flag_jobs(world, count):
    ids = [world.job()["id"] for _ in range(count)]
    world.later(hours=25)  # none booked: every schedule promise is breached
    return ids


def test_jobs_at_risk_come_in_pages_through_the_api(world, client):
    ids = _flag_jobs(world, 7)
    seen = []
    for page in (1, 2, 3):
        response = client.get(
            "/api/v1/sla/jobs", query_string={"page": page, "per_page": 3}, headers=world.brand_api
        )
        assert response.status_code == 200, response.json
        body = response.json
        assert (body["total"], body["page"], body["per_page"]) == (7, page, 3)
        seen += [item["job_id"] for item in body["items"]]
        assert all(item["dealer_name"] == world.metro.dealer.name for item in body["items"])
    assert seen == sorted(ids, reverse=True)  # newest first, each job once
    empty = client.get("/api/v1/sla/jobs?page=4&per_page=3", headers=world.brand_api).json
    assert (empty["items"], empty["total"]) == ([], 7)
    bad = client.get("/api/v1/sla/jobs?per_page=500", headers=world.brand_api)
    assert bad.status_code == 422 and "per_page" in str(bad.json)


def test_the_dashboard_pages_the_jobs_at_risk(world, app, client):
    ids = _flag_jobs(world, 27)  # 25 per page: two pages
    web_login(client, user(app, "brand", brand_id=world.metro.brand.id).email)
    first = client.get("/sla/?lang=en").get_data(as_text=True)
    assert "Jobs at risk or breached (27 in all)" in first
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    shown = {int(n) for n in re.findall(r'href="/sla/jobs/(\d+)', first)}
    assert len(shown) == 25
    second = client.get("/sla/?lang=en&page=2").get_data(as_text=True)
    rest = {int(n) for n in re.findall(r'href="/sla/jobs/(\d+)', second)}
    assert shown | rest == set(ids) and not shown & rest
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert "Page 2 of 2" in client.get("/sla/?lang=en&page=99").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_sla_pages_speak_one_language_with_codes_as_words(world, app, client, lang):
    job = world.job()
    world.later(hours=25)
    web_login(client, user(app, "brand", brand_id=world.metro.brand.id).email)
    for path in ("/sla/", f"/sla/jobs/{job['id']}"):
        html = client.get(path, query_string={"lang": lang}).get_data(as_text=True)
        text = re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1])  # what the page says
        if lang == "zh-CN":
            assert "已违约" in text
            # No English words on a Chinese page (zones, numbers and names aside).
            english = set(re.findall(r"[A-Za-z]{3,}", text)) - {"Asia", "Shanghai", "CSV", "Wilson"}
            english -= set(re.findall(r"[A-Za-z]{3,}", world.metro.dealer.name + job["address"]))
            english -= set(re.findall(r"[A-Za-z]{3,}", job["external_id"]))
            assert not english, (english, text)
        else:
            assert "breached" in text and "已违约" not in text
            assert not re.search(r"[\u4e00-\u9fff]", text.replace(job["address"], "")), path
        for code in ("first_visit", "at_risk", "n/a", "delivery_install", "consumer_contacted"):
            assert code not in text, (path, code)
