"""Upload checks and storage: JPEG/PNG/WebP only, judged by content, stored by sha256.

The client's file name is never used for anything, and paths are built from a hex digest
alone, so no upload can choose where it is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import current_app
from PIL import Image, UnidentifiedImageError

from app.errors import Unprocessable
from app.field.errors import InvalidImage, UnsupportedUpload, UploadTooLarge

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Declared types that say nothing either way; anything else must match the content.
NEUTRAL_TYPES = frozenset({"", "application/octet-stream"})
MAX_PIXELS = 40_000_000
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Inspected:
    """What the bytes of an upload turned out to be."""

    content_type: str
    width: int
    height: int
    sha256: str
    size: int


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read an upload, refusing (413) as soon as it passes `limit` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(
            f"The file is larger than {limit} bytes; resize it before uploading.",
            fields={"file": [f"larger than {limit} bytes"]},
            max_bytes=limit,
        )
    if not data:
        raise Unprocessable("The file is empty.", fields={"file": ["empty"]})
    return data


def sniff(data: bytes) -> str | None:
    """Name the image type from its magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def inspect_image(data: bytes, declared: str | None) -> Inspected:
    """Check that the bytes are a whole JPEG, PNG or WebP image and agree with the declared type."""
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in NEUTRAL_TYPES and declared not in EXTENSIONS:
        raise UnsupportedUpload(
            f"Only JPEG, PNG or WebP images are accepted (declared {declared}).",
            fields={"file": ["not an accepted image type"]},
        )
    detected = sniff(data)
    if detected is None:
        raise UnsupportedUpload(
            "The file is not a JPEG, PNG or WebP image.",
            fields={"file": ["content is not JPEG, PNG or WebP"]},
        )
    if declared in EXTENSIONS and declared != detected:
        raise Unprocessable(
            f"The file was declared {declared} but its content is {detected}.",
            code="content_type_mismatch",
            fields={"file": [f"content is {detected}, not {declared}"]},
        )
    width, height = _decode(data, detected)
    return Inspected(
        content_type=detected,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def _decode(data: bytes, content_type: str) -> tuple[int, int]:
    """Let Pillow verify and fully decode the image (only the one expected decoder is tried)."""
    formats = [PILLOW_FORMATS[content_type]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=formats) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InvalidImage(
                        f"The image is {width}×{height}; at most {MAX_PIXELS} pixels.",
                        fields={"file": ["too many pixels"]},
                    )
                image.verify()
            with Image.open(BytesIO(data), formats=formats) as image:
                image.load()  # a truncated or corrupt body fails here, not in verify()
    except InvalidImage:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as error:
        raise InvalidImage(
            "The image could not be read; it may be truncated or corrupt.",
            fields={"file": ["not a readable image"]},
        ) from error
    return width, height


def upload_root() -> Path:
    """The directory uploads are stored under."""
    return Path(current_app.config["UPLOAD_DIR"]).resolve()


def blob_path(sha256: str, content_type: str) -> Path:
    """Where the bytes with this digest live: UPLOAD_DIR/ab/cd/abcd….ext."""
    if not _DIGEST.fullmatch(sha256) or content_type not in EXTENSIONS:
        raise ValueError("not a sha256 hex digest or not an accepted type")
    root = upload_root()
    path = root / sha256[:2] / sha256[2:4] / f"{sha256}.{EXTENSIONS[content_type]}"
    if not path.resolve().is_relative_to(root):
        raise ValueError("upload path escapes UPLOAD_DIR")
    return path


def store(data: bytes, inspected: Inspected) -> Path:
    """Write the bytes once under their digest (atomically; equal content is stored once)."""
    path = blob_path(inspected.sha256, inspected.content_type)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
