"""One writer at a time: crawl lock, BEGIN IMMEDIATE with a busy timeout, exports during a crawl."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from pipeline.export.safety import unhealthy_sources
from pipeline.store import CrawlLocked, crawl_lock, crawl_running, finish_run, open_db, start_run, write_transaction


def test_second_crawl_lock_refused_then_free(tmp_path):
    db_path = tmp_path / "x.db"
    with crawl_lock(db_path):
        assert crawl_running(db_path)
        with pytest.raises(CrawlLocked, match="another crawl is running on this database"):
            with crawl_lock(db_path):
                pass
    assert not crawl_running(db_path)


def test_lock_released_when_holder_is_killed(tmp_path):
    db_path = tmp_path / "x.db"
    code = f"from pipeline.store import crawl_lock\nimport time\nwith crawl_lock({str(db_path)!r}):\n print('held', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    assert crawl_running(db_path)
    proc.kill()
    proc.wait()
    assert not crawl_running(db_path)


def test_cli_crawl_exits_6_when_locked(tmp_path):
    db_path = tmp_path / "x.db"
    with crawl_lock(db_path):
        done = subprocess.run([sys.executable, "-m", "cli", "--db", str(db_path), "crawl", "csp",
                               "--base-url", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 6, done.stderr
    assert "another crawl is running on this database" in done.stderr
    assert "Traceback" not in done.stderr


def test_immediate_transactions_wait_for_each_other(tmp_path):
    db_path = tmp_path / "x.db"
    second = open_db(db_path)
    held = threading.Event()

    def hold():
        first = open_db(db_path)  # a connection belongs to its thread
        with write_transaction(first):
            first.execute("insert into errors (source, message) values ('a', 'held')")
            held.set()
            time.sleep(1.0)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    with write_transaction(second):  # waits (busy timeout) instead of "database is locked"
        second.execute("insert into errors (source, message) values ('b', 'after')")
    thread.join()
    assert [r["source"] for r in second.query("select source from errors order by id")] == ["a", "b"]


def test_export_ignores_the_crawl_under_way(tmp_path):
    db_path = tmp_path / "x.db"
    db = open_db(db_path)
    done = start_run(db, "crawl", "csp")
    finish_run(db, done, complete=1, healthy=1, finish_reason="finished")
    start_run(db, "crawl", "csp")  # under way: not finished
    assert unhealthy_sources(db)  # without the lock, an unfinished run is a killed one
    with crawl_lock(db_path):
        assert unhealthy_sources(db) == []


def test_three_writers_at_once_lose_nothing(tmp_path):
    """A crawl, a second crawl refused, a third queued (--wait), and an ingest of 3,000 lines, together."""
    import json
    from datetime import datetime, timezone
    from pathlib import Path

    from sqlite_utils import Database

    from replica import ReplicaServer, ReplicaSite, generate_offers
    from replica.faults import Faults
    from tests.conftest import make_record

    project = Path(__file__).resolve().parent.parent
    db = tmp_path / "o.db"
    lines = tmp_path / "postings.jsonl"
    lines.write_text("".join(json.dumps(make_record(f"2026-{5000000 + n}", source="other-board")) + "\n"
                             for n in range(3000)))
    now = datetime.now(timezone.utc)
    site = ReplicaSite(generate_offers(200, seed=21, now=now), today=now.date(), seed=21)

    def offres(*args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=project,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    with ReplicaServer(site, faults=Faults(seed=2, hang_rate=0.5, hang_seconds=0.6)) as server:
        first = offres("crawl", "csp", "--base-url", server.base_url)
        deadline = time.monotonic() + 30
        while not crawl_running(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        refused = offres("crawl", "csp", "--base-url", server.base_url)
        queued = offres("crawl", "csp", "--base-url", server.base_url, "--wait")
        ingest = offres("ingest", str(lines))
        results = {name: (proc.wait(timeout=600), *proc.communicate())
                   for name, proc in (("first", first), ("refused", refused), ("queued", queued), ("ingest", ingest))}
    for name, (code, out, err) in results.items():
        assert "Traceback" not in err, (name, err)
    assert results["first"][0] == 0, results["first"][2]
    assert results["refused"][0] == 6 and "another crawl is running" in results["refused"][2]
    assert results["queued"][0] == 0, results["queued"][2]
    assert results["ingest"][0] == 0, results["ingest"][2]
    database = Database(db)
    assert database.execute("select count(*) from postings where source = 'other-board'").fetchone()[0] == 3000
    assert database.execute("select count(*) from postings where source = 'csp'").fetchone()[0] == 200
    runs = list(database.query("select kind, finished_at from runs order by id"))
    assert sorted(r["kind"] for r in runs) == ["crawl", "crawl", "ingest"]
    assert all(r["finished_at"] for r in runs)
