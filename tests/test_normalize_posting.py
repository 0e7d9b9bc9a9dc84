import importlib.util
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from parsers import samples
from pipeline.sanitize import plain_text
from pipeline.normalize import normalize_posting, posting
from pipeline.normalize.title import GENDER_MARKER

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
NOW = datetime(2026, 10, 6, 6, 0, tzinfo=timezone.utc)
KEYS = {
    "title", "title_raw", "title_key", "positions", "reference", "employer", "employer_key", "employer_category",
    "versant", "category", "grades", "categories", "contract", "remote", "metier", "domain", "location", "published_on",
    "deadline", "url", "missions_html", "profile_html", "about_html", "experience", "salary", "unresolved",
    "apply_url", "starts_on", "filiere", "working_time", "description_html", "classify_domain",
    "salary_details", "modified_on", "relayed_references",
}
DEPARTMENTS = {"92": ("Hauts-de-Seine", "11"), "56": ("Morbihan", "53"), "75": ("Paris", "11"),
               "64": ("Pyrénées-Atlantiques", "75"), "69": ("Rhône", "84"), "94": ("Val-de-Marne", "11")}
CITIES = {"malakoff": ("Malakoff", "92"), "espelette": ("Espelette", "64"), "lyon": ("Lyon", "69"), "paris": ("Paris", "75")}


def fake_location(value, department=None):
    """Stand-in with the signature of pipeline.normalize.location.normalize_location."""
    out = dict.fromkeys(posting.LOCATION_KEYS)
    if not value:
        return out
    out["label"] = value
    code = re.search(r"\((\d{2})\s*\)", value)
    city = next((c for word, c in CITIES.items() if word in value.lower()), None)
    if city:
        out["city"], code_value = city
        out["department_code"] = code_value
    elif code and code.group(1) in DEPARTMENTS:
        out["department_code"] = code.group(1)
    if out["department_code"]:
        out["department"], out["region_code"] = DEPARTMENTS[out["department_code"]]
    return out


@pytest.fixture
def fake_locate(monkeypatch):
    monkeypatch.setattr(posting, "_LOCATE", fake_location)
    posting._locate.cache_clear()
    yield
    posting._locate.cache_clear()


def test_csp_territorial_offer(fake_locate):
    raw = {
        "source": "csp",
        "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-hf---conseil-dpartemental-du-morbihan-reference-O056261001001569/",
        "title": "Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN",
        "employer": "Conseils départementaux",
        "location_area": "Morbihan (56)",
        "versant": "Fonction publique Territoriale",
        "published": "En ligne depuis le 01 octobre 2026",
        "deadline": "Date limite de candidature : 15/10/2026",
        "domain": "Ressources humaines",
    }
    result = normalize_posting(raw, NOW)
    assert set(result) == KEYS
    assert result["title"] == "Chargé de recrutement"
    assert result["title_raw"] == raw["title"]
    assert result["title_key"] == "charge de recrutement"
    assert result["employer"] == "CONSEIL DÉPARTEMENTAL DU MORBIHAN"
    assert result["employer_category"] == "Conseils départementaux"
    assert result["reference"] == "O056261001001569"
    assert result["versant"] == "territoriale"
    assert result["location"]["department_code"] == "56"
    assert result["published_on"] == "2026-10-01"
    assert result["deadline"] == "2026-10-15"
    assert result["unresolved"] == []


def test_state_offer_from_talentsoft(fake_locate):
    raw = samples.talentsoft_json(FIXTURES / "talentsoft-2021-sample.json")[0]
    result = normalize_posting(raw, NOW)
    assert result["title"] == "DGCCRF-Réglementation RH, déontologie, contentieux, discipline"
    assert result["reference"] == "MEF_2021-4760"
    assert result["category"] == "A"
    assert result["versant"] == "etat"
    assert result["contract"] == "titulaires_et_contractuels"
    assert result["employer"].startswith("Direction générale de la concurrence")
    assert result["employer_category"] is None
    assert result["published_on"] == "2021-08-27"
    assert result["deadline"] == "2021-12-24"
    assert result["metier"] == "Rédactrice/ Rédacteur juridique"
    assert result["location"]["department_code"] == "75"
    assert result["grades"] == []


def test_emploi_territorial_offer(fake_locate):
    raw = samples.emploi_territorial_json(FIXTURES / "emploi-territorial-2026.json")[0]
    result = normalize_posting(raw, NOW)
    assert raw["source"] == "emploi-territorial" and "reference" not in raw
    assert result["reference"] == "O064260305001172"
    assert result["title"] == "ASVP"
    assert result["employer"] == "Commune d'Espelette"  # readable case (pipeline/normalize/case.py)
    assert result["category"] == "C"
    assert result["contract"] == "contractuels"
    assert result["remote"] is False
    assert result["deadline"] == "2026-04-15"
    assert result["location"]["city"] == "Espelette"
    assert result["location"]["department_code"] == "64"


def test_remote_from_location_string(fake_locate):
    raw = {"source": "csp", "url": "https://x/offre-emploi/2026-1/", "title": "Dev",
           "location": "27 BOULEVARD DE STALINGRAD 92240 MALAKOFF (télétravail possible)"}
    result = normalize_posting(raw, NOW)
    assert result["remote"] is True
    assert result["location"]["city"] == "Malakoff"
    raw["remote"] = "Télétravail possible : Non"
    assert normalize_posting(raw, NOW)["remote"] is False


def test_location_prefers_precise_then_area(fake_locate):
    base = {"source": "csp", "url": "https://x/offre-emploi/2026-1/", "title": "Dev"}
    precise = normalize_posting({**base, "location": "59 boulevard Vincent-Auriol Paris", "location_area": "Paris (75)"}, NOW)
    assert precise["location"]["city"] == "Paris"
    unresolved = normalize_posting({**base, "location": "Préfecture", "location_area": "Hauts-de-Seine (92)"}, NOW)
    assert unresolved["location"]["department_code"] == "92"
    assert "location" not in unresolved["unresolved"]


def test_location_never_mixes_departments(fake_locate):
    raw = {"source": "csp", "url": "https://x/offre-emploi/2026-1/", "title": "Dev",
           "location": "18 quai claude bernard 69007 lyon", "location_area": "Hauts-de-Seine (92)"}
    location = normalize_posting(raw, NOW)["location"]
    assert location["department_code"] == "92"
    assert location["city"] is None


def test_unresolved_fields(fake_locate):
    raw = {"source": "csp", "url": "https://x/offre", "title": "Dev", "reference": "Vacant", "versant": "Apprentissage et Stage",
           "category": "Sans objet", "published": "Vacant", "contract": "bof", "remote": "peut-être", "location": "Nulle part"}
    result = normalize_posting(raw, NOW)
    assert set(result["unresolved"]) == {"reference", "versant", "category", "published", "contract", "remote", "location"}
    assert normalize_posting({"source": "csp", "url": "https://x/offre", "title": "Dev"}, NOW)["unresolved"] == []


def test_mixed_grades_counted_unresolved(fake_locate):
    raw = {"source": "emploi-territorial", "url": "https://www.emploi-territorial.fr/offre/o095260116001157-x",
           "title": "Responsable pôle Achats - négociation F/H", "grades": "Attaché Rédacteur"}
    result = normalize_posting(raw, NOW)
    assert result["category"] is None and result["grades"] == ["Attaché", "Rédacteur"]
    assert result["categories"] == ["A", "B"]  # the span, not a guess
    assert "category" in result["unresolved"]
    assert result["title"] == "Responsable pôle Achats - négociation"


def test_metier_cleaned_and_html_untouched(fake_locate):
    raw = {"source": "csp", "url": "https://x/offre", "title": "Dev", "metier": " *Chargée / Chargé  de communication* ",
           "missions_html": "<p>Missions <b>clés</b></p>", "profile_html": "<script>x</script>"}
    result = normalize_posting(raw, NOW)
    assert result["metier"] == "Chargée / Chargé de communication"
    assert result["missions_html"] == raw["missions_html"]
    assert result["profile_html"] == raw["profile_html"]


def test_published_range_fills_deadline(fake_locate):
    raw = {"source": "csp-opendata", "url": "https://x/offre", "title": "Dev", "published": "du 14/08/2026 au 13/09/2026"}
    result = normalize_posting(raw, NOW)
    assert (result["published_on"], result["deadline"]) == ("2026-08-14", "2026-09-13")


def test_talentsoft_csv_territorial_rows(fake_locate):
    rows = samples.talentsoft_csv(FIXTURES / "talentsoft-2021-01-sample.csv")
    by_ref = {result["reference"]: result for result in (normalize_posting(r, NOW) for r in rows)}
    neuilly = by_ref["O09261-201633"]
    assert neuilly["employer"] == "Mairie de NEUILLY-SUR-SEINE"
    assert neuilly["employer_category"] == "Communes"
    assert neuilly["title"] == "Responsable d'applications"
    assert neuilly["category"] == "A"
    assert neuilly["versant"] == "territoriale"


def test_pole_emploi_rows(fake_locate):
    rows = samples.pole_emploi_csv(FIXTURES / "pep-to-pole-emploi-2021-sample.csv")
    assert len(rows) == 6
    results = [normalize_posting(r, NOW) for r in rows]
    assert all(r["reference"] for r in results)
    infra = next(r for r in results if r["reference"] == "2020-458922")
    assert infra["title"] == "Gestionnaire d'Infrastructures"
    assert infra["category"] == "A"
    assert infra["grades"] == ["Assistant-e ingénieur-e"]


@pytest.mark.parametrize(
    "adapter, name",
    [
        (samples.talentsoft_json, "talentsoft-2021-sample.json"),
        (samples.talentsoft_csv, "talentsoft-2021-01-sample.csv"),
        (samples.pole_emploi_csv, "pep-to-pole-emploi-2021-sample.csv"),
        (samples.emploi_territorial_json, "emploi-territorial-2026.json"),
        (lambda path: json.loads(path.read_text(encoding="utf-8")), "csp-list-cards.json"),
    ],
)
def test_every_fixture_record_normalises(fake_locate, adapter, name):
    for raw in adapter(FIXTURES / name):
        assert raw["source"] in {"csp", "emploi-territorial"} and raw["url"] and raw["title"]
        result = normalize_posting(raw, NOW)
        assert set(result) == KEYS
        assert result["title"] and not GENDER_MARKER.search(result["title"])
        assert result["reference"]
        assert result["title_raw"] == plain_text(raw["title"])  # as published, whitespace folded


@pytest.mark.skipif(importlib.util.find_spec("pipeline.normalize.location") is None, reason="location normaliser not written yet")
def test_with_the_real_location_normaliser():
    from pipeline.normalize.location import normalize_location

    posting._locate.cache_clear()
    monkey = posting._LOCATE
    posting._LOCATE = normalize_location
    try:
        cards = json.loads((FIXTURES / "csp-list-cards.json").read_text(encoding="utf-8"))
        results = [normalize_posting(card, NOW) for card in cards]
        assert all(r["location"]["department_code"] for r in results)
        assert results[0]["location"]["department_code"] == "92"
    finally:
        posting._LOCATE = monkey
        posting._locate.cache_clear()


def test_registry_of_cli_fields():
    from pipeline import normalize

    assert set(normalize.FIELDS) == {"title", "category", "versant", "contract", "location", "remote", "date", "reference", "employer"}
    assert normalize.FIELDS["title"]("Chef.fe de projet H/F", None)["title"] == "Chef.fe de projet"
    assert normalize.FIELDS["category"]("Catégorie A (cadre)", None) == {"category": "A", "grades": [], "categories": ["A"]}
    assert normalize.FIELDS["category"]("Rédacteur, Rédacteur principal", None) == {
        "category": "B", "grades": ["Rédacteur", "Rédacteur principal"], "categories": ["B"]}
    assert normalize.FIELDS["date"]("il y a 3 jours", NOW) == {"date": "2026-10-03", "end": None}
    assert normalize.FIELDS["reference"]("o056261001001569", NOW) == {"reference": "O056261001001569"}
    assert normalize.FIELDS["employer"]("Communes", None)["employer_category"] == "Communes"
    assert set(normalize.FIELDS["location"]("Paris (75)", None)) == set(posting.LOCATION_KEYS)
    for name in ["normalize_title", "normalize_category", "normalize_versant", "normalize_contract", "normalize_location",
                 "normalize_remote", "normalize_date", "normalize_reference", "normalize_employer", "normalize_posting",
                 "reference_from_url"]:
        assert callable(getattr(normalize, name))
