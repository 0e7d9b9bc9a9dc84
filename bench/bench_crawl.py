"""Parsing and crawling speed on the local replica (2,000 offers, the Numérique size).

Baselines measured in the same run: building the lxml tree alone (parse), and
fetching the same pages with a plain sequential HTTP client (crawl).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from parsel import Selector

from parsers.csp import parse_listing, parse_offer
from replica import LISTING_PATH, ReplicaServer, ReplicaSite, generate_offers

OFFERS = 2000
PROJECT = Path(__file__).resolve().parent.parent


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def fetch_all(base: str, paths: list[str]) -> list[str]:
    return [urllib.request.urlopen(base + p, timeout=30).read().decode() for p in paths]


def run() -> list[str]:
    site = ReplicaSite(generate_offers(OFFERS, seed=3))
    lines = []
    with ReplicaServer(site) as server:
        base = server.base_url
        offer_paths = [o.path for o in site.offers]
        listing_paths = [LISTING_PATH] + [f"{LISTING_PATH}page/{n}/" for n in range(2, site.last_page() + 1)]
        fetch_time = timed(lambda: fetch_all(base, listing_paths + offer_paths))
        pages = fetch_all(base, offer_paths[:300])
        tree = timed(lambda: [Selector(text=p) for p in pages])
        parse = timed(lambda: [parse_offer(p, base + path) for p, path in zip(pages, offer_paths)])
        listings = fetch_all(base, listing_paths[:20])
        listing_time = timed(lambda: [parse_listing(p, base) for p in listings])
        lines.append(f"parse_offer: {len(pages) / parse:,.0f} pages/s; lxml tree alone {len(pages) / tree:,.0f} pages/s "
                     f"(parsing costs {parse / tree:.1f}x the tree)")
        lines.append(f"parse_listing: {len(listings) / listing_time:,.0f} pages/s (20 cards each)")
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, "-m", "cli", "--db", f"{tmp}/bench.db", "crawl", "csp", "--base-url", base]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
            crawl = time.perf_counter() - start
        total = len(listing_paths) + len(offer_paths)
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-200:]}"
        lines.append(f"crawl of {OFFERS} offers ({total} pages) into SQLite, offers rebuilt: {crawl:.1f} s, "
                     f"{OFFERS / crawl:,.0f} offers/s ({status})")
        lines.append(f"baseline, plain sequential fetch of the same pages: {fetch_time:.1f} s "
                     f"(crawl+parse+store takes {crawl / fetch_time:.1f}x a bare fetch)")
    return lines
