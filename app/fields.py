"""marshmallow fields shared by every domain: time zones, phone numbers, skills, coordinates."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Any

import marshmallow as ma
import phonenumbers


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """Tell whether a name is an IANA time zone this server knows."""
    return name in _zones() and name not in {"localtime", "Factory"}


# The shape of a zone name, for the API document; the zone must also exist (is_timezone).
TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


class TimeZone(ma.fields.String):
    """An IANA time zone name such as Asia/Shanghai."""

    default_error_messages = {
        "zone": "Unknown time zone {input!r}; use an IANA name like Asia/Shanghai."
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", "Asia/Shanghai")
        metadata.setdefault("pattern", TIMEZONE_PATTERN)
        metadata.setdefault("description", "An IANA time zone name")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if not is_timezone(name):
            raise self.make_error("zone", input=name)
        return name


def normalize_phone(value: str) -> str | None:
    """Return the E.164 form of a valid international number, or None."""
    if not isinstance(value, str) or not value.startswith("+") or len(value) > 20:
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(ma.fields.String):
    """A valid phone number in E.164 form (+8613800138000)."""

    default_error_messages = {
        "phone": "Not a valid phone number in E.164 form (e.g. +8613812345678)."
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", "+8613812345678")
        # Documents the E.164 form; spaces are accepted too and validity is libphonenumber's.
        metadata.setdefault("pattern", r"^\+[1-9][0-9]{6,14}$")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        phone = normalize_phone(raw)
        if phone is None:
            raise self.make_error("phone")
        return phone


# Ids are INTEGER columns: a larger number can name no row, and PostgreSQL refuses to compare it.
MAX_ID = 2**31 - 1


def Id(**kwargs: Any) -> ma.fields.Integer:
    """A row id given in a body or a query string."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


SKILL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def Skills(*, empty_default: bool = True, **kwargs: Any) -> ma.fields.List:
    """A list of distinct skill codes such as door_install."""
    if empty_default:
        kwargs.setdefault("load_default", list)
    return ma.fields.List(
        ma.fields.String(
            validate=ma.validate.Regexp(
                SKILL_PATTERN, error="Skill codes are lowercase letters, digits and _ (2–40)."
            )
        ),
        validate=[ma.validate.Length(max=20), distinct],
        metadata={"example": ["door_install"], "uniqueItems": True},
        **kwargs,
    )


def distinct(values: list[Any]) -> None:
    """Refuse repeated values (document the field with uniqueItems)."""
    if len(set(values)) != len(values):
        raise ma.ValidationError("Values must be distinct.")


def Latitude(**kwargs: Any) -> ma.fields.Float:
    """Latitude in degrees, WGS84."""
    return ma.fields.Float(validate=ma.validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def Longitude(**kwargs: Any) -> ma.fields.Float:
    """Longitude in degrees, WGS84."""
    return ma.fields.Float(validate=ma.validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


YEARS = "^(19[7-9][0-9]|20[0-9][0-9])-"  # 1970–2099, stated in the OpenAPI document


def in_years(year: int) -> bool:
    """Whether a year is in 1970–2099, the years YEARS states (far years overflow date arithmetic)."""
    return 1970 <= year <= 2099


def _in_years(value: datetime) -> None:
    if not in_years(value.year):
        raise ma.ValidationError("Out of range (years 1970–2099).")


def Instant(**kwargs: Any) -> ma.fields.AwareDateTime:
    """An aware ISO 8601 date-time in the years 1970–2099 as written (no overflow near year 1
    or 9999 when converted to UTC or moved by a few days)."""
    metadata = {"pattern": YEARS, **kwargs.pop("metadata", {})}
    return ma.fields.AwareDateTime(validate=_in_years, metadata=metadata, **kwargs)
