"""Admin endpoints for API keys and the people who sign in to the web pages."""

from typing import Any

from app.auth import blp, users
from app.auth.decorators import require_role
from app.auth.enums import Role
from app.auth.schemas import (
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeySchema,
    UserCreateSchema,
    UserSchema,
)
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


@blp.route("/users", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(args: dict[str, Any]) -> Any:
    """Add a person who signs in to the web pages (dashboard, day plans) with a password."""
    with transaction():
        return users.create_user(**args)


@blp.route("/users", methods=["GET"])
@require_role(Role.ADMIN)
@blp.response(200, UserSchema(many=True))
def list_users() -> Any:
    """List the people who can sign in."""
    return users.list_users()


@blp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@require_role(Role.ADMIN)
@blp.response(200, UserSchema)
def deactivate_user(user_id: int) -> Any:
    """Stop a person signing in (their open sessions end too)."""
    with transaction():
        return users.deactivate_user(user_id)
