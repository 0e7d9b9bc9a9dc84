"""The live CSP parser gives exactly what the parser before the one-pass rewrite gave
(tests/csp_before.py, frozen), field for field: on every real capture, on replica pages,
and on pages bent to take the rare paths (two `main`, nested tables, cards everywhere)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers import csp
from replica import LISTING_PATH, ReplicaSite, generate_offers
from tests import csp_before

FIXTURES = Path(__file__).parent / "fixtures" / "csp"
CAPTURES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.html").exists())
BASE = "http://127.0.0.1:8000"
REAL = (FIXTURES / "offer-state" / "input.html").read_text(encoding="utf-8")
CARD = REAL[REAL.index('<div class="fr-card fr-card--offer">'):REAL.index("</main>")]


def outcome(parse, html: str, url: str):
    """The parse's output, or the kind and text of the exception it raised."""
    try:
        return parse(html, url)
    except Exception as exc:  # noqa: BLE001 - the failure is compared too
        return ("raised", type(exc).__name__, str(exc))


def assert_same(kind: str, html: str, url: str) -> None:
    before, now = (outcome(getattr(module, kind), html, url) for module in (csp_before, csp))
    if isinstance(before, dict) and isinstance(now, dict):
        differing = {k: (before.get(k), now.get(k)) for k in before.keys() | now.keys() if before.get(k) != now.get(k)}
        assert not differing, f"{url}: {differing}"
    assert now == before


@pytest.mark.parametrize("name", CAPTURES)
def test_real_captures(name):
    folder = FIXTURES / name
    url = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["url"]
    kind = "parse_listing" if name.startswith("listing") else "parse_offer"
    assert_same(kind, (folder / "input.html").read_text(encoding="utf-8"), url)


@pytest.mark.parametrize("seed", [3, 8])
def test_replica_pages(seed):
    site = ReplicaSite(generate_offers(400, seed=seed))
    for offer in site.offers[::5]:
        assert_same("parse_offer", site.render_detail(BASE, offer).decode(), BASE + offer.path)
    for page in range(1, site.last_page() + 1, 3):
        assert_same("parse_listing", site.render_listing(BASE, page).decode(), f"{BASE}{LISTING_PATH}page/{page}/")


def bent(old: str, new: str, count: int = 1) -> str:
    assert old in REAL
    return REAL.replace(old, new, count)


SECOND_MAIN = ('<main data-reference="OTHER-1"><h1>Autre titre</h1><ul><li><span class="sr-only">Employeur : </span>'
               'Autre employeur</li></ul><ul class="table"><li><span><strong>Management</strong></span><span>Non'
               '</span></li></ul><h2>Profil recherché</h2><div><p>autre profil</p></div>'
               '<a href="https://www.emploi-territorial.fr/offre/o1">lien</a></main>')
# The inner list's cell comes before the outer list's later "Télétravail possible" cell.
NESTED_TABLE = ('<ul class="table"><li class="table-cell"><span><strong>Catégorie</strong></span><span>Z</span>'
                '<ul class="table"><li><span><strong>Télétravail</strong></span><span>Peut-être</span></li></ul></li>')
ABOUT = REAL[REAL.index('<div class="strate-two-columns about-agency'):REAL.index('<div class="strate strate-accordions')]
BENT = {
    "second main after the first": bent("</main>", "</main>" + SECOND_MAIN),
    "a main inside the main": bent("</main>", SECOND_MAIN + "</main>"),
    "no main": REAL.replace("<main ", "<div ").replace("</main>", "</div>"),
    "nested table lists": bent('<ul class="table">', NESTED_TABLE),
    "two about blocks": bent(ABOUT, ABOUT + ABOUT.replace("<p>", "<p>Bis ")),
    "no about block": bent("about-agency", "about"),
    "card at the top of main": bent('data-reference="DEF_15-00064919">', 'data-reference="DEF_15-00064919">' + CARD),
    "card holding inputs": bent('data-at-internet="626657">', 'data-at-internet="626657"><div class="x fr-card">'
                                '<input id="content_ref" value="CARD"></div>'),
    "card holding the only about block": bent(ABOUT, "").replace("<main ", f'<div class="fr-card">{ABOUT}</div><main '),
    "card holding a second about block": bent("<main ", f'<div class="fr-card">{ABOUT}</div><main '),
    "card class split by tabs and newlines": bent('<div class="fr-card fr-card--offer">',
                                                   '<div class="\tfr-card\n fr-card--offer">'),
    "class that only contains the word": bent('<ul class="table">', '<ul class="table xfr-card fr-cards">'),
    "card tail text kept": bent('<div class="fr-card fr-card--offer">', 'avant<div class="fr-card fr-card--offer">'),
    "two canonical links": bent("</head>", '<link rel="canonical" href="https://example.org/b"></head>'),
    "canonical link without href first": bent("<head>", '<head><link rel="canonical">'),
    "xml declaration": '<?xml version="1.0"?>' + REAL,
    "json document": '{"title": "x"}',
    "empty": "",
    "blank": " \n ",
    "nul bytes": REAL.replace("<h1", "\x00<h1", 1),
    "no title": "<html><body><main><p>rien</p></main></body></html>",
}


@pytest.mark.parametrize("name", sorted(BENT))
def test_bent_pages(name):
    url = "https://choisirleservicepublic.gouv.fr/offre-emploi/x/"
    assert_same("parse_offer", BENT[name], url)
    assert_same("parse_listing", BENT[name], url)


@pytest.mark.parametrize("conditions", [
    None, "", "<p>Grade(s) recherché(s) : Attaché, Rédacteur</p>", "Attaché<br>Rédacteur principal",
    "<div><p>Poste ouvert sur les grades suivants de la Fonction Publique Territoriale : Ingénieur</p></div>",
    "<ul><li>Permis B</li><li>Grades : A &amp; B</li></ul>", "<p>texte\x00nul</p>", "  <p> </p> ",
])
@pytest.mark.parametrize("territorial", [False, True])
def test_grades_from(conditions, territorial):
    assert csp.grades_from(conditions, territorial) == csp_before.grades_from(conditions, territorial)
