"""Shared fixtures: in-memory databases and raw posting records."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.store import open_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db():
    """A fresh in-memory database with the schema."""
    return open_db(":memory:")


def make_record(reference: str = "2026-1000001", **overrides) -> dict:
    """A plausible raw posting of the official board (a digital State offer)."""
    record = {
        "source": "csp",
        "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/developpeur-reference-{reference}/",
        "title": "Développeur / Développeuse full stack (H/F)",
        "reference": reference,
        "employer": "Direction interministérielle du numérique (DINUM)",
        "location": "Paris (75)",
        "category": "Catégorie A (cadre)",
        "versant": "Fonction Publique de l'Etat",
        "contract": "Emploi ouvert aux titulaires et aux contractuels",
        "remote": "Oui",
        "metier": "Développeuse / Développeur",
        "domain": "Numérique",
        "published": "02/10/2026",
        "missions_html": "<p>Développer des services publics numériques.</p>",
        "fetched_at": "2026-10-05T08:00:00+00:00",
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not None}


@pytest.fixture
def real_offer_record() -> dict:
    """The parsed real capture of DEF_15-00064919."""
    return json.loads((FIXTURES / "csp" / "offer-state" / "expected.json").read_text(encoding="utf-8"))
