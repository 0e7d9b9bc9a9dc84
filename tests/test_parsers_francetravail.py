"""parsers.francetravail on the real API answers (tests/fixtures/francetravail, origin in its README)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from parsers.francetravail import ParseError, content_range, parse_offer, parse_results, text_html
from pipeline.normalize import normalize_posting
from pipeline.record import RawPosting

FIXTURES = Path(__file__).parent / "fixtures" / "francetravail"
NOW = datetime(2025, 1, 14, tzinfo=timezone.utc)


def real_offers() -> list[dict]:
    one = json.loads((FIXTURES / "francetravail-offre-2024-11.json").read_text(encoding="utf-8"))
    four = json.loads((FIXTURES / "francetravail-5-offres-2025-01.json").read_text(encoding="utf-8"))
    return [one, *four]


def test_fixture_files_are_the_real_answers():
    raw = (FIXTURES / "francetravail-offre-2024-11.json").read_bytes()
    assert b"\r\n" in raw  # CRLF as published
    assert [o["id"] for o in real_offers()] == ["184TRJB", "186MFHR", "186LWRB", "186LPCT", "186JDCG"]


@pytest.mark.parametrize("offer", real_offers(), ids=lambda o: o["id"])
def test_every_real_offer_parses_with_every_key(offer):
    record = parse_offer(offer, "2025-01-14T06:00:00+00:00")
    posting = RawPosting.from_dict(record, where=offer["id"])  # a valid raw posting
    assert posting.source == "francetravail" and posting.reference == offer["id"]
    assert posting.url == f"https://candidat.francetravail.fr/offres/recherche/detail/{offer['id']}"
    assert posting.title == offer["intitule"]
    assert posting.published == offer["dateCreation"]
    assert posting.modified == offer.get("dateActualisation")
    assert posting.location == offer["lieuTravail"]["libelle"]
    assert posting.extra["location_insee"] == offer["lieuTravail"]["commune"]
    assert posting.extra["location_postal_code"] == offer["lieuTravail"]["codePostal"]
    assert posting.employer == (offer["entreprise"].get("nom") or None)
    assert posting.contract.startswith(offer["typeContratLibelle"]) and offer["natureContrat"] in posting.contract
    assert posting.experience == offer["experienceLibelle"]
    assert posting.salary == offer["salaire"]["libelle"]
    assert posting.metier == offer["romeLibelle"] and posting.extra["rome_code"] == offer["romeCode"]
    assert posting.extra["naf_code"] == offer["codeNAF"]
    assert posting.extra["origin"]["origine"] == offer["origineOffre"]["origine"]
    assert posting.original_url is None  # urlOrigine is the France Travail page itself
    assert posting.missions_html.startswith("<p>") and "\n" not in posting.missions_html
    # contact details are not kept: `contact.nom` holds a recruiter's name
    assert "contact" not in record and "M. X" not in json.dumps(record) and "Mme X" not in json.dumps(record)
    # every one of these real offers is a private company's (NAF 62/64): the filter drops it
    assert record["public_employer"]["public"] is False and record["public_employer"]["rule"] is None


def test_real_quirks():
    by_id = {o["id"]: o for o in real_offers()}
    no_name = parse_offer(by_id["186JDCG"])
    assert "employer" not in no_name  # unknown stays unknown
    assert "no public-employer rule matched" in no_name["public_employer"]["reason"]
    wizbii = parse_offer(by_id["186LWRB"])
    assert "cloud computing" in wizbii["profile_html"]  # competences without a code are kept
    lcl = parse_offer(by_id["186MFHR"])
    assert lcl["salary_extras"] == ["Primes", "Participation/action"]


def test_monthly_label_on_annual_amounts_is_not_a_monthly_salary():
    offer = real_offers()[0]
    assert offer["salaire"]["libelle"].startswith("Mensuel de 40000.0 Euros")
    fields = normalize_posting(RawPosting.from_dict(parse_offer(offer)).as_dict(), NOW)
    assert fields["salary"] == "Mensuel de 40000.0 Euros à 50000.0 Euros sur 12.0 mois"  # as written
    assert fields["salary_details"] == {"min": 40000.0, "max": 50000.0, "period": "year",
                                        "note": "labelled monthly, but the amounts are annual"}


def test_normalised_fields_of_a_real_offer():
    fields = normalize_posting(RawPosting.from_dict(parse_offer(real_offers()[0])).as_dict(), NOW)
    assert fields["location"] == {"label": "75 - PARIS 08", "city": "Paris", "postal_code": "75008", "insee": "75108",
                                  "department_code": "75", "department": "Paris", "region_code": "11",
                                  "region": "Île-de-France", "territory_code": "75", "territory": "Paris",
                                  "territory_kind": "departement"}  # the arrondissement's INSEE code, as given
    assert fields["contract"] == "contractuels"  # a contrat de travail (CDI): a contract post
    assert fields["published_on"] == "2024-11-28" and fields["modified_on"] == "2024-11-28"
    assert fields["experience"] == "4 An(s)"
    assert fields["unresolved"] == []
    overseas = dict(real_offers()[0], lieuTravail={"libelle": "987 - PAPEETE", "codePostal": "98714", "commune": "98735"})
    place = normalize_posting(RawPosting.from_dict(parse_offer(overseas)).as_dict(), NOW)["location"]
    assert place["department_code"] is None and place["territory_code"] == "987" and place["city"] == "Papeete"


def test_relayed_board_references():
    offer = dict(real_offers()[1])
    offer["description"] += "\nRéférence de l'offre : 2026-2190321"
    offer["origineOffre"] = {"origine": "2", "urlOrigine": "https://choisirleservicepublic.gouv.fr/offre-emploi/"
                                                           "developpeur-web-reference-MEF_2026-32366/",
                             "partenaires": [{"nom": "CHOISIR LE SERVICE PUBLIC", "url": "", "logo": ""}]}
    record = parse_offer(offer)
    assert record["relayed_references"] == ["MEF_2026-32366"]  # the origin first; two references never both
    assert record["original_url"].startswith("https://choisirleservicepublic.gouv.fr/")
    assert record["origin"] == {"origine": "2", "partners": ["CHOISIR LE SERVICE PUBLIC"]}
    assert record["public_employer"]["rule"] == "board_reference"
    offer["origineOffre"] = {"origine": "1", "urlOrigine": "https://candidat.francetravail.fr/offres/recherche/detail/X"}
    assert parse_offer(offer)["relayed_references"] == ["2026-2190321"]
    offer["description"] += "\nVoir aussi https://choisirleservicepublic.gouv.fr/offre-emploi/2026-2000001/"
    assert "relayed_references" not in parse_offer(offer)  # two in the text: ambiguous, none taken


def test_search_answer_and_content_range():
    assert content_range("offres 0-149/353") == (0, 149, 353)
    assert content_range("offres -1--1/353") == (-1, -1, 353)
    assert content_range("bytes 0-1/2") is None and content_range(None) is None
    body = json.dumps({"resultats": real_offers(), "filtresPossibles": []})
    assert [o["id"] for o in parse_results(body)][0] == "184TRJB"
    with pytest.raises(ParseError, match="resultats"):
        parse_results('{"resultats": 3}')
    with pytest.raises(ParseError, match="not JSON"):
        parse_results("<html>maintenance</html>")


def test_bad_offers_name_the_field():
    with pytest.raises(ParseError, match="'id'"):
        parse_offer({"intitule": "x"})
    with pytest.raises(ParseError, match="'intitule'"):
        parse_offer({"id": "184TRJB", "intitule": "  "})
    with pytest.raises(ParseError, match="dateCreation"):
        parse_offer({"id": "184TRJB", "intitule": "Dev", "dateCreation": 20241128})


def test_text_html_escapes_and_keeps_lines():
    assert text_html("a < b\r\nligne 2\n\n<script>x</script>") == "<p>a &lt; b<br>ligne 2</p><p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert text_html("  ") is None
