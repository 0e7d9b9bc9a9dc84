"""A place given by its INSEE commune code (France Travail's `lieuTravail.commune`).

The code is the API's own answer, stronger than any reading of the label: it gives the
commune (or Paris/Lyon/Marseille arrondissement), its department and region. An unknown
code returns None, and the label is then read as any other location string.
"""
from __future__ import annotations

import re

from pipeline.normalize.geography import get_geography
from pipeline.normalize.location import KEYS, upgrade_location

_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def location_from_insee(insee: str | None, postal_code: str | None = None, label: str | None = None) -> dict | None:
    """The location keys of `normalize_location` (territory keys included) for a known INSEE code, else None."""
    code = (insee or "").strip().upper()
    if not _INSEE.match(code):
        return None
    geo = get_geography()
    commune = geo.communes.get(code)
    if commune is None:
        return None
    department = geo.departments.get(commune.department)
    postal = (postal_code or "").strip()
    if postal not in commune.postal_codes:
        postal = commune.postal_codes[0] if len(commune.postal_codes) == 1 else None
    # an overseas collectivity is no département: upgrade_location moves its code to territory_code
    place = upgrade_location({"label": label, "city": commune.city, "postal_code": postal or None, "insee": code,
                              "department_code": commune.department,
                              "region_code": department.region_code if department else None})
    return {k: place.get(k) for k in KEYS}
