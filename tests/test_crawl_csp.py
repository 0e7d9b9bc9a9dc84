"""End to end on loopback: `offres crawl csp --base-url` against the local replica.

Crawls run in a child process, as cron runs them (Scrapy's reactor runs once
per process). No network beyond 127.0.0.1.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from replica import LISTING_PATH, ReplicaServer, ReplicaSite, generate_offers, rewrite_links, serve_static

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "csp"
NOW = datetime.now(timezone.utc)


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)


def offers_by_reference(db: Path) -> dict[str, dict]:
    return {r["reference"]: r for r in Database(db).query("select * from offers")}


@pytest.fixture
def site():
    return ReplicaSite(generate_offers(60, seed=7, now=NOW), today=NOW.date(), seed=7)


def test_crawl_recrawl_remove_edit(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site) as server:
        first = offres(db, "crawl", "csp", "--base-url", server.base_url)
        assert first.returncode == 0, first.stderr
        offers = offers_by_reference(db)
        assert len(offers) == 60
        assert server.requests.get("/robots.txt") == 1
        assert server.requests.get(LISTING_PATH) == 1 and server.requests.get(LISTING_PATH + "page/3/") == 1

        second = offres(db, "crawl", "csp", "--base-url", server.base_url)
        assert second.returncode == 0, second.stderr
        assert "0 new, 0 updated, 0 closed" in second.stdout
        again = offers_by_reference(db)
        assert {r: o["first_seen_at"] for r, o in again.items()} == {r: o["first_seen_at"] for r, o in offers.items()}

        listed = site.offers
        removed, edited = listed[10].reference, listed[20].reference
        site.remove(removed)
        site.edit(edited, title="Cheffe de projet des systèmes d’information (F/H)")
        third = offres(db, "crawl", "csp", "--base-url", server.base_url)
        assert third.returncode == 0, third.stderr
    after = offers_by_reference(db)
    assert after[removed]["status"] == "closed" and "absent from the complete crawl" in after[removed]["status_reason"]
    assert after[edited]["title"] == "Cheffe de projet des systèmes d'information"
    assert after[edited]["first_seen_at"] == offers[edited]["first_seen_at"]
    runs = list(Database(db).query("select * from runs order by id"))
    assert [r["healthy"] for r in runs] == [1, 1, 1] and runs[2]["offers_updated"] >= 1


def test_broken_crawl_closes_nothing_and_keeps_the_export(site, tmp_path):
    db, export = tmp_path / "offres.db", tmp_path / "offres.json"
    with ReplicaServer(site) as server:
        assert offres(db, "crawl", "csp", "--base-url", server.base_url).returncode == 0
        assert offres(db, "export", "--output", str(export), "--all").returncode == 0
        good = json.loads(export.read_text())
        for offer in site.offers[5:]:  # the site suddenly lists 5 offers out of 60
            site.remove(offer.reference)
        broken = offres(db, "crawl", "csp", "--base-url", server.base_url)
    assert broken.returncode == 3 and "5 offers seen against 60" in broken.stderr
    assert all(o["status"] == "open" or o["status_reason"].startswith("deadline")
               for o in offers_by_reference(db).values())
    refused = offres(db, "export", "--output", str(export), "--all")
    assert refused.returncode == 3 and "looks broken" in refused.stderr
    assert json.loads(export.read_text()) == good


def test_changed_markup_is_unhealthy(tmp_path):
    pages = {LISTING_PATH: (FIXTURES / "listing-old-markup" / "input.html").read_bytes()}
    with serve_static(pages) as server:
        result = offres(tmp_path / "o.db", "crawl", "csp", "--base-url", server.base_url)
    assert result.returncode == 3 and "no offer found" in result.stderr


def test_real_captures_served_on_loopback(tmp_path):
    """The real listing (links pointed at the local server) and the one real detail page, as captured."""
    listing = (FIXTURES / "listing-numerique" / "input.html").read_bytes()
    detail = (FIXTURES / "offer-state" / "input.html").read_bytes()
    pages = {"/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/": detail}
    db, export = tmp_path / "o.db", tmp_path / "all.json"
    with serve_static(pages, rewrite=False) as server:
        pages[LISTING_PATH] = rewrite_links(listing, server.base_url)
        result = offres(db, "crawl", "csp", "--base-url", server.base_url)
    # 19 of the 20 detail pages were not captured: the crawl is rightly flagged, and
    # their cards are kept as card-only postings (nothing lost).
    assert result.returncode == 3 and "19 errors for 20 offers" in result.stderr
    refused = offres(db, "export", "--all", "--output", str(export))
    assert refused.returncode == 3 and not export.exists()
    assert offres(db, "export", "--all", "--force", "--output", str(export)).returncode == 0
    offers = {o["reference"]: o for o in json.loads(export.read_text())["offers"]}
    assert len(offers) == 20
    offer = offers["DEF_15-00064919"]
    assert offer["title"] == "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
    assert offer["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert (offer["versant"], offer["category"], offer["contract"], offer["remote"]) == (
        "etat", "A", "titulaires_et_contractuels", True)
    assert offer["location"]["department_code"] == "92" and offer["location"]["region"] == "Île-de-France"
    assert offer["published_on"] == "2026-10-02"
    # the canonical URL as the site gives it (the capture's own canonical link)
    assert offer["url"] == "https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
    assert offer["metier"] == "Chargée / Chargé de gestion administrative et/ou de paie"
    assert offer["domain"] == "Ressources humaines"
    card_only = offers["O056261001001569"]
    assert card_only["employer_category"] == "Conseils départementaux" and card_only["published_on"] == "2026-10-01"


def test_curated_page_joins_the_board_offers(tmp_path):
    """The DINUM page served on loopback: its entries merge with the board's postings."""
    db = tmp_path / "o.db"
    feed = tmp_path / "board.jsonl"
    feed.write_text(json.dumps({"source": "csp", "title": "Data scientist H/F", "reference": "2023-1196743",
                                "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/data-scientist-hf-reference-2023-1196743/",
                                "employer": "DINUM", "location": "Paris (75)"}) + "\n")
    assert offres(db, "ingest", str(feed)).returncode == 0
    page = (Path(__file__).parent / "fixtures" / "dinum_page" / "input.html").read_bytes()
    with serve_static({"/rejoignez-nous/": page}, rewrite=False) as server:
        result = offres(db, "crawl", "dinum-page", "--base-url", server.base_url)
    assert result.returncode == 0, result.stderr
    offers = offers_by_reference(db)
    assert len(offers) == 19
    sources = json.loads(offers["2023-1196743"]["sources"])
    assert [s["source"] for s in sources] == ["csp", "dinum-page"]
    errors = list(Database(db).query("select field, message from errors where source = 'dinum-page'"))
    assert len(errors) == 2 and all("disagree" in e["message"] for e in errors)


def test_links_to_the_real_site_are_never_followed_from_a_mirror(tmp_path):
    """The real listing served as captured: its links point at choisirleservicepublic.gouv.fr."""
    listing = (FIXTURES / "listing-numerique" / "input.html").read_bytes()
    with serve_static({LISTING_PATH: listing}, rewrite=False) as server:
        result = offres(tmp_path / "o.db", "crawl", "csp", "--base-url", server.base_url)
        served = dict(server.requests)
    assert result.returncode == 3 and "20 errors for 20 offers" in result.stderr
    assert set(served) <= {LISTING_PATH, "/robots.txt"}
    assert len(offers_by_reference(tmp_path / "o.db")) == 20  # kept from their cards, nothing lost


def test_a_crawl_stopped_early_is_unhealthy(site, tmp_path):
    db = tmp_path / "o.db"
    with ReplicaServer(site) as server:
        assert offres(db, "crawl", "csp", "--base-url", server.base_url).returncode == 0
        stopped = offres(db, "crawl", "csp", "--base-url", server.base_url, "-s", "CLOSESPIDER_ITEMCOUNT=5")
    assert stopped.returncode == 3 and "crawl ended early (closespider_itemcount)" in stopped.stderr
    runs = list(Database(db).query("select finish_reason, healthy from runs order by id"))
    assert runs == [{"finish_reason": "finished", "healthy": 1}, {"finish_reason": "closespider_itemcount", "healthy": 0}]
    assert all(o["status"] == "open" or o["status_reason"].startswith("deadline")
               for o in offers_by_reference(db).values())


def test_curated_entries_the_board_does_not_list_close_after_its_healthy_crawl(site, tmp_path):
    """The DINUM page then a complete healthy crawl of the board (the replica, which lists none of them)."""
    db = tmp_path / "o.db"
    page = (Path(__file__).parent / "fixtures" / "dinum_page" / "input.html").read_bytes()
    with serve_static({"/rejoignez-nous/": page}, rewrite=False) as server:
        assert offres(db, "crawl", "dinum-page", "--base-url", server.base_url).returncode == 0
    curated = {r: o for r, o in offers_by_reference(db).items()}
    assert curated and all(o["status"] == "open" for o in curated.values())
    with ReplicaServer(site) as server:
        result = offres(db, "crawl", "csp", "--base-url", server.base_url)
    assert result.returncode == 0, result.stderr
    after = offers_by_reference(db)
    closed = {r for r in curated if r and after[r]["status"] == "closed"}
    assert closed == {r for r in curated if r}  # every entry with a board reference
    assert {after[r]["status_reason"] for r in closed} == {"no longer on the board"}
    assert f"{len(closed)} closed" in result.stdout
    export = offres(db, "export", "-o", "-", "--all")
    document = json.loads(export.stdout)
    by_reference = {o["reference"]: o for o in document["offers"]}
    assert all(by_reference[r]["status_reason"] == "no longer on the board" and by_reference[r]["closed_at"]
               for r in closed)
