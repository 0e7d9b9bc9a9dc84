"""The emploi-territorial.fr replica (replica/territorial): URLs, filters, totals, feed, admin API."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from parsers.emploi_territorial import parse_listing, parse_offer, parse_rss
from replica import generate_offers
from replica.territorial import PER_PAGE, TerritorialServer, TerritorialSite, from_csp, generate_territorial

NOW = datetime.now(timezone.utc)
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def et_site():
    return TerritorialSite(generate_territorial(50, seed=3, today=NOW.date()), today=NOW.date(), seed=3)


def get(url: str) -> str:
    return urllib.request.urlopen(url).read().decode()


def test_filters_paging_and_totals_like_the_board(et_site):
    offer = next(o for o in et_site.offers if o.family_code == "A7" and not o.dept_code3.startswith("97"))
    a7 = [o for o in et_site.offers if o.family_code == "A7"]
    with TerritorialServer(et_site) as server:
        def page(query: str) -> dict:
            url = f"{server.base_url}/emploi-mobilite/?{query}"
            return parse_listing(get(url), url)
        first = page("search-fam-metier=A7&page=1")
        assert first["total"] == len(a7) and len(first["rows"]) == PER_PAGE
        last = page(f"search-fam-metier=A7&page={-(-len(a7) // PER_PAGE)}")
        assert len(last["rows"]) == len(a7) - PER_PAGE * (-(-len(a7) // PER_PAGE) - 1)
        beyond = page("search-fam-metier=A7&page=99")
        assert beyond["rows"] == [] and beyond["no_result"] and beyond["total"] == len(a7)
        assert page(f"search-dept={offer.dept_code3}")["total"] >= 1
        assert page(f"search-dept={offer.dept_code3[1:]}")["total"] == 0  # two digits: nothing, no error
        assert page(f"search-col={offer.employer_id}")["total"] == sum(o.employer_id == offer.employer_id
                                                                       for o in et_site.offers)
        assert page("search-cat=C")["total"] == sum("C" in o.categories for o in et_site.offers)
        assert "Disallow: /exportoffres/" in get(server.base_url + "/robots.txt")
        items = parse_rss(get(server.base_url + "/rss"), server.base_url + "/rss")
        assert [i["reference"] for i in items] == [o.reference for o in et_site.offers[:100]]
        detail = parse_offer(get(server.base_url + offer.path), server.base_url + offer.path)
        assert detail["reference"] == offer.reference and detail["employer_id"] == offer.employer_id
        stale = urllib.request.urlopen(f"{server.base_url}/offre/{offer.reference.lower()}-old-slug")
        assert stale.url == server.base_url + offer.path  # 301 to the canonical slug


def test_admin_changes_the_site_between_crawls(et_site):
    with TerritorialServer(et_site) as server:
        def post(path: str) -> dict:
            request = urllib.request.Request(server.base_url + path, data=b"", method="POST")
            return json.loads(urllib.request.urlopen(request).read())
        ref = et_site.offers[0].reference
        assert post(f"/__replica__/remove?ref={ref}") == {"removed": ref} and et_site.get(ref) is None
        assert len(post("/__replica__/add?n=3")["added"]) == 3
        assert post("/__replica__/truncate?rows=5") == {"listing_cap": 5}
        url = server.base_url + "/emploi-mobilite/?page=1"
        assert len(parse_listing(get(url), url)["rows"]) == 5


def test_csp_twins_keep_reference_and_grades():
    csp = [o for o in generate_offers(80, seed=2) if o.territorial]
    for offer in csp:
        twin = from_csp(offer)
        assert twin.reference == offer.reference and twin.published == offer.published
        assert twin.employer and twin.employer != offer.employer  # a real employer, not CSP's category
        if offer.grades:
            assert ", ".join(twin.grades) == offer.grades


def test_serve_territorial_command():
    process = subprocess.Popen([sys.executable, "-m", "replica", "serve-territorial", "--offers", "5",
                                "--csp-offers", "20", "--port", "0"], cwd=PROJECT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        base = process.stdout.readline().strip()
        url = base + "/emploi-mobilite/?search-fam-metier=A7&page=1"
        assert parse_listing(get(url), url)["total"] >= 1
    finally:
        process.terminate()
        process.wait(timeout=10)
