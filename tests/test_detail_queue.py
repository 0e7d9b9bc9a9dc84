"""Digital offers only the open-data file shows: queued, fetched by the CSP spider within a
budget, kept open by nothing but their own evidence (pipeline/detail_queue.py,
spiders/csp_unlisted.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from pipeline.detail_queue import MAX_ATTEMPTS, due, ensure_table, record_outcomes, summary, update_queue
from pipeline.offer_merge import merged_fields
from pipeline.store import ensure_schema
from replica import ReplicaServer, ReplicaSite, generate_offers
from replica.generator import filed_elsewhere
from replica.datagouv import DataGouvReplica
from replica.datagouv_rows import OpenDataWeek

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)
TODAY = date.today()
SMALL = ["-s", "OPENDATA_MIN_BYTES=100000", "-s", "OPENDATA_MIN_ROWS=1000"]
AT = "2026-11-30T08:00:00+00:00"


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def qdb():
    db = Database(memory=True)
    ensure_schema(db)
    ensure_table(db)
    return db


def test_the_queue_follows_the_file(qdb):
    qdb["raw_postings"].insert({"id": 1, "posting_id": "p1", "source": "csp", "url": "u", "reference": "LISTED-1",
                                "trusted": 1})
    change = update_queue(qdb, {"A-1": ("d1", 10), "B-2": ("d2", 30), "LISTED-1": ("d3", 50)}, AT)
    assert (change.queued, change.retired, change.waiting) == (2, 0, 2)
    assert due(qdb, 10) == ["B-2", "A-1"]  # newest publication first; the listing's own is not queued
    assert due(qdb, 1) == ["B-2"] and due(qdb, 0) == []
    record_outcomes(qdb, [{"reference": "B-2", "outcome": "missing", "message": "HTTP 404"}], AT)
    assert due(qdb, 10) == ["A-1"]
    change = update_queue(qdb, {"B-2": ("d2", 30), "C-3": ("d4", 20)}, AT)  # A-1 closed or no longer digital
    assert (change.queued, change.retired) == (1, 1)
    assert due(qdb, 10) == ["C-3"]  # B-2's row is unchanged: still missing, not asked again
    assert update_queue(qdb, {"B-2": ("d2-edited", 30), "C-3": ("d4", 20)}, AT).queued == 1
    assert due(qdb, 10) == ["B-2", "C-3"]  # its row changed: its page is fetched again


def test_failures_are_retried_then_given_up(qdb):
    update_queue(qdb, {"A-1": ("d1", 10), "B-2": ("d2", 5)}, AT)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert "A-1" in due(qdb, 10)
        record_outcomes(qdb, [{"reference": "A-1", "outcome": "failed", "message": "timeout"}], AT)
        if attempt < MAX_ATTEMPTS:
            assert due(qdb, 10) == ["B-2", "A-1"]  # fewer attempts first
    assert due(qdb, 10) == ["B-2"]
    assert summary(qdb) == {"failed": 1, "waiting": 1}


def test_a_page_fetched_by_an_unhealthy_crawl_is_due_again(qdb):
    update_queue(qdb, {"A-1": ("d1", 10)}, AT)
    qdb["raw_postings"].insert({"id": 7, "posting_id": "px", "source": "csp-unlisted", "url": "u", "trusted": 0})
    qdb["postings"].insert({"id": "px", "source": "csp-unlisted", "url": "u", "raw_id": 7, "latest_raw_id": 7})
    record_outcomes(qdb, [{"reference": "A-1", "outcome": "fetched", "posting_id": "px"}], AT)
    assert due(qdb, 10) == ["A-1"]
    qdb.execute("update raw_postings set trusted = 1")
    assert due(qdb, 10) == []


def test_the_file_window_ends_a_page_read_outside_the_listing():
    page = {"deadline": None, "title": "Data engineer"}
    assert merged_fields(page, "csp-unlisted", [("csp-opendata", {"deadline": "2026-11-01"})])["deadline"] == "2026-11-01"
    assert merged_fields({"deadline": "2026-10-01"}, "csp-unlisted",
                         [("csp-opendata", {"deadline": "2026-11-01"})])["deadline"] == "2026-10-01"
    listed = merged_fields({"deadline": None}, "csp", [("csp-opendata", {"deadline": "2026-11-01"})])
    assert listed["deadline"] is None  # the listing's own page: the late file decides nothing


def test_digital_offers_outside_the_listing_get_their_pages(tmp_path):
    db = tmp_path / "o.db"
    week = OpenDataWeek(rows=3000, seed=8, digital=0.06, today=TODAY)
    path = tmp_path / "week0.csv"
    with DataGouvReplica(tmp_path) as data:
        data.publish(path, week.write(path), week=0)
        done = offres(db, "crawl", "csp-opendata", "--base-url", data.base_url, *SMALL)
    assert done.returncode == 0, done.stderr
    queued = [(r["reference"], r["title"]) for r in Database(db).query(
        "select q.reference, o.title from detail_queue q join offers o on o.reference = q.reference "
        "order by q.rank desc, q.reference")]
    assert len(queued) >= 8
    listed = generate_offers(40, seed=3, now=NOW)
    templates = generate_offers(len(queued), seed=4, now=NOW)
    outside = [filed_elsewhere(t, ref, title) for t, (ref, title) in zip(templates, queued)]
    site = ReplicaSite(listed + outside[1:], today=TODAY, seed=3)  # the first one is no longer on the board

    with ReplicaServer(site) as board:
        first = offres(db, "crawl", "csp", "--base-url", board.base_url, "-s", "OFFRES_UNLISTED_BUDGET=4")
        assert first.returncode == 0, first.stderr
        second = offres(db, "crawl", "csp", "--base-url", board.base_url, "-s", "OFFRES_UNLISTED_BUDGET=4")
        assert second.returncode == 0, second.stderr
    store = Database(db)
    runs = list(store.query("select offers_seen, stats, healthy, complete from runs where source = 'csp' order by id"))
    assert [r["offers_seen"] for r in runs] == [40, 40]  # the listing's health counts the listing's offers only
    assert all(r["healthy"] and r["complete"] for r in runs)
    stats = [json.loads(r["stats"]) for r in runs]
    assert stats[0]["offres/unlisted/due"] == 4 and stats[0]["offres/unlisted/missing"] == 1
    assert stats[0]["offres/unlisted/fetched"] == 3 and stats[1]["offres/unlisted/fetched"] == 4
    state = {r["reference"]: r for r in store.query("select * from detail_queue")}
    assert state[queued[0][0]]["outcome"] == "missing"
    fetched = [ref for ref, _ in queued if state[ref]["outcome"] == "fetched"]
    assert len(fetched) == 7
    found = {r["reference"]: r for r in store.query("select * from offers")}
    for (ref, _), offer in zip(queued[1:8], outside[1:8]):
        got = found[ref]
        assert sorted(s["source"] for s in json.loads(got["sources"])) == ["csp-opendata", "csp-unlisted"]
        assert got["url"] == board.base_url + offer.path  # the canonical page, not the short form
        assert got["missions_html"] and got["status"] == "open"  # the second complete crawl closed nothing
    assert sum(1 for r in store.query("select * from offers where reference = ?", [queued[0][0]])) == 1
    why = json.loads(offres(db, "explain", queued[1][0], "--json").stdout)["offer"]["status_decided_by"]
    assert why == "no source shows it gone or past its deadline (csp-opendata, csp-unlisted)"
    numbers = json.loads(offres(db, "stats", "--json").stdout)
    assert numbers["digital_open_outside_numerique"] >= len(queued) - 1
    assert numbers["unlisted_pages"]["fetched"] == 7 and numbers["unlisted_pages"]["missing"] == 1


def test_explain_names_the_source_that_decided_the_status():
    from pipeline.explain import status_decided_by

    postings = [{"source": "csp-unlisted", "deadline": "2026-12-31"}, {"source": "csp-opendata", "deadline": "2026-11-01"}]
    closed = {"status": "closed", "status_reason": "deadline 2026-11-01 passed"}
    assert status_decided_by(closed, postings) == "the deadline stated by csp-opendata"
    gone = {"status": "closed", "status_reason": "absent from the complete crawl of csp at 2026-11-30T08:00:00+00:00"}
    assert status_decided_by(gone, [{"source": "csp", "gone_at": "2026-11-30"}]) == "the complete crawl of csp"
    listed = {"status": "open", "status_reason": None}
    assert status_decided_by(listed, [{"source": "csp"}, {"source": "csp-opendata"}]) == "listed by csp"
