"""The preview site as files: structure, accessibility basics, links to the board, no external asset."""
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cli import main
from pipeline import labels
from pipeline.preview import build_preview
from pipeline.preview.links import board_url, is_board_url, mirrors
from pipeline.preview.site import json_for_script
from tests.portal_db import BOARD, GONE, MIRROR, NOW, build_portal_db, open_digital_references


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview")
    db = build_portal_db(folder / "portal.db")
    summary = build_preview(db, folder / "site", now=NOW)
    return folder / "site", summary, db


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def test_every_open_digital_offer_is_listed_without_javascript(site):
    folder, summary, _ = site
    page = soup_of(folder / "index.html")
    panels = page.select("#offres .panel")
    assert summary["offers"] == len(panels) == len(open_digital_references()) == 7
    assert not [p for p in panels if p.has_attr("hidden")]
    assert page.select_one("form#filtres").has_attr("hidden")  # the script reveals the filters
    listed = {re.search(r"reference-([\d-]+)/", p.select_one("b > a")["href"]).group(1) for p in panels}
    assert listed == open_digital_references() and GONE not in listed


def test_themes_follow_the_page_order_then_the_others(site):
    headings = [h.get_text() for h in soup_of(site[0] / "index.html").select("#offres h3.h3")]
    order = labels.page_order()
    known = [h for h in headings if h in order]
    assert known == sorted(known, key=order.index)
    assert headings[:len(known)] == known  # the page's themes first
    assert headings[0] == "Données / Datascience / Open data"
    assert set(headings[len(known):]) == {"Développement", "Sécurité des systèmes d'information"}


def test_panels_link_title_and_button_to_the_same_board_address(site):
    page = soup_of(site[0] / "index.html")
    for panel in page.select("#offres .panel"):
        title, button = panel.select_one("b > a")["href"], panel.select_one("a.button")["href"]
        assert title == button and is_board_url(title), panel
        assert title.startswith(f"{BOARD}/offre-emploi/offre-reference-")
        assert (site[0] / panel.select_one("a.detail-link")["href"]).is_file()
    data = next(p for p in page.select("#offres .panel") if "Data scientist" in p.get_text())
    category, place = [p.get_text() for p in data.find_all("p", recursive=False)][:2]
    assert (category, place) == ("Cadre supérieur/Catégorie A+", "Paris (télétravail possible)")
    product = next(p for p in page.select("#offres .panel") if "Product owner" in p.get_text())
    assert product.find_all("p", recursive=False)[1].get_text() == "Paris"
    lyon = next(p for p in page.select("#offres .panel") if "Chef de projet data" in p.get_text())
    assert lyon.find_all("p", recursive=False)[1].get_text() == "Lyon (69)"


def test_accessibility_basics(site):
    for path in [site[0] / "index.html", *sorted((site[0] / "offres").glob("*.html"))]:
        page = soup_of(path)
        assert page.html["lang"] == "fr"
        assert len(page.find_all("h1")) == 1
        assert page.title.get_text().strip()
        assert page.select_one("main#contenu") and page.select_one("a.skip-link")["href"] == "#contenu"
    index = soup_of(site[0] / "index.html")
    controls = index.select("form#filtres input, form#filtres select")
    assert {c["id"] for c in controls} == {"q", "famille", "region", "categorie", "teletravail"}
    for control in controls:
        assert index.select_one(f"label[for='{control['id']}']").get_text().strip()
    assert index.select_one("#compte")["role"] == "status"
    for svg in index.select("figure svg"):
        assert svg["role"] == "img" and svg.title.get_text() and svg.desc.get_text()


def test_text_is_escaped_and_html_sanitised(site):
    text = (site[0] / "index.html").read_text(encoding="utf-8")
    assert "&amp; co &lt; 3 ans" in text and "co < 3" not in text
    offer = next(p for p in (site[0] / "offres").glob("*.html") if "2026-1100001" in p.read_text(encoding="utf-8"))
    page = soup_of(offer)
    assert "Missions du poste 2026-1100001." in page.select_one("section[aria-labelledby=missions]").get_text()
    assert page.find("img") is None  # the tracker image of the raw HTML is gone
    assert is_board_url(page.select_one("a.button")["href"])


def test_no_external_request_at_view_time(site):
    """Every asset (script, style, image, icon, font, CSS url()) is a file of the site."""
    pages = [site[0] / "index.html", *(site[0] / "offres").glob("*.html")]
    for path in pages:
        page = soup_of(path)
        for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
                               ("source", "src"), ("video", "src"), ("audio", "src"), ("object", "data")):
            for element in page.find_all(tag):
                value = element.get(attribute)
                if value is None or value.startswith("data:"):
                    continue
                assert not urlsplit(value).scheme and not value.startswith("//"), (path, value)
                assert (path.parent / value).resolve().is_file(), (path, value)
        assert not page.select("[style*='url(']")
    for css in (site[0] / "assets").glob("*.css"):
        for url in re.findall(r"url\(([^)]*)\)", css.read_text()):
            assert not re.match(r"['\"]?(https?:)?//", url), url
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\()", (site[0] / "assets" / "preview.js").read_text())


def test_embedded_index_matches_the_panels(site):
    page = soup_of(site[0] / "index.html")
    index = json.loads(page.select_one("script#index-offres").string)
    assert sorted(e["id"] for e in index) == sorted(p["data-offer-id"] for p in page.select("#offres .panel"))
    entry = next(e for e in index if "data scientist" in e["text"])
    assert entry == {**entry, "family": "Données / Datascience / Open data", "region": "Île-de-France",
                     "category": "Cadre supérieur/Catégorie A+", "remote": "oui"}
    assert "developpeuse" in next(e["text"] for e in index if e["family"] == "Développement")  # accents folded
    options = [o["value"] for o in page.select("#region option")][1:]
    assert set(options) == {"Île-de-France", "Auvergne-Rhône-Alpes", "Bretagne", "Provence-Alpes-Côte d'Azur"}


def test_json_in_a_script_cannot_close_it():
    text = str(json_for_script([{"title": "</script><script>alert(1)</script> <!-- & x"}]))
    assert "</script>" not in text and "<!--" not in text
    assert json.loads(text) == [{"title": "</script><script>alert(1)</script> <!-- & x"}]


def test_mirror_addresses_become_the_boards(site):
    hosts = mirrors(site[2])
    assert hosts == {MIRROR: "choisirleservicepublic.gouv.fr"}
    assert board_url(f"{MIRROR}/offre-emploi/x-reference-1/?a=1#f", hosts) == \
        "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-1/?a=1"
    assert board_url("https://emploi-territorial.fr/offre/o1", hosts) == "https://emploi-territorial.fr/offre/o1"
    assert board_url("http://127.0.0.1:9000/offre-emploi/x/", hosts) == "http://127.0.0.1:9000/offre-emploi/x/"
    assert not is_board_url("http://choisirleservicepublic.gouv.fr/x") and not is_board_url("https://evil.example/")
    assert is_board_url("https://www.emploi-territorial.fr/offre/o1")


def test_rebuild_replaces_the_site_and_cli(site, tmp_path):
    db_path = site[0].parent / "portal.db"
    output = tmp_path / "out"
    (output / "offres").mkdir(parents=True)
    (output / "offres" / "stale.html").write_text("old")
    result = CliRunner().invoke(main, ["--db", str(db_path), "preview", "-o", str(output), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["offers"] == 7
    assert not (output / "offres" / "stale.html").exists() and (output / "assets" / "preview.js").is_file()
    result = CliRunner().invoke(main, ["--db", str(db_path), "preview", "-o", str(output), "--all"])
    assert result.exit_code == 0 and "9 offer pages" in result.output
    closed = next(p for p in (output / "offres").glob("*.html") if GONE in p.read_text(encoding="utf-8"))
    assert "Offre close depuis le 2026-10-06." in soup_of(closed).select_one("p.status").get_text()
    assert not list(tmp_path.glob(".out*"))  # no staging folder left behind


def test_page_of_one_employer_keeps_its_offers_and_the_others_high_level_posts(site, tmp_path):
    db = site[2]
    db.execute("update offers set employer = 'Ministère des Armées' "
               "where reference in ('2026-1100001', '2026-1100002')")
    try:
        result = CliRunner().invoke(main, ["--db", str(site[0].parent / "portal.db"), "preview", "-o",
                                           str(tmp_path / "dinum"), "--page-employer", "DINUM"])
        assert result.exit_code == 0, result.output
        page = soup_of(tmp_path / "dinum" / "index.html")
        themed = {p.select_one("b > a").get_text() for p in page.select("#offres .panel")}
        assert "Data scientist H/F" not in themed and "Chef de projet data H/F" not in themed and len(themed) == 5
        below = [li.get_text() for li in page.select("#offres ul li[data-offer-id]")]
        assert len(below) == 1 and below[0].startswith("Data scientist H/F")  # the A+ post of another employer
        assert len(list((tmp_path / "dinum" / "offres").glob("*.html"))) == 6
    finally:
        db.execute("update offers set employer = 'Direction interministérielle du numérique (DINUM)' "
                   "where reference in ('2026-1100001', '2026-1100002')")
        db.conn.commit()


def test_an_empty_database_gives_an_empty_site(db, tmp_path):
    summary = build_preview(db, tmp_path / "empty", now=NOW)
    page = soup_of(tmp_path / "empty" / "index.html")
    assert summary["offers"] == 0 and not page.select("#offres .panel")
    assert page.select_one("#compte").get_text() == "0 offres affichées"
    assert len([d for d in page.select("figure svg desc") if d.get_text() == "Aucune donnée"]) == 3
