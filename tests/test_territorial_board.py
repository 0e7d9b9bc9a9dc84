"""What emploi-territorial postings add to the normalisation (pipeline/normalize/territorial_board.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.normalize import normalize_posting
from pipeline.normalize.territorial_board import department_of_reference, employer_key

NOW = datetime(2026, 10, 6, tzinfo=timezone.utc)


@pytest.mark.parametrize("reference, department", [
    ("O038260805000364", "38"), ("O009261002000001", "09"), ("O971260101000002", "971"),
    ("o085260814000428", "85"), ("O000260101000003", None), ("2026-1234567", None), (None, None),
])
def test_department_of_reference(reference, department):
    assert department_of_reference(reference) == department


def test_employer_key_from_board_id():
    assert employer_key("99452") == "emploi-territorial:99452"
    assert employer_key(None) is None and employer_key("abc") is None


def test_reference_settles_an_ambiguous_town():
    raw = {"source": "emploi-territorial", "url": "https://www.emploi-territorial.fr/offre/o974261001000001-x",
           "title": "Développeur (H/F)", "reference": "O974261001000001", "location": "Saint-Denis",
           "employer": "MAIRIE DE SAINT-DENIS", "extra": {"employer_id": "4242"}}
    fields = normalize_posting(raw, NOW)
    assert fields["location"]["department_code"] == "974" and fields["location"]["city"] == "Saint-Denis"
    assert fields["employer"] == "Mairie de Saint-Denis"
    assert fields["employer_key"] == "emploi-territorial:4242"
    assert fields["classify_domain"] is None


def test_other_boards_untouched():
    raw = {"source": "csp", "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/O974261001000001/",
           "title": "Développeur (H/F)", "location": "Saint-Denis", "employer": "MAIRIE DE SAINT-DENIS"}
    fields = normalize_posting(raw, NOW)
    assert fields["employer"] == "MAIRIE DE SAINT-DENIS" and fields["apply_url"] is None
    assert fields["location"]["department_code"] is None


def test_board_fields():
    raw = {"source": "emploi-territorial", "url": "https://www.emploi-territorial.fr/offre/o050260306001286-x",
           "title": "Expert applications métiers (H/F)", "employer": "Ville de cherbourg-en-cotentin",
           "extra": {"apply_url": "https://app.beetween.com/WeaselWeb/p/#/apply/job/zp04", "start_date": "05/05/2026",
                     "filiere": " Technique ", "working_time": "Temps  complet", "description_html": "<p>La DSI</p>"}}
    fields = normalize_posting(raw, NOW)
    assert fields["apply_url"] == "https://app.beetween.com/WeaselWeb/p/#/apply/job/zp04"
    assert fields["starts_on"] == "2026-05-05"
    assert fields["filiere"] == "Technique" and fields["working_time"] == "Temps complet"
    assert fields["description_html"] == "<p>La DSI</p>"
    raw["extra"].update(apply_url="javascript:alert(1)", start_date="Dès que possible")
    fields = normalize_posting(raw, NOW)
    assert fields["apply_url"] is None and fields["starts_on"] is None
