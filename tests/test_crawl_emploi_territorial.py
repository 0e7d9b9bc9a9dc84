"""End to end on loopback: `offres crawl emploi-territorial --base-url` against the ET replica,
alone and with the CSP replica (one offer for both boards). Crawls run in a child process."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from pipeline.normalize.case import readable_case
from pipeline.normalize.category import normalize_category
from replica import Faults, ReplicaServer, ReplicaSite, generate_offers
from replica.territorial import TerritorialServer, TerritorialSite, generate_territorial

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)
A7 = "/emploi-mobilite/?search-fam-metier=A7&page="


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)


def detail_requests(server) -> int:
    return sum(n for path, n in server.requests.items() if path.startswith("/offre/"))


def export_all(db: Path) -> dict[str, dict]:
    done = offres(db, "export", "--all", "-o", "-")
    assert done.returncode == 0, done.stderr
    return {o["reference"]: o for o in json.loads(done.stdout)["offers"]}


def closed_as_absent(db: Path) -> list[str]:
    """Offers closed for their absence from a crawl (deadline closures aside)."""
    return [r["reference"] for r in Database(db).query(
        "select reference from offers where status = 'closed' and status_reason like 'absent%'")]


def last_open_a7(site: TerritorialSite) -> str:
    """The oldest A7 offer whose deadline has not passed (on the last listing page)."""
    return [o for o in site.offers if o.family_code == "A7" and (o.deadline is None or o.deadline >= NOW.date())][-1].reference


@pytest.fixture
def et_site():
    return TerritorialSite(generate_territorial(50, seed=3, today=NOW.date()), today=NOW.date(), seed=3)


def test_every_field_as_generated_then_incremental_then_three_removed(et_site, tmp_path):
    db = tmp_path / "offres.db"
    a7 = [o for o in et_site.offers if o.family_code == "A7"]
    with TerritorialServer(et_site) as server:
        first = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
        assert first.returncode == 0, first.stderr + first.stdout
        assert server.requests["/robots.txt"] == 1
        assert detail_requests(server) == len(a7)
        stored = {r["reference"]: json.loads(r["record"]) for r in Database(db).query(
            "select reference, record from raw_postings where source = 'emploi-territorial'")}
        assert set(stored) == {o.reference for o in a7}  # other families are not listed under A7
        for offer in a7:
            record = stored[offer.reference]
            extra = record.get("extra", {})
            expected = {
                "title": offer.title, "employer": offer.employer, "location": offer.location,
                "location_area": offer.department, "published": f"{offer.published:%d/%m/%Y}",
                "deadline": f"{offer.deadline:%d/%m/%Y}" if offer.deadline else None,
                "post_status": offer.job_type, "contract": offer.contractuels, "domain": offer.family,
                "grades": ", ".join(offer.grades), "metier": offer.metier, "remote": offer.remote,
                "management": offer.management, "experience": offer.experience, "salary": offer.salary,
                "about_html": offer.about_html, "missions_html": offer.missions_html,
                "profile_html": offer.profile_html, "extra_html": offer.modalites_html,
                "category": ", ".join(f"Emploi de catégorie {c}" for c in offer.categories),
                "url": server.base_url + offer.path,
            }
            assert {k: record.get(k) for k in expected} == expected, offer.reference
            assert extra["employer_id"] == offer.employer_id and extra["filiere"] == offer.filiere
            assert extra.get("start_date") == offer.start and extra.get("apply_url") == offer.apply_url
            assert extra["description_html"] == offer.description_html
            assert extra["working_time"] == offer.working_time
        exported = export_all(db)
        for offer in a7:
            out = exported[offer.reference]
            assert out["employer"] == readable_case(offer.employer)
            assert out["apply_url"] == offer.apply_url and out["filiere"] == offer.filiere
            assert out["working_time"] == offer.working_time
            assert out["starts_on"] == (None if offer.start in (None, "Dès que possible")
                                        else "-".join(reversed(offer.start.split("/"))))
            assert out["description_html"] == offer.description_html
            assert out["grades"] == normalize_category(None, ", ".join(offer.grades))["grades"]
            assert out["categories"] == list(offer.categories) or out["category"] in offer.categories
            assert out["location"]["department_code"] == (offer.dept_code3 if offer.dept_code3.startswith("97")
                                                          else offer.dept_code3[1:])
        not_it = [o for o in a7 if "eau potable" in o.title]
        assert not_it and all(not exported[o.reference]["digital"] for o in not_it)  # A7 but not digital
        assert all(exported[o.reference]["digital"] for o in a7 if o not in not_it)

        before = detail_requests(server)
        second = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
        assert second.returncode == 0, second.stderr
        assert "0 new, 0 updated, 0 closed" in second.stdout
        assert detail_requests(server) == before  # unchanged rows: no detail page fetched again

        closed_before = {r["reference"] for r in Database(db).query("select reference from offers where status = 'closed'")}
        assert all(o.deadline and o.deadline < NOW.date() for o in a7 if o.reference in closed_before)
        edited = a7[4].reference
        et_site.edit(edited, title="Architecte cloud (H/F)")
        removed = [o.reference for o in a7[:20] if o.reference not in closed_before][-3:]
        for ref in removed:
            et_site.remove(ref)
        third = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
        assert third.returncode == 0, third.stderr
        assert detail_requests(server) == before + 1  # only the edited row's page
    offers = {r["reference"]: r for r in Database(db).query("select reference, status, title from offers")}
    assert sorted(r for r, o in offers.items() if o["status"] == "closed" and r not in closed_before) == sorted(removed)
    assert not set(removed) & closed_before
    assert offers[edited]["title"] == "Architecte cloud"


def test_one_offer_for_both_boards(tmp_path):
    csp_offers = generate_offers(60, seed=5, now=NOW)
    et_offers = generate_territorial(10, seed=5, csp_offers=csp_offers, today=NOW.date())
    twins = [o for o in csp_offers if o.territorial]
    assert twins
    db = tmp_path / "offres.db"
    with ReplicaServer(ReplicaSite(csp_offers, today=NOW.date())) as csp, \
            TerritorialServer(TerritorialSite(et_offers, today=NOW.date())) as et:
        for source, server in (("csp", csp), ("emploi-territorial", et)):
            done = offres(db, "crawl", source, "--base-url", server.base_url)
            assert done.returncode == 0, done.stderr + done.stdout
    exported = export_all(db)
    et_only = [o for o in et_offers if o.family_code == "A7" and o.reference not in {c.reference for c in csp_offers}]
    assert et_only
    assert len(exported) == 60 + len(et_only)  # each twin is one offer, not two
    assert all([s["source"] for s in exported[o.reference]["sources"]] == ["emploi-territorial"] for o in et_only)
    by_ref = {o.reference: o for o in et_offers}
    for offer in twins:
        out = exported[offer.reference]
        assert [s["source"] for s in out["sources"]] == ["csp", "emploi-territorial"]
        assert out["employer"] == readable_case(by_ref[offer.reference].employer)  # the real employer
        assert out["employer_category"] == offer.employer
        assert out["title_raw"] == " ".join(offer.title.split())  # CSP's posting stays the canonical one
        assert set(out["grades"]) >= set(normalize_category(None, ", ".join(by_ref[offer.reference].grades))["grades"])
    without_suffix = [o for o in twins if not o.real_employer]
    assert all(exported[o.reference]["employer"] for o in without_suffix)
    explained = offres(db, "explain", twins[0].reference.lower())
    assert explained.returncode == 0 and "reference" in explained.stdout


def test_block_page_makes_the_crawl_unhealthy_and_closes_nothing(et_site, tmp_path):
    db = tmp_path / "offres.db"
    with TerritorialServer(et_site, faults=Faults()) as server:
        assert offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url).returncode == 0
        server.faults.faults.block_from = 2
        gone = last_open_a7(et_site)
        et_site.remove(gone)
        blocked = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert "no offer row" in blocked.stderr
    assert next(Database(db).query("select status from offers where reference = ?", [gone]))["status"] == "open"
    assert not closed_as_absent(db)


def test_truncated_listing_is_unhealthy(et_site, tmp_path):
    db = tmp_path / "offres.db"
    with TerritorialServer(et_site) as server:
        assert offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url).returncode == 0
        gone = last_open_a7(et_site)
        et_site.remove(gone)
        et_site.listing_cap = 25  # rows stop there; #nb-offres still states them all
        short = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
    assert short.returncode == 3, short.stdout + short.stderr
    assert "the board states" in short.stderr
    assert next(Database(db).query("select status from offers where reference = ?", [gone]))["status"] == "open"
    assert not closed_as_absent(db)


def test_rss_check_fetches_only_new_offers_of_the_family_and_closes_nothing(et_site, tmp_path):
    db = tmp_path / "offres.db"
    with TerritorialServer(et_site) as server:
        assert offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url).returncode == 0
        export = tmp_path / "offres.json"
        assert offres(db, "export", "-o", str(export)).returncode == 0
        gone = last_open_a7(et_site)
        et_site.remove(gone)
        added = et_site.add_generated(10)
        assert {o.family_code == "A7" for o in added} == {True, False}  # both kinds in the feed
        before = detail_requests(server)
        check = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url, "-s", "OFFRES_ET_RSS_CHECK=1")
        assert check.returncode == 0, check.stdout + check.stderr
        assert server.requests["/rss?search-fam-metier=A7"] == 1
        assert not any(p.startswith("/emploi-mobilite/") and n > 1 for p, n in server.requests.items())
        assert detail_requests(server) - before == len(added)  # the new items only
    stored = {r["reference"] for r in Database(db).query("select reference from raw_postings")}
    assert {o.reference for o in added if o.family_code == "A7"} <= stored
    assert not {o.reference for o in added if o.family_code != "A7"} & stored
    assert next(Database(db).query("select status from offers where reference = ?", [gone]))["status"] == "open"
    run = next(Database(db).query("select complete, healthy from runs order by id desc limit 1"))
    assert run == {"complete": 0, "healthy": 1}
    assert offres(db, "export", "-o", str(export)).returncode == 0  # a check does not block the export


def test_503_from_page_two_is_unhealthy_and_truncated_pages_keep_their_row(et_site, tmp_path):
    db = tmp_path / "offres.db"
    with TerritorialServer(et_site, faults=Faults(error_from=2)) as server:
        failed = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url, "-s", "RETRY_TIMES=1")
        assert failed.returncode == 3, failed.stdout + failed.stderr
        assert "listing page failed" in failed.stderr
        server.faults.faults.error_from = 0
        server.faults.faults.truncate_rate = 0.3
        cut = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url, "-s", "RETRY_TIMES=0",
                     "-s", "OFFRES_INCREMENTAL=0")
        hits = server.faults.injected.get("truncate", 0)
    a7 = {o.reference for o in et_site.offers if o.family_code == "A7"}
    stored = {r["reference"] for r in Database(db).query(
        "select distinct reference from raw_postings where source = 'emploi-territorial'")}
    assert hits and stored == a7, cut.stdout + cut.stderr  # a cut page: its row is kept, nothing lost
    assert not closed_as_absent(db)


def test_a_pager_that_repeats_page_one_is_not_a_complete_listing(et_site, tmp_path):
    db = tmp_path / "offres.db"
    with TerritorialServer(et_site) as server:
        assert offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url).returncode == 0
        et_site.ignore_paging = True  # every page answers the first 20 rows, the total unchanged
        looped = offres(db, "crawl", "emploi-territorial", "--base-url", server.base_url)
    assert looped.returncode == 3, looped.stdout + looped.stderr
    assert "pagination broken" in looped.stderr
    assert not closed_as_absent(db)
