"""The emploi-territorial parsers on the real listing row and RSS item, and on detail pages
built from real label/value pairs (fixture folders, see tests/fixtures/emploi_territorial/README.md)."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from parsers.csp import ParseError
from parsers.emploi_territorial import parse_listing, parse_offer, parse_rss, strip_tracking
from pipeline.normalize import normalize_posting

FIXTURES = Path(__file__).parent / "fixtures" / "emploi_territorial"
FOLDERS = sorted(p.parent.name for p in FIXTURES.glob("*/meta.json"))
NOW = datetime(2026, 8, 20, 8, 0, tzinfo=timezone.utc)


def parse_folder(name: str):
    folder = FIXTURES / name
    meta = json.loads((folder / "meta.json").read_text())
    html = (folder / "input.html").read_text(encoding="utf-8")
    parser = {"listing": parse_listing, "rss": parse_rss, "offer": parse_offer}[meta["kind"]]
    return parser(html, meta["url"])


@pytest.mark.parametrize("name", FOLDERS)
def test_fixture_folder(name):
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    assert parse_folder(name) == expected


def test_real_listing_row_gives_the_offer_once():
    page = parse_folder("listing-real-row")
    assert len(page["rows"]) == 1  # the row is given twice, as the board renders it
    raw = page["rows"][0]
    assert raw["reference"] == "O038260805000364"
    assert raw["employer_id"] == "99452"
    assert raw["filiere"] == "Technique"
    assert raw["url"] == "https://www.emploi-territorial.fr/offre/o038260805000364-technicien-administrateur-systemes-et-reseaux"
    fields = normalize_posting(raw, NOW)
    assert fields["title"] == "Technicien Administrateur Systèmes et Réseaux - Sécurité"  # no (H/F) marker
    assert fields["employer"] == "Mairie de Montbonnot-St-Martin"
    assert fields["employer_key"] == "emploi-territorial:99452"
    assert fields["location"]["department_code"] == "38"
    assert fields["location"]["region"] == "Auvergne-Rhône-Alpes"
    assert fields["categories"] == ["A", "B"]
    assert fields["published_on"] == "2026-08-05"
    assert fields["versant"] == "territoriale"
    assert fields["unresolved"] == ["category"]  # two catégories: `category` stays null, `categories` has both


def test_real_rss_item():
    (raw,) = parse_folder("rss-real-item")
    assert raw["reference"] == "O085260814000428"
    assert "mtm_campaign" not in raw["url"]
    assert raw["employer"] == "CONSEIL DEPARTEMENTAL DE LA VENDEE"  # as found
    assert not any(k.endswith("_html") for k in raw)  # the feed has no description: none invented
    fields = normalize_posting(raw, NOW)
    assert fields["employer"] == "Conseil départemental de la Vendée"
    assert fields["location"]["city"] == "La Roche-sur-Yon"
    assert fields["location"]["department_code"] == "85"
    assert fields["published_on"] == "2026-08-14"
    assert fields["missions_html"] is None and fields["profile_html"] is None


def test_detail_reads_labels_not_positions():
    first = parse_folder("offer-cherbourg")
    reordered = parse_folder("offer-reordered-several-grades")
    for key in ("description_html", "missions_html", "profile_html", "disability_html", "employer", "deadline"):
        assert first[key] == reordered[key]
    assert reordered["grades"] == "Ingénieur, Ingénieur principal, Technicien principal de 1ère classe"
    fields = normalize_posting({**first, "category": None}, NOW)
    assert fields["grades"] == ["Ingénieur", "Ingénieur principal"] and fields["category"] == "A"
    assert fields["location"]["city"] == "Cherbourg-en-Cotentin"
    assert fields["deadline"] == "2026-04-06"


def test_missing_labels_stay_absent():
    full, missing = parse_folder("offer-espelette"), parse_folder("offer-missing-labels")
    for key in ("remote", "management", "salary", "deadline", "experience"):
        assert key in full and key not in missing
    assert missing["employer"] == "COMMUNE D'ESPELETTE" and missing["employer_id"] == "51234"
    assert "apply_url" not in missing


def test_apply_link_must_be_http():
    html = (FIXTURES / "offer-cherbourg" / "input.html").read_text(encoding="utf-8")
    html = html.replace("https://app.beetween.com/WeaselWeb/p/#/apply/job/zp04e1xeyg8n/expert-applications-metiers-h-f",
                        "javascript:alert(1)")
    assert "apply_url" not in parse_offer(html, "https://www.emploi-territorial.fr/offre/o050260306001286-x")


def test_a_page_without_employer_row_is_an_error():
    with pytest.raises(ParseError) as err:
        parse_offer("<html><body><div id='contenuOffre'><h2>Titre</h2></div></body></html>",
                    "https://www.emploi-territorial.fr/offre/o050260306001286-x")
    assert err.value.field == "employer"


def test_block_page_is_not_a_listing():
    page = parse_listing("<html><body><h1>Accès temporairement restreint</h1></body></html>",
                         "https://www.emploi-territorial.fr/emploi-mobilite/?page=3")
    assert page["rows"] == [] and not page["is_listing"] and page["total"] is None and page["page"] == 3


def test_total_from_either_marker():
    assert parse_listing('<input type="hidden" value="26613" id="nb-offres">', "https://x/?page=1")["total"] == 26613
    assert parse_listing("<span id='NbTotalOffre'>27 605 résultats</span>", "https://x/")["total"] == 27605


def test_strip_tracking():
    assert strip_tracking("https://www.emploi-territorial.fr/offre/o1?pk_campaign=ep&x=1") == \
        "https://www.emploi-territorial.fr/offre/o1?x=1"


if __name__ == "__main__" and "--regenerate" in sys.argv:
    for name in ("listing-real-row", "rss-real-item"):
        (FIXTURES / name / "expected.json").write_text(
            json.dumps(parse_folder(name), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
