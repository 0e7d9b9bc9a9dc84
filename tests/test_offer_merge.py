"""An offer's fields from all its postings (pipeline/offer_merge.py)."""
from __future__ import annotations

from pipeline.offer_merge import merged_fields

CSP = {"title": "Chargé de recrutement", "employer": None, "employer_key": None,
       "employer_category": "Conseils départementaux", "grades": [], "categories": ["A"], "category": "A",
       "location": {"department_code": "56"}, "deadline": None, "metier": "Recruteur"}
ET = {"title": "Chargé recrutement", "employer": "Conseil départemental du Morbihan",
      "employer_key": "emploi-territorial:123", "employer_category": None, "grades": ["Attaché", "Rédacteur"],
      "categories": ["A", "B"], "category": None, "location": {"department_code": "56", "city": "Vannes"},
      "deadline": "2026-11-01", "metier": "Chargé de recrutement"}


def test_territorial_board_gives_the_employer_and_grades():
    out = merged_fields(CSP, "csp", [("emploi-territorial", ET)])
    assert out["employer"] == "Conseil départemental du Morbihan"
    assert out["employer_key"] == "emploi-territorial:123"
    assert out["employer_category"] == "Conseils départementaux"
    assert out["grades"] == ["Attaché", "Rédacteur"]
    assert out["title"] == "Chargé de recrutement" and out["metier"] == "Recruteur"  # the canonical's
    assert out["deadline"] == "2026-11-01"  # filled, the canonical had none
    assert out["category"] == "A" and out["categories"] == ["A"]


def test_a_real_csp_employer_is_kept():
    csp = {**CSP, "employer": "Ville de Vannes", "employer_category": None}
    assert merged_fields(csp, "csp", [("emploi-territorial", ET)])["employer"] == "Ville de Vannes"


def test_categories_joined_when_unsettled():
    csp = {**CSP, "category": None, "categories": []}
    assert merged_fields(csp, "csp", [("emploi-territorial", ET)])["categories"] == ["A", "B"]


def test_alone_unchanged():
    assert merged_fields(CSP, "csp", []) is CSP
