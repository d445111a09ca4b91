"""What a person reads on a page, and the codes that must not be in it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.i18n import WORDS

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # delivery_install, window_unreachable, …
# Every catalogued code a Chinese page must never show as it is (English words are fine on an
# English page, where "door" is a word).
CODES = sorted({code for domain in WORDS.values() for code in domain}, key=len, reverse=True)
LATIN_CODE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in CODES) + r")\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:  # words a person meets too: tooltips, labels, placeholders
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    """The page's text and tooltips, without markup, styles or scripts."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def raw_codes(text: str, lang: str) -> list[str]:
    """Codes shown as they are: snake_case always; on a Chinese page any catalogued code."""
    found = SNAKE.findall(text)
    if lang == "zh-CN":
        found += LATIN_CODE.findall(text)
    return found
