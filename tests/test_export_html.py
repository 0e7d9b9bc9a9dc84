"""The DINUM page regenerated (pipeline/export/html.py): the seed page's structure, links from the
offer's own URL, category and place lines, the second section, autoescaping, fragment and standalone page."""
import re

import pytest
from parsel import Selector

from parsers.curated_page import link_reference, parse_curated_page
from pipeline.export import Selection, build_export
from pipeline.export.formats import FormatOptions, export_as
from pipeline.export.html import build_page, page_themes, place_line, render_fragment
from tests.portal_data import NOW, PAGE_URL, SEED_PAGE, seed_db


@pytest.fixture
def db():
    return seed_db()


def seed() -> Selector:
    return Selector(text=SEED_PAGE.read_text(encoding="utf-8"))


def headings(sel: Selector) -> list[str]:
    return [" ".join(h.xpath("string()").get().split()) for h in sel.css("h1.h3")]


def panel_shape(panel: Selector) -> list[str]:
    """The panel's elements, in order, with their classes: its structure, without the text."""
    return [f"{e.root.tag}.{e.attrib.get('class', '')}" for e in panel.xpath(".//*") if e.root.tag != "img"]


def page_of(db, **filters) -> str:
    entries = build_export(db, now=NOW, selection=Selection(**filters))["offers"]
    return render_fragment(build_page(entries, page_themes(db)))


def test_same_theme_headings_in_the_seeds_order(db):
    regenerated = Selector(text=page_of(db))
    assert headings(regenerated) == headings(seed())
    assert headings(seed())[:3] == ["Données / Datascience / Open data", "Design", "Filière numérique de l'État"]


def test_one_panel_per_open_offer_both_links_to_its_url(db):
    regenerated = Selector(text=page_of(db))
    open_offers = {r["id"]: r for r in db.query("select * from offers where status = 'open' and digital = 1")}
    panels = regenerated.css("div.panel")
    assert sorted(p.attrib["data-offer-id"] for p in panels) == sorted(open_offers)
    for panel in panels:
        offer = open_offers[panel.attrib["data-offer-id"]]
        title_link, button = panel.css("b a::attr(href)").get(), panel.css("a.button::attr(href)").get()
        assert title_link == button == offer["url"]
        assert panel.css("a.button::text").get() == "Consulter l'offre"


def test_the_mislinked_panels_are_linked_right(db):
    regenerated = Selector(text=page_of(db))
    by_title = {p.css("b a::text").get(): p for p in regenerated.css("div.panel")}
    analyst, coordinator = by_title["Analyste de données H/F"], by_title["Coordonnateur animation data H/F"]
    assert {link_reference(u) for u in analyst.css("a::attr(href)").getall()} == {"2023-1202957"}
    assert {link_reference(u) for u in coordinator.css("a::attr(href)").getall()} == {"2023-1208948"}


def test_structure_matches_the_seed(db):
    """Panel by panel (matched by reference): the same elements and classes, category and place lines."""
    original = {}
    for panel in seed().css("div.panel"):
        button = panel.css("a.button::attr(href)").get()
        texts = [" ".join(t.split()) for t in panel.xpath("./p").xpath("string()").getall()]
        theme = " ".join(panel.xpath("preceding::h1[1]").xpath("string()").get().split())
        original[link_reference(button)] = (panel_shape(panel), texts, theme)
    regenerated = Selector(text=page_of(db))
    seen = set()
    for panel in regenerated.css("div.panel"):
        reference = link_reference(panel.css("a.button::attr(href)").get())
        shape, texts, theme = original[reference]
        assert panel_shape(panel) == shape, reference
        assert [" ".join(t.split()) for t in panel.xpath("./p").xpath("string()").getall()] == texts, reference
        assert " ".join(panel.xpath("preceding::h1[1]").xpath("string()").get().split()) == theme
        seen.add(reference)
    assert seen == set(original)  # every panel of the seed, each once
    # the wrappers: one div.wrapper after each heading, as on the seed
    assert [w.xpath("preceding::h1[1]//text()").get() for w in regenerated.css("div.wrapper")] == headings(seed())


def test_second_section_of_other_administrations(db):
    regenerated = Selector(text=page_of(db, include_all=True))
    section = regenerated.css("h2#et-aussi-dans-dautres-administrations")
    assert section and section.css("a#offresministeres")
    assert regenerated.css("p strong::text").getall()[-1].strip() == "Présidence de la République"
    item = regenerated.css("ul li")
    assert len(item) == 1 and link_reference(item.css("a::attr(href)").get()) == "2022-1024634"
    assert item.xpath("string()").get().endswith("Cadre supérieur/Catégorie A+")
    # the open digital offers hold no such post: no empty second section
    assert not Selector(text=page_of(db)).css("h2#et-aussi-dans-dautres-administrations")


def test_the_regenerated_page_reads_back_with_no_link_conflict(db):
    text = page_of(db, include_all=True)
    page = parse_curated_page(text, PAGE_URL)
    assert page["problems"] == []
    original = parse_curated_page(SEED_PAGE.read_text(encoding="utf-8"), PAGE_URL)["records"]
    key = lambda r: (r.get("reference"), r.get("theme"), r.get("category"), r.get("location"))
    themed = lambda records: sorted((key(r) for r in records if r.get("theme")), key=str)
    assert themed(page["records"]) == themed(original)
    # the second section: the same post, its category in the board's wording (the seed wrote 'Cadre/Catégorie A+')
    below = [r for r in page["records"] if not r.get("theme")]
    assert [(r["reference"], r["employer"], r["category"]) for r in below] == [
        ("2022-1024634", "Présidence de la République", "Cadre supérieur/Catégorie A+")]


def test_place_line():
    paris = {"city": "Paris", "department": "Paris", "department_code": "75", "display": "Paris (75)"}
    rennes = {"city": "Saint-Jacques-de-la-Lande", "department": "Ille-et-Vilaine", "department_code": "35",
              "display": "Saint-Jacques-de-la-Lande (35)"}
    assert place_line({"location": paris, "remote": True}) == "Paris (télétravail possible)"
    assert place_line({"location": rennes, "remote": False}) == "Saint-Jacques-de-la-Lande (35)"
    assert place_line({"location": {}, "remote": None}) is None


def test_autoescaped(db):
    """The templates escape whatever the entries hold (the export's plain_text already strips markup)."""
    entries = build_export(db, now=NOW)["offers"]
    first = next(i for i, e in enumerate(entries) if e["reference"] == "2023-1201312")
    entries[first] = {**entries[first], "title_raw": '<script>alert(1)</script> Dev "x"',
                      "url": 'https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1/?a=1&b="2"'}
    text = render_fragment(build_page(entries, page_themes(db)))
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    panel = Selector(text=text).css("div.panel b a")
    assert '?a=1&b="2"' in " ".join(panel.xpath("@href").getall())
    assert '<script>alert(1)</script> Dev "x"' in panel.xpath("text()").getall()


def test_no_liquid_reaches_the_jekyll_page(db):
    db.execute("update offers set title_raw = 'Dev {{ site.secret }} {% include x.html %}' where reference = '2023-1201312'")
    text = page_of(db)
    assert len(Selector(text=text).css("div.panel")) == 18
    assert "{" not in text and "}" not in text
    assert "Dev {{ site.secret }} {% include x.html %}" in Selector(text=text).css("div.panel b a::text").getall()


def test_standalone_page_and_fragment(db, tmp_path):
    export_as(db, "html", tmp_path / "page.html", now=NOW)
    export_as(db, "html", tmp_path / "fragment.html", options=FormatOptions(fragment=True), now=NOW)
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    fragment = (tmp_path / "fragment.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page and "<main" in page
    assert fragment.startswith("<h2") and "<html" not in fragment and "map-pin-2-line.svg" in fragment
    sel = Selector(text=page)
    assert not sel.css("script, link, img, iframe")  # nothing fetched at view time
    assert all(h.startswith("https://") for h in sel.css("a::attr(href)").getall())
    assert len(sel.css("div.panel")) == len(Selector(text=fragment).css("div.panel")) == 18
    assert re.search(r"à partir de 18 offres", page)


def test_an_entry_with_no_known_link_is_left_out_and_named(tmp_path):
    from tests.portal_data import crawl, seed_records
    from pipeline.store import open_db

    records, _ = seed_records()
    unsettled = dict(records[0], title="Chef de projet", url=PAGE_URL + "#chef-de-projet",
                     link_conflict="title link (2023-1) and button link (2023-2) disagree; cannot tell")
    unsettled.pop("reference", None)
    db = open_db(":memory:")
    crawl(db, "dinum-page", [*records, unsettled])
    result = export_as(db, "html", tmp_path / "page.html", now=NOW)
    assert result.count == 18 and any("'Chef de projet'" in n and "left out" in n for n in result.notes)
    assert PAGE_URL not in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_the_page_employer_under_either_name():
    from pipeline.export.selection import employer_matches
    assert employer_matches("Direction interministérielle du numérique (DINUM)", "DINUM")
    assert employer_matches("DIRECTION INTERMINISTERIELLE DU NUMERIQUE", "dinum")
    assert employer_matches("Services du Premier ministre - DINUM", "DINUM")
    assert not employer_matches("DINUMERIQUE SA", "DINUM") and not employer_matches(None, "DINUM")
    assert employer_matches("Ville de Lyon", "ville de lyon") and not employer_matches("Ville de Lyonnais", "Ville de Lyon")
