"""Product categories a brand sells and a dealer may be authorized for."""

from enum import StrEnum


class Category(StrEnum):
    DOOR = "door"
    FURNITURE = "furniture"
    APPLIANCE = "appliance"
    OTHER = "other"
