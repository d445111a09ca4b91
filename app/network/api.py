"""Thin views over the network rules: parse, call a service, serialise."""

from __future__ import annotations

from typing import Any

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.scoping import get_visible, visible
from app.db import transaction
from app.network import blp
from app.network import service as network
from app.network.models import Brand, Dealer
from app.network.schemas import (
    SERVICE_AREA_EXAMPLE,
    AuthorizationInputSchema,
    AuthorizationSchema,
    BrandCreateSchema,
    BrandSchema,
    BrandUpdateSchema,
    DealerCreateSchema,
    DealerSchema,
    DealerUpdateSchema,
    InstallerChangedSchema,
    InstallerCreateSchema,
    InstallerSchema,
    InstallerUpdateSchema,
    ServiceAreaInputSchema,
    ServiceAreaSchema,
    ShiftsInputSchema,
    TimeOffCreatedSchema,
    TimeOffInputSchema,
)
from app.network.signals import ask_jobs_at_risk
from app.pagination import PageArgsSchema, page_schema, paginate


def _dealer(dealer_id: int) -> Dealer:
    return get_visible(Dealer, dealer_id, current_principal())


def _with_risk(record: Any, schema: type, at_risk: list[int]) -> dict[str, Any]:
    """Describe a record with the booked jobs its change puts at risk."""
    fields = [name for name in schema().fields if name != "jobs_at_risk"]
    return {**{name: getattr(record, name) for name in fields}, "jobs_at_risk": at_risk}


def _area_out(area: Any) -> dict[str, Any]:
    return {
        "dealer_id": area.dealer_id,
        "geometry": area.geometry,
        "area_km2": network.area_km2(area.geometry),
        "updated_at": area.updated_at,
    }


@blp.route("/brands", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(BrandCreateSchema)
@blp.response(201, BrandSchema)
def create_brand(args: dict[str, Any]) -> Any:
    """Create a brand."""
    with transaction():
        return network.create_brand(**args)


@blp.route("/brands", methods=["GET"])
@require_role(Role.ADMIN)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(BrandSchema))
def list_brands(args: dict[str, Any]) -> Any:
    """List brands."""
    return paginate(visible(Brand, current_principal()).order_by(Brand.id), **args)


@blp.route("/brands/<int:brand_id>", methods=["GET"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.response(200, BrandSchema)
def get_brand(brand_id: int) -> Any:
    """Read a brand (a brand key reads its own)."""
    return get_visible(Brand, brand_id, current_principal())


@blp.route("/brands/<int:brand_id>", methods=["PATCH"])
@require_role(Role.ADMIN)
@blp.arguments(BrandUpdateSchema, required=False)
@blp.response(200, BrandSchema)
def update_brand(args: dict[str, Any], brand_id: int) -> Any:
    """Change a brand."""
    with transaction():
        return network.update_brand(network.get_brand(brand_id), args)


@blp.route("/dealers", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(DealerCreateSchema)
@blp.response(201, DealerSchema)
def create_dealer(args: dict[str, Any]) -> Any:
    """Create a dealer."""
    with transaction():
        return network.create_dealer(**args)


@blp.route("/dealers", methods=["GET"])
@require_role(Role.ADMIN)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(DealerSchema))
def list_dealers(args: dict[str, Any]) -> Any:
    """List dealers."""
    return paginate(visible(Dealer, current_principal()).order_by(Dealer.id), **args)


@blp.route("/dealers/<int:dealer_id>", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(200, DealerSchema)
def get_dealer(dealer_id: int) -> Any:
    """Read a dealer (a dealer key reads its own)."""
    return _dealer(dealer_id)


@blp.route("/dealers/<int:dealer_id>", methods=["PATCH"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(DealerUpdateSchema, required=False)
@blp.response(200, DealerSchema)
def update_dealer(args: dict[str, Any], dealer_id: int) -> Any:
    """Change a dealer's settings."""
    principal = current_principal()
    with transaction():
        return network.update_dealer(_dealer(dealer_id), args, by=principal.role)


@blp.route("/dealers/<int:dealer_id>/service-area", methods=["PUT"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(ServiceAreaInputSchema, example=SERVICE_AREA_EXAMPLE)
@blp.response(200, ServiceAreaSchema)
def put_service_area(args: dict[str, Any], dealer_id: int) -> Any:
    """Replace the dealer's service area (GeoJSON Polygon or MultiPolygon, [lon, lat])."""
    with transaction():
        area = network.set_service_area(_dealer(dealer_id), args)
    return _area_out(area)


@blp.route("/dealers/<int:dealer_id>/service-area", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(200, ServiceAreaSchema)
def get_service_area(dealer_id: int) -> Any:
    """Read the dealer's service area."""
    return _area_out(network.get_service_area(_dealer(dealer_id)))


@blp.route("/brands/<int:brand_id>/dealers", methods=["GET"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.response(200, AuthorizationSchema(many=True))
def list_authorizations(brand_id: int) -> Any:
    """List the dealers authorized to serve a brand, with their categories."""
    return network.list_authorizations(get_visible(Brand, brand_id, current_principal()))


@blp.route("/brands/<int:brand_id>/dealers/<int:dealer_id>", methods=["PUT"])
@require_role(Role.ADMIN)
@blp.arguments(AuthorizationInputSchema)
@blp.response(200, AuthorizationSchema)
def authorize_dealer(args: dict[str, Any], brand_id: int, dealer_id: int) -> Any:
    """Authorize a dealer for a brand in some categories (replaces the categories)."""
    with transaction():
        return network.authorize_dealer(
            network.get_brand(brand_id), network.get_dealer(dealer_id), args["categories"]
        )


@blp.route("/brands/<int:brand_id>/dealers/<int:dealer_id>", methods=["DELETE"])
@require_role(Role.ADMIN)
@blp.response(204)
def revoke_authorization(brand_id: int, dealer_id: int) -> None:
    """Withdraw a dealer's authorization for a brand."""
    with transaction():
        network.revoke_authorization(network.get_brand(brand_id), network.get_dealer(dealer_id))


@blp.route("/dealers/<int:dealer_id>/installers", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(InstallerCreateSchema)
@blp.response(201, InstallerSchema)
def create_installer(args: dict[str, Any], dealer_id: int) -> Any:
    """Add an installer, with weekly shifts, to a dealer."""
    with transaction():
        return network.create_installer(_dealer(dealer_id), args)


@blp.route("/dealers/<int:dealer_id>/installers", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(InstallerSchema))
def list_installers(args: dict[str, Any], dealer_id: int) -> Any:
    """List a dealer's installers."""
    return paginate(network.installers_of(_dealer(dealer_id)), **args)


@blp.route("/installers/<int:installer_id>", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(200, InstallerSchema)
def get_installer(installer_id: int) -> Any:
    """Read an installer."""
    return network.get_installer(current_principal(), installer_id)


@blp.route("/installers/<int:installer_id>", methods=["PATCH"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(InstallerUpdateSchema, required=False)
@blp.response(200, InstallerChangedSchema)
def update_installer(args: dict[str, Any], installer_id: int) -> Any:
    """Change an installer (skills, home base, capacity, active …); re-plans their booked days."""
    with transaction():
        installer = network.update_installer(
            network.get_installer(current_principal(), installer_id), args
        )
        return _with_risk(installer, InstallerChangedSchema, ask_jobs_at_risk(installer))


@blp.route("/installers/<int:installer_id>/shifts", methods=["PUT"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(ShiftsInputSchema)
@blp.response(200, InstallerChangedSchema)
def put_shifts(args: dict[str, Any], installer_id: int) -> Any:
    """Replace an installer's weekly shifts; re-plans their booked days on changed weekdays."""
    with transaction():
        installer = network.get_installer(current_principal(), installer_id)
        network.replace_shifts(installer, args["shifts"])
        return _with_risk(installer, InstallerChangedSchema, ask_jobs_at_risk(installer))


@blp.route("/installers/<int:installer_id>/time-off", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(TimeOffInputSchema)
@blp.response(201, TimeOffCreatedSchema)
def add_time_off(args: dict[str, Any], installer_id: int) -> Any:
    """Record an absence of an installer; re-plans their booked days it touches."""
    with transaction():
        installer = network.get_installer(current_principal(), installer_id)
        absence = network.add_time_off(installer, args)
        during = (absence.starts_at, absence.ends_at)
        return _with_risk(absence, TimeOffCreatedSchema, ask_jobs_at_risk(installer, during=during))


@blp.route("/installers/<int:installer_id>/time-off/<int:time_off_id>", methods=["DELETE"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(204)
def delete_time_off(installer_id: int, time_off_id: int) -> None:
    """Remove an absence; re-plans their booked days it touched."""
    with transaction():
        network.delete_time_off(
            network.get_installer(current_principal(), installer_id), time_off_id
        )
