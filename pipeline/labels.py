"""French display labels of coded values, from versioned data (data/labels/labels.json)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LABELS_PATH = Path(__file__).resolve().parent.parent / "data" / "labels" / "labels.json"


@lru_cache(maxsize=1)
def labels() -> dict:
    """The label tables, loaded once."""
    return json.loads(LABELS_PATH.read_text(encoding="utf-8"))


def labels_version() -> str:
    """The version of the label tables."""
    return labels()["version"]


def family_label(family: str | None) -> str | None:
    """'donnees' -> 'Données / Datascience / Open data' (the DINUM page's heading); None when unknown."""
    return labels()["families"].get(family) if family else None


def category_label(category: str | None) -> str | None:
    """'A' -> 'Cadre/Catégorie A'."""
    return labels()["categories"].get(category) if category else None


def versant_label(versant: str | None) -> str | None:
    """'etat' -> "Fonction publique de l'État"."""
    return labels()["versants"].get(versant) if versant else None


def contract_label(contract: str | None) -> str | None:
    """'contractuels' -> 'Ouvert aux contractuels'."""
    return labels()["contracts"].get(contract) if contract else None


def page_order() -> list[str]:
    """The DINUM page's theme headings, in the page's order."""
    return list(labels()["page_order"])


def location_display(location: dict | None) -> str | None:
    """'Malakoff (92)', else 'Hauts-de-Seine (92)' (an overseas collectivity: 'Papeete (987)',
    'Polynésie française (987)'), else the region, else None."""
    location = location or {}
    code = location.get("department_code") or location.get("territory_code")
    area = location.get("department") or location.get("territory")
    if location.get("city"):
        return f"{location['city']} ({code})" if code else location["city"]
    if area:
        return f"{area} ({code})" if code else area
    return location.get("region")
