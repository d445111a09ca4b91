"""How many SMS segments a text costs: GSM-7 (160, then 153 each) or UCS-2 (70, then 67 each)."""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 basic character set, and the extension table (each costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int


def count_segments(text: str) -> Segments:
    """Count the segments a message is sent in; one non-GSM character makes it all UCS-2."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        count = 1 if septets <= 160 else -(-septets // 153)
        return Segments("GSM-7", septets, count)
    # UTF-16: characters outside the BMP (most emoji) take two code units.
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    count = 1 if units <= 70 else -(-units // 67)
    return Segments("UCS-2", units, count)
