"""Parsing and crawling speed on the local replica (2,000 offers, the Numérique size).

Baselines measured in the same run: building the lxml tree alone (parse), and a bare
Scrapy spider (bench/bare_spider.py) downloading the same URLs with the same settings
(crawl). Target (issue 11): the crawl's throughput >= 0.6x the bare spider's.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from parsel import Selector

from bench.crawling import PROJECT, offres, status, verdict
from parsers.csp import parse_listing, parse_offer
from replica import LISTING_PATH, ReplicaServer, ReplicaSite, generate_offers

OFFERS = 2000
TARGET = 0.6


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def fetch_all(base: str, paths: list[str]) -> list[str]:
    return [urllib.request.urlopen(base + p, timeout=30).read().decode() for p in paths]


def bare_crawl(urls: list[str], folder: str) -> tuple[float, str]:
    """Wall time of the bare spider over `urls` (a child process, like the crawl)."""
    listed = Path(folder) / "urls.txt"
    listed.write_text("\n".join(urls))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.bare_spider", str(listed)], cwd=PROJECT,
                          capture_output=True, text=True)
    return time.perf_counter() - start, status(done)


def run() -> list[str]:
    site = ReplicaSite(generate_offers(OFFERS, seed=3))
    lines = []
    with ReplicaServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        base = server.base_url
        offer_paths = [o.path for o in site.offers]
        listing_paths = [LISTING_PATH] + [f"{LISTING_PATH}page/{n}/" for n in range(2, site.last_page() + 1)]
        pages = fetch_all(base, offer_paths[:300])
        tree = timed(lambda: [Selector(text=p) for p in pages])
        parse = timed(lambda: [parse_offer(p, base + path) for p, path in zip(pages, offer_paths)])
        listings = fetch_all(base, listing_paths[:20])
        listing_time = timed(lambda: [parse_listing(p, base) for p in listings])
        lines.append(f"parse_offer: {len(pages) / parse:,.0f} pages/s; lxml tree alone {len(pages) / tree:,.0f} pages/s "
                     f"(parsing costs {parse / tree:.1f}x the tree)")
        lines.append(f"parse_listing: {len(listings) / listing_time:,.0f} pages/s (20 cards each)")
        urls = [base + p for p in listing_paths + offer_paths]
        bare, bare_status = bare_crawl(urls, tmp)
        server.reset_counters()
        done, crawl = offres(Path(tmp) / "bench.db", "crawl", "csp", "--base-url", base)
        served = server.counters()["requests"]
    ratio = bare / crawl
    lines.append(f"crawl of {OFFERS} offers ({served} requests) into SQLite, offers rebuilt: {crawl:.1f} s, "
                 f"{served / crawl:,.0f} pages/s ({status(done)})")
    lines.append(f"baseline, bare Scrapy spider on the same {len(urls)} URLs, same settings: {bare:.1f} s, "
                 f"{len(urls) / bare:,.0f} pages/s ({bare_status})")
    lines.append(f"crawl throughput: {ratio:.2f}x the bare spider (target >= {TARGET}x) {verdict(ratio >= TARGET)}")
    return lines
