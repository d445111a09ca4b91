"""Errors of uploads and proof of work."""

from app.errors import AppError, Conflict


class UploadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedUpload(AppError):
    status, code = 415, "unsupported_media_type"


class InvalidImage(AppError):
    status, code = 422, "invalid_image"


class ProofMissing(Conflict):
    code = "proof_missing"
