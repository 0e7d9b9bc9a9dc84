"""Incremental crawls (issue 11, crawl side) and resume after a kill (issue 9), on loopback.

Request counts are the replica's own (`ReplicaServer.counters()`), not the spider's idea
of what it did. Crawls run in child processes, as cron runs them.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from replica import Faults, ReplicaServer, ReplicaSite, generate_offers
from replica.faults import FaultInjector
from spiders.incremental import Policy, card_hash, phase, refresh_due

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)
ALL_DUE = ("-s", "OFFRES_REFRESH_DAYS=0.000000001", "-s", "OFFRES_FRESH_HOURS=0")  # every page due: a window of 86 µs


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)


def crawl(server: ReplicaServer, db: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """One crawl; returns it, the replica's counters for it, and the run's kept stats."""
    server.reset_counters()
    done = offres(db, "crawl", "csp", "--base-url", server.base_url, *args)
    run = next(Database(db).query("select * from runs order by id desc limit 1"))
    return done, server.counters(), json.loads(run["stats"] or "{}")


def offers(db: Path) -> dict[str, dict]:
    return {r["reference"]: r for r in Database(db).query("select * from offers")}


@pytest.fixture
def site():
    return ReplicaSite(generate_offers(60, seed=5, now=NOW), today=NOW.date(), seed=5)


def test_unchanged_crawl_fetches_the_listing_only(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site) as server:
        first, counted, _ = crawl(server, db)
        assert first.returncode == 0, first.stderr
        assert counted["by_kind"]["detail"] == 60 and counted["by_kind"]["listing"] == 3
        before = offers(db)
        second, counted, stats = crawl(server, db)
    assert second.returncode == 0, second.stderr
    assert counted["by_kind"].get("detail", 0) == 0 and counted["by_kind"]["listing"] == 3
    assert stats["offres/detail_skipped/fresh"] == 60 and stats["downloader/request_count"] == 4
    assert stats["downloader/response_bytes"] > 0
    run = next(Database(db).query("select * from runs order by id desc limit 1"))
    assert run["healthy"] == 1 and run["offers_seen"] == 60 and run["offers_closed"] == 0
    after = offers(db)  # skipped offers are seen, not closed, and keep their data
    assert {r: (o["status"], o["title"], o["missions_html"]) for r, o in after.items()} == \
        {r: (o["status"], o["title"], o["missions_html"]) for r, o in before.items()}
    assert all(after[r]["last_seen_at"] >= before[r]["last_seen_at"] for r in before)


def test_changed_new_and_removed_offers(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site) as server:
        assert crawl(server, db)[0].returncode == 0
        listed = site.offers
        edited, removed = listed[7].reference, listed[30].reference
        site.edit(edited, title="Architecte des données (H/F)")
        site.edit(listed[8].reference, employer="Ministère de la Culture")
        added = [o.reference for o in site.add_generated(2)]
        site.remove(removed)
        done, counted, stats = crawl(server, db)
    assert done.returncode == 0, done.stderr
    fetched = {p for p, n in server.requests.items() if "/offre-emploi/" in p}
    assert counted["by_kind"]["detail"] == 4 and len(fetched) == 4
    assert stats["offres/detail_fetched/changed"] == 2 and stats["offres/detail_fetched/new"] == 2
    after = offers(db)
    assert after[edited]["title"] == "Architecte des données"
    assert after[listed[8].reference]["employer"] == "Ministère de la Culture"
    assert all(after[r]["status"] == "open" for r in added)
    assert after[removed]["status"] == "closed"


def test_refresh_sends_validators_and_a_304_counts_as_seen(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site) as server:
        assert crawl(server, db)[0].returncode == 0
        before = offers(db)
        done, counted, stats = crawl(server, db, *ALL_DUE)
        assert done.returncode == 0, done.stderr
        assert counted["by_status"].get("304") == 60 and counted["by_kind"]["detail"] == 60
        assert stats["offres/detail_not_modified"] == 60
        assert offers(db).keys() == before.keys() and all(o["status"] == "open" for o in offers(db).values()
                                                          if before[o["reference"]]["status"] == "open")
        # a change the card does not show (the métier) is found by the refresh: 200, stored
        reference = site.offers[3].reference
        site.edit(reference, metier="Administratrice / Administrateur systèmes")
        done, counted, _ = crawl(server, db, *ALL_DUE)
    assert done.returncode == 0, done.stderr
    assert counted["by_status"].get("304") == 59
    assert offers(db)[reference]["metier"] == "Administratrice / Administrateur systèmes"


def test_full_refetches_everything(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site) as server:
        assert crawl(server, db)[0].returncode == 0
        done, counted, stats = crawl(server, db, "--full")
    assert done.returncode == 0, done.stderr
    assert counted["by_kind"]["detail"] == 60 and counted["by_status"] == {"200": 64}
    assert stats["offres/detail_fetched/full"] == 60


def test_failed_detail_page_is_fetched_again(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site, faults=Faults()) as server:
        server.faults = FaultInjector(Faults(offsite_rate=0.05, seed=3))
        first, _, _ = crawl(server, db)
        failed = server.faults.injected["offsite"]
        assert failed >= 1, "the seed should redirect some detail pages"
        server.faults = FaultInjector(Faults())
        done, counted, stats = crawl(server, db)
    assert done.returncode == 0, done.stderr
    assert stats["offres/detail_fetched/failed"] == failed == counted["by_kind"]["detail"]


def test_markup_change_is_seen_on_the_refreshed_sample(site, tmp_path):
    db = tmp_path / "offres.db"
    with ReplicaServer(site, faults=Faults()) as server:
        assert crawl(server, db)[0].returncode == 0
        site.add_generated(1)  # the ETags change with the page (recommended offers): 200s, not 304s
        server.faults = FaultInjector(Faults(relabel=True))
        done, _, _ = crawl(server, db, *ALL_DUE)
    assert done.returncode == 3
    run = next(Database(db).query("select * from runs order by id desc limit 1"))
    assert "field 'metier'" in run["health_notes"]


def test_refresh_window_is_spread_over_the_days():
    window, fresh = timedelta(days=7), timedelta(hours=6)
    urls = [f"https://example.org/offre-emploi/x-reference-2026-{n:07d}/" for n in range(2000)]
    fetched = dict.fromkeys(urls, NOW)
    refreshed_on: dict[str, list[int]] = {u: [] for u in urls}
    shares = []
    for day in range(1, 22):
        now = NOW + timedelta(days=day)
        due = [u for u in urls if refresh_due(u, fetched[u], now, window, fresh)]
        shares.append(len(due) / len(urls))
        for u in due:
            fetched[u] = now
            refreshed_on[u].append(day)
    assert all(0.10 <= s <= 0.19 for s in shares), shares  # about a seventh each day
    assert all(len(days) == 3 for days in refreshed_on.values())  # once a window, every page
    assert all(b - a == 7 for days in refreshed_on.values() for a, b in zip(days, days[1:]))
    assert not any(refresh_due(u, NOW, NOW + timedelta(hours=5), timedelta(hours=1), fresh) for u in urls[:50])
    assert len({round(phase(u), 2) for u in urls}) > 90  # phases spread over the window


def test_policy_reasons():
    policy = Policy(parser_version="csp/1")
    card = {"url": "u", "title": "Dev", "employer": "DINUM", "location_area": "Paris (75)",
            "published": "En ligne depuis le 02 octobre 2026"}
    digest = card_hash(card)
    fresh = {"card_hash": digest, "fetched_at": NOW.isoformat(), "parser_version": "csp/1", "failed": 0}
    assert policy.decide("u", digest, None, NOW) == "new"
    assert policy.decide("u", digest, fresh, NOW) is None
    assert policy.decide("u", card_hash({**card, "title": "Développeur"}), fresh, NOW) == "changed"
    assert card_hash({**card, "title": " Dev "}) == digest  # whitespace is not a change
    assert policy.decide("u", digest, {**fresh, "failed": 1}, NOW) == "failed"
    assert policy.decide("u", digest, {**fresh, "parser_version": "csp/0"}, NOW) == "parser"
    assert policy.decide("u", digest, fresh, NOW + timedelta(days=8)) == "refresh"
    assert Policy(full=True).decide("u", digest, fresh, NOW) == "full"


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def stored(db: Path) -> int:
    try:
        return Database(db).execute("select count(*) from crawl_state where failed = 0").fetchone()[0]
    except Exception:  # not created yet, or locked for a moment
        return 0


def test_kill_then_resume(tmp_path):
    site = ReplicaSite(generate_offers(300, seed=9, now=NOW), today=NOW.date(), seed=9)
    db = tmp_path / "offres.db"
    slow = ("-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_DELAY=0.01")
    with ReplicaServer(site) as server:
        child = subprocess.Popen([sys.executable, "-m", "cli", "--db", str(db), "crawl", "csp", "--base-url",
                                  server.base_url, *slow], cwd=PROJECT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: stored(db) >= 60)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        kept = stored(db)
        fetched_before = server.counters()["by_kind"]["detail"]
        assert kept < 300, "the crawl ended before the kill"
        killed = next(Database(db).query("select * from runs"))
        assert killed["finished_at"] is None and killed["healthy"] is None
        assert Database(db).execute("select count(*) from postings where gone_at is not null").fetchone()[0] == 0
        shown = offres(db, "stats")
        assert shown.returncode == 0 and "INTERRUPTED" in shown.stdout and "UNHEALTHY" not in shown.stdout

        done, counted, stats = crawl(server, db)
    assert done.returncode == 0, done.stderr
    # what the killed crawl stored is not fetched again; what it had in flight may be
    assert counted["by_kind"]["detail"] == 300 - kept
    assert fetched_before - kept <= 2 + 100  # at most the requests in flight and one batch were lost
    runs = list(Database(db).query("select * from runs order by id"))
    assert runs[0]["finish_reason"] == "interrupted" and runs[0]["healthy"] == 0
    assert runs[1]["healthy"] == 1 and runs[1]["offers_seen"] == 300
    assert len(offers(db)) == 300 and all(o["status"] == "open" or o["status_reason"].startswith("deadline")
                                          for o in offers(db).values())
    shown = offres(db, "stats", "--json")
    states = [r["state"] for r in json.loads(shown.stdout)["runs"]]
    assert states == ["healthy", "interrupted"]


def test_state_rows_keep_the_columns_a_row_does_not_give(db):
    from pipeline.crawl_state import ensure_table, save_states

    ensure_table(db)
    save_states(db, [{"url": "a", "etag": '"1"', "filled": ["title"], "fetched_at": "t0"}, {"url": "b", "etag": '"2"'}])
    save_states(db, [{"url": "a", "fetched_at": "t1"}, {"url": "b", "failed": 1, "etag": '"3"'}])
    rows = {r["url"]: r for r in db.table("crawl_state").rows}
    assert (rows["a"]["etag"], rows["a"]["filled"], rows["a"]["fetched_at"]) == ('"1"', '["title"]', "t1")
    assert (rows["b"]["etag"], rows["b"]["failed"]) == ('"3"', 1)
