"""Geocoding through geopy: an offline gazetteer by default, any geopy service by configuration."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from app.errors import ServiceUnavailable, Unprocessable

DEFAULT_GAZETTEER = Path(__file__).parent / "data" / "shanghai_streets.csv"
_EN_ABBREVIATIONS = {"rd": "road", "ave": "avenue", "av": "avenue", "st": "street", "mid": "middle"}
# The gazetteer covers Shanghai only: an address that, beside the street, names another
# city is not placed here (many cities have a 南京西路 or a Zhongshan Road).
_CITY_WORDS = """
    北京 天津 重庆 广州 深圳 杭州 南京 苏州 武汉 成都 西安 青岛 大连 沈阳 哈尔滨 长沙 郑州
    济南 合肥 福州 厦门 昆明 宁波 无锡 东莞 佛山 香港 澳门 台北
    beijing tianjin chongqing guangzhou shenzhen hangzhou nanjing suzhou wuhan chengdu
    qingdao dalian shenyang harbin changsha zhengzhou hefei fuzhou xiamen kunming ningbo
    dongguan foshan hongkong macau taipei
"""
_OTHER_CITIES = frozenset(_CITY_WORDS.split())


def _normalize(text: str) -> str:
    """Lower-case, fold width, expand English abbreviations and drop spaces and punctuation."""
    text = unicodedata.normalize("NFKC", text).lower()
    words = re.findall(r"[a-z]+|\d+|[^\sa-z\d]", text)
    words = [_EN_ABBREVIATIONS.get(word, word) for word in words]
    return "".join(w for w in words if w.isalnum())


@dataclass(frozen=True)
class _Street:
    zh: str
    en: str
    district_zh: str
    district_en: str
    start: tuple[float, float]
    end: tuple[float, float]
    max_number: int

    def point(self, number: int | None) -> tuple[float, float]:
        """Interpolate a house number along the street (the middle when unknown)."""
        share = 0.5 if number is None else min(max(number, 1), self.max_number) / self.max_number
        lat = self.start[0] + (self.end[0] - self.start[0]) * share
        lon = self.start[1] + (self.end[1] - self.start[1]) * share
        return round(lat, 6), round(lon, 6)


class OfflineGazetteer(Geocoder):
    """A geopy geocoder answering from a street list on disk; no network is used."""

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(user_agent="fuwutong-offline-gazetteer")
        self.path = Path(path or DEFAULT_GAZETTEER)
        self._keys: list[tuple[str, _Street]] = []
        with self.path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                street = _Street(
                    zh=row["street_zh"],
                    en=row["street_en"],
                    district_zh=row["district_zh"],
                    district_en=row["district_en"],
                    start=(float(row["lat1"]), float(row["lon1"])),
                    end=(float(row["lat2"]), float(row["lon2"])),
                    max_number=int(row["max_number"]),
                )
                self._keys += [(_normalize(street.zh), street), (_normalize(street.en), street)]
        # Longest names first, so "Nanjing West Road" wins over any shorter name inside it.
        self._keys.sort(key=lambda pair: -len(pair[0]))

    def street_names(self) -> list[tuple[str, str]]:
        """List the known streets as (Chinese, English) names."""
        seen = {(street.zh, street.en) for _, street in self._keys}
        return sorted(seen)

    def geocode(self, query: Any, *, exactly_one: bool = True, **_: Any) -> Any:
        """Place an address on a known street; None when no known street is named."""
        text = str(query)
        normalized = _normalize(text)
        for key, street in self._keys:
            if key and key in normalized:
                rest = normalized.replace(key, " ")
                if any(city in rest for city in _OTHER_CITIES):
                    return None
                number = _house_number(text, street)
                if number is not None and not 1 <= number <= street.max_number:
                    return None  # no such house on this street
                lat, lon = street.point(number)
                label = f"{number or ''} {street.en}, {street.district_en}, Shanghai".strip()
                location = Location(label, (lat, lon, 0.0), {"street": street.en, "number": number})
                return location if exactly_one else [location]
        return None


def _house_number(text: str, street: _Street) -> int | None:
    text = unicodedata.normalize("NFKC", text)
    match = re.search(re.escape(street.zh) + r"\s*(\d+)\s*号", text)
    if match:
        return int(match.group(1))
    match = re.search(r"(?:no\.?\s*)?(\d+)[,\s]+" + r"\s*".join(street.en.split()[:1]), text, re.I)
    return int(match.group(1)) if match else None


@cache
def _offline(path: str) -> OfflineGazetteer:
    return OfflineGazetteer(path or None)


def geocoder() -> Geocoder:
    """Return the geocoder chosen by configuration (GEOCODER, GEOCODER_OPTIONS)."""
    config = current_app.config
    name = config["GEOCODER"]
    if name == "offline":
        return _offline(config.get("GEOCODER_DATA") or "")
    service = get_geocoder_for_service(name)
    options = {"user_agent": config["GEOCODER_USER_AGENT"], **config["GEOCODER_OPTIONS"]}
    return service(**options)


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str


def geocode_address(address: str) -> Place:
    """Place an address or raise a 422 that says it could not be placed."""
    try:
        location = geocoder().geocode(address, exactly_one=True)
    except GeopyError as error:
        raise ServiceUnavailable(
            "The geocoding service is unavailable; send lat and lon with the job or retry.",
            code="geocoder_unavailable",
        ) from error
    if location is None:
        raise Unprocessable(
            f"Could not place the address {address!r}; check it or send lat and lon.",
            code="address_not_found",
            fields={"address": ["not found by the geocoder"]},
        )
    return Place(lat=location.latitude, lon=location.longitude, label=location.address)
