"""Incremental crawls on the local replica (2,000 offers), counted by the replica itself.

1. a second crawl of an unchanged board: requests <= listing pages + 2% of the detail pages;
2. after 5 offers added, 5 edited (their cards) and 5 removed: the next crawl fetches the 10
   changed or new detail pages plus at most the refresh share, closes the 5 removed, and
   its export equals that of a `--full` crawl of the same site (clock fields aside).
Target: issue 11. Baseline: the first (full) crawl's requests, same run.
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from bench.crawling import export_without_clock, offres, status, verdict
from replica import ReplicaServer, ReplicaSite, generate_offers

OFFERS = 2000
# the refresh share of a crawl run right after the previous one: the pages whose refresh time
# (spread over the 7-day window) falls in between; a few minutes are a few thousandths.
REFRESH_SLACK = 0.02


def crawl(server: ReplicaServer, db: Path, *args: str) -> tuple[dict, str, float]:
    server.reset_counters()
    done, seconds = offres(db, "crawl", "csp", "--base-url", server.base_url, *args)
    return server.counters(), status(done), seconds


def run() -> list[str]:
    now = datetime.now(timezone.utc)
    site = ReplicaSite(generate_offers(OFFERS, seed=4, now=now), today=now.date(), seed=4)
    lines = []
    with ReplicaServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        first, first_status, first_s = crawl(server, db)
        lines.append(f"first crawl: {first['requests']} requests ({first['by_kind'].get('listing', 0)} listing, "
                     f"{first['by_kind'].get('detail', 0)} detail), {first['bytes'] / 1e6:.1f} MB, "
                     f"{first_s:.1f} s ({first_status})")
        second, second_status, second_s = crawl(server, db)
        listing, details = second["by_kind"].get("listing", 0), second["by_kind"].get("detail", 0)
        allowed = listing + 1 + REFRESH_SLACK * OFFERS  # + robots.txt
        lines.append(f"second crawl, board unchanged: {second['requests']} requests ({listing} listing, {details} "
                     f"detail, {second['requests'] / first['requests']:.1%} of the first), "
                     f"{second['bytes'] / 1e6:.1f} MB, {second_s:.1f} s ({second_status}); target <= {allowed:.0f} "
                     f"(listing + robots.txt + 2% of details) {verdict(second['requests'] <= allowed)}")

        listed = site.offers
        removed = [o.reference for o in listed[100:105]]
        for offer in listed[200:205]:
            site.edit(offer.reference, title=offer.title + " - poste modifié")
        for reference in removed:
            site.remove(reference)
        site.add_generated(5)
        full_db = Path(tmp) / "full.db"
        shutil.copy(db, full_db)
        third, third_status, _ = crawl(server, db)
        full, full_status, _ = crawl(server, full_db, "--full")
        details = third["by_kind"].get("detail", 0)
        run = next(Database(db).query("select offers_closed from runs order by id desc limit 1"))
        closed = run["offers_closed"]
        same = export_without_clock(db) == export_without_clock(full_db)
    allowed = 10 + REFRESH_SLACK * OFFERS
    lines.append(f"after 5 added, 5 edited, 5 removed: {details} detail pages fetched ({third_status}); target "
                 f"10 + refresh share <= {allowed:.0f} {verdict(10 <= details <= allowed)}")
    lines.append(f"offers closed by that crawl: {closed}; target 5 {verdict(closed == 5)}")
    lines.append(f"its export equals that of a --full crawl ({full['by_kind'].get('detail', 0)} detail pages, "
                 f"{full_status}): {same} {verdict(same)}")
    return lines
