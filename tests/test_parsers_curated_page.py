"""The hand-kept DINUM page: panels, the other administrations, copy-paste link errors."""
from collections import Counter
from pathlib import Path

from parsers.curated_page import choose_link, parse_curated_page

PAGE = (Path(__file__).parent / "fixtures" / "dinum_page" / "input.html").read_text(encoding="utf-8")
URL = "https://www.numerique.gouv.fr/rejoignez-nous/"


def test_every_offer_of_the_page():
    records = parse_curated_page(PAGE, URL)["records"]
    assert len(records) == 19  # 18 DINUM panels + 1 offer of the Présidence (the commented-out copy ignored)
    first = records[0]
    assert first["title"] == "Chef/fe du Pôle Datalab H/F" and first["reference"] == "2023-1201312"
    assert first["category"] == "Cadre supérieur/Catégorie A+" and first["location"] == "Paris (télétravail possible)"
    assert first["theme"] == "Données / Datascience / Open data"
    assert records[-1]["employer"] == "Présidence de la République" and records[-1]["reference"] == "2022-1024634"
    assert len({r["reference"] for r in records}) == 19


def test_copy_paste_errors_are_reported_and_settled_by_the_page():
    page = parse_curated_page(PAGE, URL)
    by_title = {r["title"]: r for r in page["records"]}
    assert by_title["Analyste de données H/F"]["reference"] == "2023-1202957"
    assert by_title["Coordonnateur animation data H/F"]["reference"] == "2023-1208948"
    assert [p["location"].split("'")[1] for p in page["problems"]] == [
        "Analyste de données H/F", "Coordonnateur animation data H/F"]
    assert all(p["field"] == "url" and "disagree" in p["message"] for p in page["problems"])


def test_an_unsettled_conflict_leaves_the_reference_unknown():
    url, problem = choose_link("https://b/offre-emploi/2023-1/", "https://b/offre-emploi/2023-2/", Counter({"2023-1": 1}))
    assert url is None and "cannot tell" in problem


def test_unsettled_panel_points_at_the_page_not_at_either_offer():
    html = ('<h1><b>Design</b></h1><div class="panel"><b><a href="/offre-emploi/2023-1/">Designer H/F</a></b>'
            '<p>Cadre/Catégorie A</p><p>Paris</p><a class="button" href="/offre-emploi/2023-2/">Consulter</a></div>')
    page = parse_curated_page(html, URL)
    record = page["records"][0]
    assert record["url"] == URL + "#designer-h-f" and "reference" not in record
    assert record["title_url"].endswith("/2023-1/") and record["button_url"] == "/offre-emploi/2023-2/"
    from pipeline.record import RawPosting
    assert RawPosting.from_dict(record).posting_id() != "dinum-page:2023-1"
