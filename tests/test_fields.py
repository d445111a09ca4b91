"""Shared marshmallow fields: the rules every endpoint inherits."""

import re
from datetime import UTC, datetime

import marshmallow as ma
import pytest

from app.fields import YEARS, Instant


class _At(ma.Schema):
    at = Instant(required=True)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("1970-01-01T00:00:00+14:00", datetime(1969, 12, 31, 10, tzinfo=UTC)),
        ("2099-12-31T23:00:00-05:00", datetime(2100, 1, 1, 4, tzinfo=UTC)),
        ("2026-11-25T08:30:00+08:00", datetime(2026, 11, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_instants_in_the_years_1970_to_2099_as_written_are_kept(text, utc):
    assert _At().load({"at": text})["at"] == utc
    assert re.match(YEARS, text)


@pytest.mark.parametrize(
    "text", ["1969-12-31T23:59:59+00:00", "2100-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00"]
)
def test_instants_outside_those_years_are_refused_like_the_document_says(text):
    with pytest.raises(ma.ValidationError, match="1970–2099"):
        _At().load({"at": text})
    assert not re.match(YEARS, text)


def test_an_instant_without_an_offset_is_refused():
    with pytest.raises(ma.ValidationError):
        _At().load({"at": "2026-11-25T08:30:00"})
