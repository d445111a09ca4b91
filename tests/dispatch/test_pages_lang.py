"""The dispatcher's pages speak the person's language through and through, codes as words."""

from __future__ import annotations

import pytest

from tests import factories
from tests.dispatch.plans import DAY, NOW, book_day, plan_now, run_planner
from tests.dispatch.test_pages import sign_in
from tests.factories import Metro
from tests.i18n_check import raw_codes, visible_text

KEY_WORDS = {
    "zh-CN": ["立即重新规划", "按顺序的工单", "时间轴", "未排入路线（1）", "锁定的师傅当天不上班"],
    "en": ["Re-plan now", "Stops in order", "Timeline", "Not planned (1)", "is not working"],
}


@pytest.fixture
def stranded_day(app, client, as_key, clock):
    """A planned day with one job locked to an installer who then stops working."""
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 4, kind="delivery_install")
    plan_now(app, api, metro.dealer.id)
    gone = metro.installers[1].id
    assert api.put(f"/api/v1/jobs/{jobs[0]}/plan-lock", json={"installer_id": gone}).status_code
    assert api.patch(f"/api/v1/installers/{gone}", json={"active": False}).status_code == 200
    assert run_planner(app) == {"done": 1}
    return metro


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_day_page_in_each_language_shows_words_not_codes(client, stranded_day, lang):
    sign_in(client, stranded_day.dealer_key, lang=lang)
    html = client.get(f"/dispatch/{stranded_day.dealer.id}/{DAY}").get_data(as_text=True)
    text = visible_text(html)
    assert f'<html lang="{lang}">' in html
    for said in KEY_WORDS[lang]:
        assert said in text, said
    assert not raw_codes(text, lang)
    assert "locked_vehicle_unavailable" not in text
    english_only = ["Re-plan", "Timeline", "driving", "version", "Sign out", "Day plans"]
    if lang == "zh-CN":
        assert [w for w in english_only if w in text] == []
        assert "12月3日 周四" in text and "退出登录" in text
    else:
        assert "Thu 3 Dec 2026" in text and "Sign out" in text


@pytest.mark.parametrize(
    ("lang", "said"), [("zh-CN", "各服务商的每日路线"), ("en", "Day plans by")]
)
def test_dealer_list_and_error_pages_in_each_language(app, client, lang, said, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    sign_in(client, factories.api_key(app, "admin"), lang=lang)
    text = visible_text(client.get("/dispatch/").get_data(as_text=True))
    assert said in text and metro.dealer.name in text
    assert not raw_codes(text, lang)
    missing = client.get(f"/dispatch/{metro.dealer.id}/{DAY}?version=9")
    assert missing.status_code == 404
    shown = visible_text(missing.get_data(as_text=True))
    assert {"zh-CN": "未找到", "en": "no plan version 9"}[lang] in shown
    sign_in(client, metro.brand_key, lang=lang)
    refused = visible_text(client.get(f"/dispatch/{metro.dealer.id}/{DAY}").get_data(as_text=True))
    assert {"zh-CN": "品牌方账号无法使用此页面", "en": "not available to brand"}[lang] in refused
