"""marshmallow fields shared by every domain: time zones, phone numbers, skills, coordinates."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Any

import marshmallow as ma
import phonenumbers

# Every "not valid" message names the form expected, with an example. marshmallow builds a
# field's messages from its class's default_error_messages when the field is made, so these
# are set on the classes once, before any schema exists (app/__init__.py imports this module
# first); query strings and path parameters read through webargs get them too. marshmallow
# formats each message with str.format, so a brace is written twice.
DATE_FORM = "Expected a date like 2026-12-08 (YYYY-MM-DD)."
INSTANT_FORM = "Expected an ISO 8601 date-time with offset, e.g. 2026-12-08T10:00:00+08:00."
EXPECTED_FORMS: dict[type[ma.fields.Field], dict[str, str]] = {
    ma.fields.Date: {"invalid": f"Not a valid date. {DATE_FORM}"},
    ma.fields.DateTime: {
        "invalid": f"Not a valid date-time. {INSTANT_FORM}",
        "invalid_awareness": f"A date-time without its UTC offset. {INSTANT_FORM}",
    },
    ma.fields.AwareDateTime: {
        "invalid": f"Not a valid date-time. {INSTANT_FORM}",
        "invalid_awareness": f"A date-time without its UTC offset. {INSTANT_FORM}",
    },
    ma.fields.Time: {"invalid": "Not a valid time. Expected a time like 08:30 (HH:MM, 24 h)."},
    ma.fields.Integer: {"invalid": "Not a valid integer. Expected a whole number, e.g. 42."},
    ma.fields.Number: {"invalid": "Not a valid number. Expected a number, e.g. 31.23."},
    ma.fields.Boolean: {"invalid": "Not a valid boolean. Expected true or false."},
    ma.fields.String: {"invalid": 'Not a valid string. Expected text in quotes, e.g. "note".'},
    ma.fields.List: {"invalid": 'Not a valid list. Expected a JSON array, e.g. ["a", "b"].'},
    ma.fields.Nested: {"type": 'Not a valid object. Expected a JSON object, e.g. {{"key": 1}}.'},
    ma.fields.Dict: {"invalid": 'Not a valid object. Expected a JSON object, e.g. {{"key": 1}}.'},
    ma.fields.Email: {"invalid": "Not a valid e-mail address. Expected one like ops@example.com."},
    ma.fields.Url: {"invalid": "Not a valid URL. Expected one like https://example.com/hook."},
}


# A nested object that is not one is refused by its schema (not formatted: one brace).
SCHEMA_TYPE = 'Not a valid object. Expected a JSON object, e.g. {"key": 1}.'


def name_expected_forms() -> None:
    """Give marshmallow's fields and schemas the messages above (idempotent)."""
    for field_class, messages in EXPECTED_FORMS.items():
        own = field_class.__dict__.get("default_error_messages", {})
        field_class.default_error_messages = {**own, **messages}
    ma.Schema._default_error_messages = {**ma.Schema._default_error_messages, "type": SCHEMA_TYPE}


name_expected_forms()


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """Tell whether a name is an IANA time zone this server knows."""
    return name in _zones() and name not in {"localtime", "Factory"}


# The shape of a zone name, for the API document; the zone must also exist (is_timezone).
TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"
TIMEZONE_DESCRIPTION = (
    "An IANA time zone name of the tz database (e.g. Asia/Shanghai, Europe/Berlin, UTC)."
)


@cache
def timezone_names() -> list[str]:
    """Every zone name is_timezone accepts, sorted (the enum of the API document)."""
    return sorted(name for name in _zones() if is_timezone(name))


class TimeZone(ma.fields.String):
    """An IANA time zone name such as Asia/Shanghai."""

    default_error_messages = {
        "zone": "Unknown time zone {input!r}; use an IANA name like Asia/Shanghai."
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", "Asia/Shanghai")
        # The pattern states the shape; `format: time-zone` and the description that the zone
        # must exist (an enum of ~600 names would bloat the document and every test of it).
        metadata.setdefault("pattern", TIMEZONE_PATTERN)
        metadata.setdefault("format", "time-zone")
        metadata.setdefault("description", TIMEZONE_DESCRIPTION)
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


# E.164: +, then 7–15 digits, the first not 0; single spaces may group the digits.
PHONE_PATTERN = r"^\+[1-9]( ?[0-9]){6,14}$"
PHONE_DESCRIPTION = (
    "A phone number in E.164 form (+, country code, number; e.g. +8613812345678 or "
    "+86 138 1234 5678) that is valid in its country's numbering plan (libphonenumber's "
    "is_valid_number); answers show it without spaces."
)
_PHONE_FORM = re.compile(PHONE_PATTERN)


class Phone(ma.fields.String):
    """A valid phone number in E.164 form (+8613800138000)."""

    default_error_messages = {
        "phone": "Not a valid phone number in E.164 form (e.g. +8613812345678)."
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("example", "+8613812345678")
        # The pattern states the form; `format: phone` and the description state that the
        # number must also exist in its country's numbering plan, which no pattern can.
        metadata.setdefault("pattern", PHONE_PATTERN)
        metadata.setdefault("format", "phone")
        own = metadata.get("description")
        metadata["description"] = f"{own}. {PHONE_DESCRIPTION}" if own else PHONE_DESCRIPTION
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        # The documented form only: libphonenumber alone would also read "+8613812345678*".
        phone = normalize_phone(raw) if _PHONE_FORM.fullmatch(raw) else None
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


class Flag(ma.fields.Boolean):
    """A JSON true or false, as the document says; marshmallow would also take 1, "yes", "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class JsonNumber(ma.fields.Float):
    """A JSON number, as the document says; marshmallow would also take "1.5" (a string)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, str | bytes):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def Latitude(**kwargs: Any) -> ma.fields.Float:
    """Latitude in degrees, WGS84."""
    return JsonNumber(validate=ma.validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def Longitude(**kwargs: Any) -> ma.fields.Float:
    """Longitude in degrees, WGS84."""
    return JsonNumber(validate=ma.validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


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
