"""A person's language and the words for codes (app/i18n.py), and the sign-in page in both."""

from __future__ import annotations

from datetime import date

import pytest

from app.i18n import WORDS, day_label, normalize, person_language, plan_reason, word, words
from tests.i18n_check import raw_codes, visible_text

LANGS = ("zh-CN", "en")


def test_every_code_has_words_in_both_languages_and_no_code_reads_as_itself():
    for domain, codes in WORDS.items():
        for code, said in codes.items():
            assert set(said) == set(LANGS), (domain, code)
            assert "_" not in said["en"] and said["zh-CN"] != code, (domain, code)


def test_words_of_codes():
    assert word("kind", "delivery_install", "zh-CN") == "送货安装"
    assert word("kind", "delivery_install", "en") == "delivery and installation"
    assert word("plan_issue", "window_unreachable", "zh-CN").startswith("没有师傅")
    assert word("skill", "door_instal", "en") == "door instal"  # unknown: still words
    assert words("skill", ["delivery", "furniture_assembly"], "zh-CN") == "送货、家具组装"
    assert plan_reason("scheduled job 12", "zh-CN") == "新预约 · 工单 12"
    assert plan_reason("skills+timezone installer 3", "en") == (
        "skills changed, time zone changed · installer 3"
    )
    assert day_label(date(2026, 12, 7), "zh-CN") == "12月7日 周一"
    assert day_label(date(2026, 12, 7), "en", year=True) == "Mon 7 Dec 2026"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("zh", "zh-CN"), ("zh_Hans_CN", "zh-CN"), ("EN-gb", "en"), ("fr", None), ("", None)],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_the_language_comes_from_choice_then_person_then_browser_then_chinese(app):
    def lang(path="/", stored=None, **headers):
        with app.test_request_context(path, headers=headers):
            return person_language(stored)

    assert lang() == "zh-CN"
    assert lang(**{"Accept-Language": "en-US,en;q=0.8"}) == "en"
    assert lang(stored="zh-CN", **{"Accept-Language": "en"}) == "zh-CN"
    assert lang("/?lang=en", stored="zh-CN") == "en"
    assert lang(stored="zh-CN", Cookie="lang=en") == "en"
    assert lang("/?lang=zh-CN", Cookie="lang=en") == "zh-CN"
    assert lang("/?lang=klingon", **{"Accept-Language": "en"}) == "en"


@pytest.mark.parametrize(
    ("lang", "words_"),
    [
        ("zh-CN", ["登录", "邮箱", "密码", "改用 API 密钥登录", "English"]),
        ("en", ["Sign in", "E-mail", "Password", "Sign in with an API key instead", "中文"]),
    ],
)
def test_sign_in_page_speaks_one_language(client, lang, words_):
    page = client.get("/login", headers={"Accept-Language": lang})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = visible_text(html)
    assert f'<html lang="{lang}">' in html
    for said in words_:
        assert said in text, said
    assert not raw_codes(text, lang)
    other = {"zh-CN": "Password", "en": "密码"}[lang]
    assert other not in text
    wrong = client.post("/login", data={"api_key": "fwt_x"}, headers={"Accept-Language": lang})
    assert {"zh-CN": "表单已过期", "en": "form expired"}[lang] in wrong.get_data(as_text=True)


def test_the_switch_sets_a_cookie_that_later_pages_follow(client):
    switched = client.get("/login?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert "Sign in" in visible_text(switched.get_data(as_text=True))
    later = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert "Password" in visible_text(later.get_data(as_text=True))
    back = client.get("/login?lang=zh-CN&next=/dispatch/")
    text = visible_text(back.get_data(as_text=True))
    assert "密码" in text
    assert 'href="/login?next=%2Fdispatch%2F&amp;lang=en"' in back.get_data(as_text=True)
