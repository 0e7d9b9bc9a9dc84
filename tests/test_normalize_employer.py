import json
from pathlib import Path

import pytest

from pipeline.normalize import normalize_employer
from pipeline.normalize.employer import is_employer_category, title_suffix

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


def test_category_takes_employer_from_title_suffix():
    assert normalize_employer("Conseils départementaux", "Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN") == {
        "employer": "CONSEIL DÉPARTEMENTAL DU MORBIHAN",
        "employer_key": "conseil departemental du morbihan",
        "employer_category": "Conseils départementaux",
    }


def test_category_without_suffix_keeps_category_only():
    assert normalize_employer("Etablissements publics de coopération intercommunale", "Chargé de recrutement  (h/f)") == {
        "employer": None,
        "employer_key": None,
        "employer_category": "Etablissements publics de coopération intercommunale",
    }


@pytest.mark.parametrize(
    "category, title, employer",
    [
        ("Communes", "Chargé de recrutement et formation - H/F - Mairie de TRAPPES", "Mairie de TRAPPES"),
        ("Communes", "Chargé de recrutement H/F - Créteil", "Créteil"),
        ("Etablissements publics locaux", "Chargé de recrutement - CENTRE DE GESTION DE LA FPT DE L'OISE",
         "CENTRE DE GESTION DE LA FPT DE L'OISE"),
        ("Centres communaux d'Action Sociale", "Chargé de recrutement - C.C.A.S DE GRENOBLE", "C.C.A.S DE GRENOBLE"),
        ("Conseils régionaux", "CHARGE DE RECRUTEMENT - REGION AUVERGNE RHONE-ALPES", "REGION AUVERGNE RHONE-ALPES"),
        ("Centres de gestion", "Juriste (F/H) - CDG 35", "CDG 35"),
    ],
)
def test_category_table(category, title, employer):
    result = normalize_employer(category, title)
    assert result["employer"] == employer
    assert result["employer_category"] == category


def test_plain_employer():
    assert normalize_employer("Direction du renseignement et de la sécurité de la Défense (DRSD)") == {
        "employer": "Direction du renseignement et de la sécurité de la Défense (DRSD)",
        "employer_key": "direction du renseignement et de la securite de la defense drsd",
        "employer_category": None,
    }


def test_cleaning_and_apostrophes():
    assert normalize_employer("COMMUNE D’ESPELETTE")["employer"] == "COMMUNE D'ESPELETTE"
    assert normalize_employer("  Université de\n   Lyon 2 ")["employer"] == "Université de Lyon 2"
    assert normalize_employer("Ville de cherbourg-en-cotentin")["employer_key"] == "ville de cherbourg en cotentin"
    assert normalize_employer("Mairie de troyes")["employer_key"] == normalize_employer("MAIRIE DE TROYES")["employer_key"]


def test_multi_line_blurbs():
    assert normalize_employer("PRESENTATION du service :\nLe service des ressources humaines (SRH) est composé")["employer"] is None
    long_blurb = "Mairie de X\n" + "Une commune dynamique et attractive. " * 10
    assert normalize_employer(long_blurb)["employer"] == "Mairie de X"


def test_empty():
    assert normalize_employer(None) == {"employer": None, "employer_key": None, "employer_category": None}
    assert normalize_employer("  ")["employer"] is None


def test_helpers():
    assert is_employer_category("Conseils départementaux")
    assert is_employer_category("COMMUNES")
    assert not is_employer_category("Commune de colmar")
    assert title_suffix("Chef de projet (H/F)") is None
    assert title_suffix("Chef de projet - H/F") is None


def test_csp_listing_cards():
    cards = json.loads((FIXTURES / "csp-list-cards.json").read_text(encoding="utf-8"))
    territorial = [c for c in cards if "Territoriale" in c["versant"]]
    assert len(territorial) == 16
    for card in territorial:
        result = normalize_employer(card["employer"], card["title"])
        assert result["employer_category"] == card["employer"]
        if " - " in card["title"]:
            assert result["employer"], card["title"]
        else:
            assert result["employer"] is None
