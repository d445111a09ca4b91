"""The field app's own word list says skills the way the server's catalogue does."""

from __future__ import annotations

import re
from pathlib import Path

from app.i18n import WORDS

I18N_JS = Path(__file__).resolve().parents[2] / "field_client" / "web" / "static" / "i18n.js"


def _strings() -> dict[str, dict[str, str]]:
    source = I18N_JS.read_text(encoding="utf-8")
    zh, en = source.split("\n  en: {", 1)
    pair = re.compile(r'^\s+(\w+): "((?:[^"\\]|\\.)*)",$', re.M)
    return {"zh-CN": dict(pair.findall(zh)), "en": dict(pair.findall(en.split("\n};", 1)[0]))}


def test_every_skill_has_the_catalogues_words_in_both_languages():
    strings = _strings()
    for lang in ("zh-CN", "en"):
        for code, said in WORDS["skill"].items():
            assert strings[lang].get(f"skill_{code}") == said[lang], (lang, code)


def test_skill_tags_and_refusals_go_through_the_words():
    screens = (I18N_JS.parent / "screens.js").read_text(encoding="utf-8")
    sync = (I18N_JS.parent / "sync.js").read_text(encoding="utf-8")
    assert "skill(s)" in screens and "}, s))" not in screens
    assert "error.message }" not in sync and "refusal(" in sync
