"""SMS endpoints: brand templates, previews with segment counts, the outbox."""

from __future__ import annotations

from typing import Any

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.scoping import get_visible
from app.db import transaction
from app.errors import Forbidden
from app.jobs import service as jobs
from app.network.models import Brand
from app.notify import blp
from app.notify import service as notify
from app.notify.reactions import job_context
from app.notify.schemas import (
    MessageListArgsSchema,
    MessageSchema,
    PreviewInputSchema,
    PreviewSchema,
    TemplateInputSchema,
    TemplateSchema,
)
from app.notify.templates import BRAND_TEMPLATES
from app.pagination import page_schema, paginate


def _brand(brand_id: int) -> Brand:
    return get_visible(Brand, brand_id, current_principal())


@blp.route("/sms/preview", methods=["POST"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.arguments(PreviewInputSchema)
@blp.response(200, PreviewSchema)
def preview(args: dict[str, Any]) -> Any:
    """Render a message as it would be sent, with its encoding and segment count."""
    principal = current_principal()
    brand_id = args["brand_id"]
    if principal.role is Role.BRAND:
        if brand_id not in (None, principal.brand_id):
            raise Forbidden("A brand key previews only its own templates.")
        brand_id = principal.brand_id
    context: dict[str, Any] = {}
    if args["job_id"] is not None:
        job = jobs.get_job(principal, args["job_id"])
        context = {
            **job_context(job),
            "link": "https://example.invalid/b/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        }
        brand_id = job.brand_id
    context.update(args["context"])
    return notify.preview(
        template=args["template"],
        locale=args["locale"],
        brand_id=brand_id,
        context=context,
        body=args["body"],
    )


@blp.route("/brands/<int:brand_id>/sms-templates", methods=["GET"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.response(200, TemplateSchema(many=True))
def list_templates(brand_id: int) -> Any:
    """The brand's message texts in every language (its own wording where set)."""
    return notify.brand_templates(_brand(brand_id).id)


# The templates a brand may word itself, and the languages there is wording for.
TEMPLATE_PARAMETERS = [
    {
        "in": "path",
        "name": "template_key",
        "schema": {"type": "string", "enum": sorted(BRAND_TEMPLATES)},
    },
    {"in": "path", "name": "locale", "schema": {"type": "string", "enum": list(notify.LOCALES)}},
]


@blp.route(
    "/brands/<int:brand_id>/sms-templates/<template_key>/<locale>",
    methods=["PUT"],
    parameters=TEMPLATE_PARAMETERS,
)
@require_role(Role.ADMIN, Role.BRAND)
@blp.arguments(TemplateInputSchema)
@blp.response(200, TemplateSchema)
def put_template(args: dict[str, Any], brand_id: int, template_key: str, locale: str) -> Any:
    """Set the brand's own wording of a message (placeholders are checked)."""
    with transaction():
        brand = _brand(brand_id)
        notify.set_template(brand.id, template_key, locale, args["body"])
    return notify.brand_template(brand.id, template_key, locale)


@blp.route(
    "/brands/<int:brand_id>/sms-templates/<template_key>/<locale>",
    methods=["DELETE"],
    parameters=TEMPLATE_PARAMETERS,
)
@require_role(Role.ADMIN, Role.BRAND)
@blp.response(204)
def delete_template(brand_id: int, template_key: str, locale: str) -> None:
    """Go back to the built-in wording."""
    with transaction():
        notify.reset_template(_brand(brand_id).id, template_key, locale)


@blp.route("/sms/messages", methods=["GET"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.arguments(MessageListArgsSchema, location="query")
@blp.response(200, page_schema(MessageSchema))
def list_messages(args: dict[str, Any]) -> Any:
    """The outbox: what was sent, is waiting, failed or was suppressed (newest first)."""
    page, per_page = args.pop("page"), args.pop("per_page")
    return paginate(notify.search_messages(current_principal(), args), page=page, per_page=per_page)
