import pytest

from app.notify.segments import count_segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("你" * 70, "UCS-2", 70, 1),
        ("你" * 71, "UCS-2", 71, 2),
        ("你" * 134, "UCS-2", 134, 2),
        ("你" * 135, "UCS-2", 135, 3),
        ("a" * 69 + "你", "UCS-2", 70, 1),  # one Chinese character makes it all UCS-2
        ("a" * 150 + "é", "GSM-7", 151, 1),  # é is in GSM-7
        ("a" * 68 + "😀", "UCS-2", 70, 1),  # an emoji is two UTF-16 units
        ("a" * 69 + "😀", "UCS-2", 71, 2),
    ],
)
def test_segments(text, encoding, units, count):
    parts = count_segments(text)
    assert (parts.encoding, parts.units, parts.count) == (encoding, units, count)
