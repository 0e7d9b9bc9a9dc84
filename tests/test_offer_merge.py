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


def test_same_reference_in_two_cases_is_one_offer_with_the_boards_employer(db):
    """A CSP territorial posting (upper-case reference, a category as employer) and its ET posting
    (lower-case reference from its URL) export as one offer with ET's employer and both sources."""
    from datetime import datetime, timezone

    from pipeline.export import build_export, validate_export
    from pipeline.lifecycle import rebuild_offers
    from pipeline.record import RawPosting
    from pipeline.store import start_run, write_raw_postings
    from tests.conftest import make_record

    csp = make_record("O056261001001569", title="Chargé de recrutement (H/F) - Département",
                      employer="Conseils départementaux", versant="Fonction Publique Territoriale",
                      location="Morbihan (56)", deadline="31/10/2026",
                      url="https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-reference-O056261001001569/")
    et = {"source": "emploi-territorial", "reference": "o056261001001569", "title": "Chargé de recrutement (H/F)",
          "url": "https://www.emploi-territorial.fr/offre/o056261001001569-charge-recrutement?pk_campaign=ep",
          "employer": "CONSEIL DEPARTEMENTAL DU MORBIHAN", "employer_id": "1234", "location": "Vannes",
          "grades": "Attaché, Rédacteur", "category": "Emploi de catégorie A, Emploi de catégorie B",
          "published": "01/10/2026", "fetched_at": "2026-10-05T09:00:00+00:00"}
    run = start_run(db, "ingest", "test")
    write_raw_postings(db, [RawPosting.from_dict(csp), RawPosting.from_dict(et)], run)
    rebuild_offers(db, now=datetime(2026, 10, 6, tzinfo=timezone.utc))
    document = build_export(db, include_all=True, now=datetime(2026, 10, 6, tzinfo=timezone.utc))
    validate_export(document)
    (offer,) = document["offers"]
    assert offer["employer"] == "Conseil départemental du Morbihan"
    assert offer["employer_category"] == "Conseils départementaux"
    assert [s["source"] for s in offer["sources"]] == ["csp", "emploi-territorial"]
    assert offer["grades"] == ["Attaché", "Rédacteur"]
    assert offer["url"].startswith("https://choisirleservicepublic.gouv.fr/")


def test_only_the_territorial_board_completes_an_offer():
    late_file = {**ET, "deadline": "2026-01-01"}
    out = merged_fields(CSP, "csp", [("csp-opendata", late_file), ("dinum-page", late_file)])
    assert out is CSP and out["deadline"] is None  # an old export's end date never closes a live offer
