"""Durability: SIGKILLs at random moments of a crawl of the replica (1,000 offers), each
followed by a restart, then one complete crawl (issue 9).

Targets: 0 offers lost, 0 corrupt databases, every killed run shown as interrupted, and the
detail pages fetched again because of the kills <= 20% of one full crawl's. Counted by the
replica itself; the baseline (one full crawl's detail pages) is the site's size.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from bench.crawling import PROJECT, offres, status, verdict
from replica import ReplicaServer, ReplicaSite, generate_offers

OFFERS = 1000
KILLS = 10
MAX_EXTRA = 0.2


def integrity(db: Path) -> bool:
    if not db.exists():
        return True
    with sqlite3.connect(db) as conn:
        return conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def last_run(db: Path) -> tuple[int, str | None]:
    """(id, finished_at) of the latest crawl run; (0, None) when there is none."""
    if not db.exists():
        return 0, None
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute("select id, finished_at from runs where kind = 'crawl' order by id desc limit 1").fetchone()
        except sqlite3.OperationalError:  # no runs table yet
            return 0, None
    return row or (0, None)


def run() -> list[str]:
    rng = random.Random(9)
    now = datetime.now(timezone.utc)
    site = ReplicaSite(generate_offers(OFFERS, seed=6, now=now), today=now.date(), seed=6)
    kills, attempts, corrupt, stored_at_kill, mid_run = 0, 0, 0, [], 0
    with ReplicaServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        command = [sys.executable, "-m", "cli", "--db", str(db), "crawl", "csp", "--base-url", server.base_url]
        while kills < KILLS and attempts < 3 * KILLS:
            attempts += 1
            served, before = server.counters()["requests"], last_run(db)
            child = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while child.poll() is None and server.counters()["requests"] == served:
                time.sleep(0.01)  # the kill falls at a random moment once the crawl fetches
            try:
                child.wait(timeout=rng.uniform(0.0, 5.0))
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                kills += 1
                with sqlite3.connect(db) as conn:
                    stored_at_kill.append(conn.execute("select count(*) from crawl_state").fetchone()[0])
                run_id, finished = last_run(db)
                mid_run += run_id > before[0] and finished is None  # not before its start nor after its end
            corrupt += not integrity(db)
        details_killed = server.counters()["by_kind"].get("detail", 0)
        done, _ = offres(db, "crawl", "csp", "--base-url", server.base_url)
        counted = server.counters()
        distinct = len({p for p in server.requests if p.startswith("/offre-emploi/")})
        corrupt += not integrity(db)
        base = Database(db)
        present = {r["reference"] for r in base.query("select reference from offers where status = 'open' "
                                                     "or status_reason like 'deadline%'")}
        interrupted = base.execute("select count(*) from runs where finish_reason = 'interrupted'").fetchone()[0]
        closed = base.execute("select count(*) from events where kind = 'closed' and "
                              "coalesce(reason, '') not like 'deadline%'").fetchone()[0]
    lost = len({o.reference for o in site.offers} - present)
    extra = counted["by_kind"].get("detail", 0) - distinct
    share = extra / OFFERS
    return [
        f"{kills} SIGKILLs in {attempts} crawls (pages stored at each kill: {stored_at_kill}), then one crawl "
        f"({status(done)}); detail requests: {details_killed} before the last crawl, "
        f"{counted['by_kind'].get('detail', 0)} in all for {distinct} pages",
        f"detail pages fetched again: {extra} = {share:.1%} of a full crawl (target <= {MAX_EXTRA:.0%}) "
        f"{verdict(share <= MAX_EXTRA)}",
        f"listing pages fetched in all: {counted['by_kind'].get('listing', 0)} (the listing is crawled in full "
        f"each time, {-(-OFFERS // 20)} pages)",
        f"offers lost: {lost} (target 0) {verdict(lost == 0)}; offers closed other than by their deadline: {closed} (target 0) "
        f"{verdict(closed == 0)}; corrupt databases: {corrupt} (target 0) {verdict(corrupt == 0)}",
        f"runs shown as interrupted: {interrupted} of the {mid_run} killed between their start and their end "
        f"({kills - mid_run} kills fell outside a run) {verdict(interrupted == mid_run)}",
    ]
