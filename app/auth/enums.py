"""Roles a credential can carry."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    BRAND = "brand"
    DEALER = "dealer"
    INSTALLER = "installer"


# Roles an API key may be issued for (installers sign in on their phone instead).
API_KEY_ROLES = (Role.ADMIN, Role.BRAND, Role.DEALER)
