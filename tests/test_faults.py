"""Crawls under faults (issue 9, crawl side): nothing closed by a crawl that could not see it,
no good export replaced, no posting lost, and the run's health notes name what went wrong.

One healthy baseline crawl + export of a 60-offer replica; each scenario copies that
database and export, switches faults on, crawls again and exports again (child processes,
as cron runs them). No network beyond 127.0.0.1.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from replica import Faults, ReplicaServer, ReplicaSite, generate_offers
from replica.faults import FaultInjector
from spiders.retry import retry_after_seconds

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)
N_OFFERS = 60
# --full: every detail page is fetched again, so that the faults injected on them are met
# (an incremental crawl meets them on the pages it fetches: tests/test_crawl_incremental.py).
FAST = ("--full", "-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=2")


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A replica, and a database + export file from one healthy crawl of it."""
    site = ReplicaSite(generate_offers(N_OFFERS, seed=11, now=NOW), today=NOW.date(), seed=11)
    folder = tmp_path_factory.mktemp("baseline")
    db, export = folder / "offres.db", folder / "offres.json"
    with ReplicaServer(site, faults=Faults()) as server:
        crawl = offres(db, "crawl", "csp", "--base-url", server.base_url)
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr
        written = offres(db, "export", "--all", "--output", str(export))
        assert written.returncode == 0, written.stderr
        yield server, db, export


def run_scenario(baseline, tmp_path, faults: Faults, *extra: str):
    """Crawl + export under `faults`; returns (crawl, export, run row, db path, export path, old bytes)."""
    server, base_db, base_export = baseline
    db, export = tmp_path / "offres.db", tmp_path / "offres.json"
    shutil.copy(base_db, db)
    shutil.copy(base_export, export)
    before = export.read_bytes()
    server.faults = FaultInjector(faults)
    started = time.time()
    try:
        crawl = offres(db, "crawl", "csp", "--base-url", server.base_url, *FAST, *extra)
    finally:
        injector, server.faults = server.faults, FaultInjector(Faults())
    elapsed = time.time() - started
    written = offres(db, "export", "--all", "--output", str(export))
    run = next(Database(db).query("select * from runs where kind = 'crawl' order by id desc limit 1"))
    return {"crawl": crawl, "export": written, "run": run, "db": db, "before": before, "after": export.read_bytes(),
            "injector": injector, "elapsed": elapsed}


def assert_nothing_lost(result) -> None:
    """Every offer of the baseline export is still there with its status; none closed by this crawl."""
    db = Database(result["db"])
    offers = {r["reference"]: r["status"] for r in db.query("select reference, status from offers")}
    before = {o["reference"]: o["status"] for o in json.loads(result["before"])["offers"]}
    assert len(before) == N_OFFERS and set(before) <= set(offers)
    assert {r: offers[r] for r in before} == before  # open stays open (expired ones stay expired)
    assert result["run"]["offers_closed"] == 0
    closed = db.execute("select count(*) from events where run_id = ? and kind = 'closed'",
                        [result["run"]["id"]]).fetchone()[0]
    assert closed == 0


def assert_unhealthy(result, *words: str) -> None:
    crawl, run = result["crawl"], result["run"]
    assert crawl.returncode == 3, crawl.stdout + crawl.stderr
    assert run["healthy"] == 0
    for word in words:
        assert word in (run["health_notes"] or ""), run["health_notes"]
    assert result["export"].returncode == 3  # refused after an unhealthy crawl
    assert result["after"] == result["before"]
    assert_nothing_lost(result)


def test_block_page_from_page_k(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(block_from=2))
    assert_unhealthy(result, "no offer card, no 'no result' marker and no pagination")
    assert result["run"]["complete"] == 0


def test_503_from_page_k(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(error_from=3))
    assert_unhealthy(result, "listing page failed")


def test_ban_page_everywhere(baseline, tmp_path):
    assert_unhealthy(run_scenario(baseline, tmp_path, Faults(ban_all=True)), "listing page 1")


def test_renamed_card_classes(baseline, tmp_path):
    assert_unhealthy(run_scenario(baseline, tmp_path, Faults(rename_classes=True)), "no offer card")


def test_empty_listing(baseline, tmp_path):
    server = baseline[0]
    site, server.site = server.site, ReplicaSite([], today=NOW.date())
    try:
        result = run_scenario(baseline, tmp_path, Faults())
    finally:
        server.site = site
    assert_unhealthy(result, "no offer found")


def test_relabelled_deadline_and_metier(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(relabel=True))
    assert_unhealthy(result, "field 'deadline'", "field 'metier'")
    # the good versions were kept: deadlines and métiers are still there
    offers = list(Database(result["db"]).query("select deadline, metier from offers"))
    assert any(o["deadline"] for o in offers) and any(o["metier"] for o in offers)


def test_offsite_redirect_of_detail_pages_many(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(offsite_rate=0.3))
    assert_unhealthy(result, "errors for 60 offers", "redirected off 127.0.0.1")
    stats = json.loads(result["run"]["stats"])
    hits = result["injector"].injected["offsite"]
    assert stats["offres/no_response/offhost_redirect"] == hits
    assert result["run"]["errors"] == hits


def test_offsite_redirect_of_a_few_detail_pages_closes_nothing(baseline, tmp_path):
    """A healthy crawl that could not see 3 offers keeps them open (their cards are postings)."""
    result = run_scenario(baseline, tmp_path, Faults(offsite_rate=0.05, seed=3))
    hits = result["injector"].injected.get("offsite", 0)
    assert hits >= 1
    assert result["run"]["errors"] == hits
    assert result["run"]["offers_seen"] == N_OFFERS
    assert_nothing_lost(result)
    errors = list(Database(result["db"]).query("select message from errors where run_id = ?",
                                               [result["run"]["id"]]))
    assert sum("redirected off" in e["message"] for e in errors) == hits


def check_retry_after_honoured(injector: FaultInjector) -> int:
    """Every retry of a 429 came at or after the time the server asked; returns the 429 count."""
    throttled = 0
    for i, (_, path, status, not_before) in enumerate(injector.history):
        if status != 429:
            continue
        throttled += 1
        later = [t for t, p, _, _ in injector.history[i + 1:] if p == path]
        assert later, f"{path} never retried"
        assert later[0] >= not_before - 0.01, f"{path} retried {not_before - later[0]:.2f} s early"
    return throttled


@pytest.mark.parametrize("retry_after", ["1", "date:2"])
def test_429_retry_after_honoured(baseline, tmp_path, retry_after):
    result = run_scenario(baseline, tmp_path, Faults(throttle_rate=0.08, retry_after=retry_after, seed=5),
                          "-s", "RETRY_TIMES=5")
    assert result["crawl"].returncode == 0, result["crawl"].stdout + result["crawl"].stderr
    assert result["run"]["offers_seen"] == N_OFFERS and result["run"]["errors"] == 0
    assert check_retry_after_honoured(result["injector"]) >= 1
    assert_nothing_lost(result)


def test_long_retry_after_is_a_ban(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(throttle_rate=0.1, retry_after="3600", seed=5),
                          "-s", "OFFRES_MAX_RETRY_AFTER=30")
    assert_unhealthy(result, "banned")
    assert result["run"]["finish_reason"] == "banned"
    assert result["elapsed"] < 60


def test_gzip_bomb_stopped(baseline, tmp_path):
    result = run_scenario(baseline, tmp_path, Faults(bomb_rate=0.05, bomb_mb=48, seed=2),
                          "-s", "DOWNLOAD_MAXSIZE=16777216")
    hits = result["injector"].injected["bomb"]
    assert result["run"]["errors"] == hits
    assert result["run"]["offers_seen"] == N_OFFERS
    assert_nothing_lost(result)


def test_5xx_hangs_429_truncation_all_stored(baseline, tmp_path):
    faults = Faults(error_rate=0.1, hang_rate=0.05, hang_seconds=3, throttle_rate=0.03, retry_after="0",
                    truncate_rate=0.05, seed=9)
    result = run_scenario(baseline, tmp_path, faults, "-s", "RETRY_TIMES=6", "-s", "DOWNLOAD_TIMEOUT=1")
    assert result["run"]["offers_seen"] == N_OFFERS
    assert_nothing_lost(result)


def test_control_endpoint_switches_faults(baseline):
    server = baseline[0]
    def post(query: str) -> dict:
        request = urllib.request.Request(f"{server.base_url}/__replica__/faults?{query}", data=b"", method="POST")
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())
    try:
        assert post("block_from=2&relabel=1")["faults"]["block_from"] == 2
        with urllib.request.urlopen(server.base_url + "/nos-offres/filtres/domaine/3522/page/2/") as answer:
            assert b"fr-card--offer" not in answer.read() and answer.status == 200
        assert post("reset=1")["faults"]["block_from"] == 0
    finally:
        server.faults = FaultInjector(Faults())


def test_retry_after_forms():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_seconds("Wed, 02 Dec 2026 09:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
