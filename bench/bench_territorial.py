"""emploi-territorial: parsing and crawling on the local replica (1,000 A7 offers), and the
cost of an unchanged second crawl (incremental) against the first, measured in the same run.

Baselines: the lxml tree alone and the CSP parser on CSP replica pages (parse), a plain
sequential fetch of the same pages (crawl), the first crawl (second crawl). Targets: a page
parsed in no more time than a CSP page; the unchanged second crawl fetches no detail page
and takes at most a third of the first. On a shared machine one run moves by a third from
the next: the parse timings are alternated, best of ROUNDS, and the crawls are the medians
of CRAWLS first crawls (each into its own database) and of their second crawls.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from statistics import median

from parsel import Selector

from parsers import csp
from parsers.emploi_territorial import parse_listing, parse_offer
from replica import generate_offers
from replica import pages as csp_pages
from replica.territorial import PER_PAGE, TerritorialServer, TerritorialSite, generate_territorial

OFFERS = 1250  # about 1,000 of them filed under A7
ROUNDS = 5  # parse timings: best of, alternated
CRAWLS = 2  # first and second crawls: medians of
PROJECT = Path(__file__).resolve().parent.parent


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def fetch_all(base: str, paths: list[str]) -> list[str]:
    return [urllib.request.urlopen(base + p, timeout=30).read().decode() for p in paths]


def crawl(db: str, base: str) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli", "--db", db, "crawl", "emploi-territorial", "--base-url", base],
                          cwd=PROJECT, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode


def run() -> list[str]:
    site = TerritorialSite(generate_territorial(OFFERS, seed=3))
    a7 = [o for o in site.offers if o.family_code == "A7"]
    lines = []
    with TerritorialServer(site) as server:
        base = server.base_url
        listing_paths = [f"/emploi-mobilite/?search-fam-metier=A7&page={n}" for n in range(1, -(-len(a7) // PER_PAGE) + 1)]
        offer_paths = [o.path for o in a7]
        fetch_time = timed(lambda: fetch_all(base, listing_paths + offer_paths))
        pages = fetch_all(base, offer_paths[:300])
        listings = fetch_all(base, listing_paths[:20])
        csp_offers = generate_offers(100, seed=3)
        csp_html = [csp_pages.detail_page(o, base, []) for o in csp_offers]
        parse_offer(pages[0], base + offer_paths[0])  # warm-up of both parsers: imports, compiled selectors
        csp.parse_offer(csp_html[0], base + csp_offers[0].path)
        best = {"tree": [], "parse": [], "listing": [], "csp": []}
        for _ in range(ROUNDS):  # alternated, best of each: a slow spell of the machine hits every measure alike
            best["tree"].append(timed(lambda: [Selector(text=p) for p in pages]))
            best["parse"].append(timed(lambda: [parse_offer(p, base + path) for p, path in zip(pages, offer_paths)]))
            best["listing"].append(timed(lambda: [parse_listing(p, base + listing_paths[0]) for p in listings]))
            best["csp"].append(timed(lambda: [csp.parse_offer(p, base + o.path) for p, o in zip(csp_html, csp_offers)]))
        tree, parse, listing_time, csp_time = (min(best[k]) for k in ("tree", "parse", "listing", "csp"))
        per_page, csp_per_page = parse / len(pages), csp_time / len(csp_html)
        lines.append(f"parse_offer: {len(pages) / parse:,.0f} pages/s; lxml tree alone {len(pages) / tree:,.0f} pages/s "
                     f"(parsing costs {parse / tree:.1f}x the tree); CSP parse_offer {1 / csp_per_page:,.0f} pages/s "
                     f"({per_page / csp_per_page:.2f}x a CSP page's time; target <= 1)")
        lines.append(f"parse_listing: {len(listings) / listing_time:,.0f} pages/s (20 rows, each rendered twice)")
        with tempfile.TemporaryDirectory() as tmp:
            firsts, seconds, codes, again = [], [], [], 0
            for n in range(CRAWLS):  # each into a database of its own, then again unchanged
                took, code = crawl(f"{tmp}/bench{n}.db", base)
                firsts.append(took)
                codes.append(code)
                details = sum(count for p, count in server.requests.items() if p.startswith("/offre/"))
                took, code = crawl(f"{tmp}/bench{n}.db", base)
                seconds.append(took)
                codes.append(code)
                again += sum(count for p, count in server.requests.items() if p.startswith("/offre/")) - details
            first, second = median(firsts), median(seconds)
        status = "ok" if not any(codes) else f"exit codes {', '.join(map(str, codes))}"
        lines.append(f"first crawl of {len(a7)} A7 offers ({len(listing_paths) + len(offer_paths)} pages) into SQLite, "
                     f"offers rebuilt: {first:.1f} s, {len(a7) / first:,.0f} offers/s ({status}); baseline plain "
                     f"sequential fetch {fetch_time:.1f} s ({first / fetch_time:.1f}x a bare fetch)")
        lines.append(f"unchanged second crawl: {second:.1f} s, {second / first:.2f}x the first (target <= 0.33; medians of "
                     f"{CRAWLS} first crawls, {', '.join(f'{t:.1f}' for t in firsts)} s, and of the {CRAWLS} second ones, "
                     f"{', '.join(f'{t:.1f}' for t in seconds)} s), {again} detail pages fetched (target 0)")
    return lines
