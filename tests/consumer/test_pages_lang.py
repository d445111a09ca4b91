"""The consumer's pages speak the job's language (or the one picked on the page), codes as words."""

from __future__ import annotations

import pytest

from app.auth.links import make_token
from tests.consumer.test_pages import NOW
from tests.factories import Metro
from tests.i18n_check import raw_codes, visible_text

KEY_WORDS = {
    "zh-CN": ["预约上门时间", "服务内容", "门 · 送货安装", "请选择上门时间", "确认预约", "English"],
    "en": ["Book your visit", "What", "door · delivery and installation", "Choose a time", "中文"],
}


@pytest.fixture
def link(app, client, clock):
    clock.set(NOW)
    metro = Metro(app)
    job = metro.job(client, items=[], kind="delivery_install", required_skills=["door_install"])
    with app.app_context():
        return make_token(job["id"], "book")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_booking_page_in_the_jobs_language_shows_words_not_codes(client, link, lang):
    page = client.get(f"/b/{link}" + ("?lang=en" if lang == "en" else ""))
    html = page.get_data(as_text=True)
    text = visible_text(html)
    assert f'<html lang="{lang}">' in html
    for said in KEY_WORDS[lang]:
        assert said in text, said
    assert not raw_codes(text, lang)
    assert "delivery_install" not in text


def test_the_choice_made_on_the_page_outlives_the_booking_redirect(client, link):
    client.get(f"/b/{link}?lang=en")
    assert "Choose a time" in visible_text(client.get(f"/b/{link}").get_data(as_text=True))
    back = client.get(f"/b/{link}?lang=zh-CN")
    assert "请选择上门时间" in visible_text(back.get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "said"), [("zh-CN", "链接无效"), ("en", "This link is not valid")]
)
def test_a_broken_link_answers_in_the_browsers_language(client, lang, said):
    page = client.get("/b/not-a-token", headers={"Accept-Language": lang})
    assert page.status_code == 404
    text = visible_text(page.get_data(as_text=True))
    assert said in text and not raw_codes(text, lang)
