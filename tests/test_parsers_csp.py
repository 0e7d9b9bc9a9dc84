"""The CSP parsers on real captured pages and derived variants (fixture folders)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from parsers.csp import ParseError, parse_listing, parse_offer

FIXTURES = Path(__file__).parent / "fixtures" / "csp"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.html").exists())


def run_case(name: str) -> dict:
    folder = FIXTURES / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    html = (folder / "input.html").read_text(encoding="utf-8")
    parse = parse_listing if name.startswith("listing") else parse_offer
    return parse(html, meta["url"])


@pytest.mark.parametrize("name", CASES)
def test_fixture_folder(name):
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    assert run_case(name) == expected


def test_real_state_offer_fields():
    record = run_case("offer-state")
    assert record["reference"] == "DEF_15-00064919"
    assert record["title"] == "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
    assert record["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert record["url"].endswith("/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/")
    assert record["location"] == "27 BOULEVARD DE STALINGRAD 92240 MALAKOFF"
    assert record["location_area"] == "Hauts-de-Seine (92)"
    assert record["remote"] == "Oui"
    assert record["published"] == "02/10/2026"
    assert record["metier"] == "Chargée / Chargé de gestion administrative et/ou de paie"
    assert record["domain"] == "Ressources humaines"
    assert "deadline" not in record  # the page gives none: never invented


def test_recommended_cards_do_not_leak_into_the_offer():
    record = run_case("offer-state")
    html = (FIXTURES / "offer-state" / "input.html").read_text(encoding="utf-8")
    assert "Gestionnaire de concours polyvalent" in html  # a recommended card
    assert all("Gestionnaire de concours" not in str(v) for v in record.values())


def test_territorial_offer_keeps_category_and_grades():
    record = run_case("offer-territorial")
    assert record["reference"] == "O056261001001569"
    assert record["employer_category"] == "Conseils départementaux"
    assert record["deadline"] == "15/11/2026"
    assert record["grades"] == "Attaché, Attaché principal, Rédacteur principal de 1ère classe"
    assert record["original_url"].startswith("https://www.emploi-territorial.fr/offre/o056261001001569")


def test_missing_fields_fall_back_to_json_ld_and_url():
    record = run_case("offer-missing-fields")
    assert record["url"] == "https://choisirleservicepublic.gouv.fr/offre-emploi/DEF_15-00064919/"
    assert record["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert record["published"] == "02/10/2026"
    assert "category" not in record and "contract" not in record


def test_listing_cards():
    page = run_case("listing-numerique")
    assert len(page["cards"]) == 20 and page["next_url"] is None
    first = page["cards"][0]
    assert first["title"] == "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
    assert first["location_area"] == "Hauts-de-Seine (92)"
    assert first["published"] == "En ligne depuis le 02 octobre 2026"
    assert page["cards"][1]["employer"] == "Conseils départementaux"


def test_old_listing_markup_yields_no_card():
    assert run_case("listing-old-markup")["cards"] == []


def test_pagination_next_link():
    html = ('<div class="fr-card fr-card--offer"><h3 class="fr-card__title"><a href="/offre-emploi/x-reference-2026-1/">X</a></h3></div>'
            '<nav class="fr-pagination"><ul class="fr-pagination__list"><li>'
            '<a class="fr-pagination__link fr-pagination__link--next" href="/nos-offres/filtres/domaine/3522/page/3/">Suivante</a>'
            '</li></ul></nav>')
    page = parse_listing(html, "http://127.0.0.1:8000/nos-offres/filtres/domaine/3522/page/2/")
    assert page["next_url"] == "http://127.0.0.1:8000/nos-offres/filtres/domaine/3522/page/3/"
    assert page["cards"][0]["url"] == "http://127.0.0.1:8000/offre-emploi/x-reference-2026-1/"


def test_page_without_title_is_a_named_error():
    with pytest.raises(ParseError) as error:
        parse_offer("<html><body><main><p>Erreur 500</p></main></body></html>", "https://example.org/offre-emploi/x/")
    assert error.value.field == "title" and "example.org" in str(error.value)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    for case in CASES:
        (FIXTURES / case / "expected.json").write_text(
            json.dumps(run_case(case), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
