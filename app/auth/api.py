"""Admin endpoints for API keys."""

from typing import Any

from app.auth import blp
from app.auth.decorators import require_role
from app.auth.enums import Role
from app.auth.schemas import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema
from app.auth.service import create_api_key, list_api_keys, revoke_api_key
from app.db import transaction


@blp.route("/api-keys", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, ApiKeyCreatedSchema)
def create_key(args: dict[str, Any]) -> dict[str, Any]:
    """Issue an API key; the raw key is in this response only."""
    with transaction():
        key, raw_key = create_api_key(**args)
    return {**{name: getattr(key, name) for name in ApiKeySchema().fields}, "key": raw_key}


@blp.route("/api-keys", methods=["GET"])
@require_role(Role.ADMIN)
@blp.response(200, ApiKeySchema(many=True))
def list_keys() -> Any:
    """List API keys (hashes are never shown)."""
    return list_api_keys()


@blp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@require_role(Role.ADMIN)
@blp.response(200, ApiKeySchema)
def revoke_key(key_id: int) -> Any:
    """Revoke an API key; it answers 401 from now on."""
    with transaction():
        return revoke_api_key(key_id)
