"""`offres crawl` as cron runs it (a child process, the local replica): exit codes, -q, --json,
--log-file, the health thresholds and their warning tier, `offres accept`, `changes --run`."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from replica import ReplicaServer, ReplicaSite, generate_offers

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)


def offres(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=PROJECT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture
def site():
    return ReplicaSite(generate_offers(60, seed=11, now=NOW), today=NOW.date(), seed=11)


def statuses(db: Path) -> dict[str, str]:
    return {r["reference"]: r["status"] for r in Database(db).query("select reference, status from offers")}


def test_quiet_json_and_log_file(site, tmp_path):
    db, log = tmp_path / "o.db", tmp_path / "crawl.log"
    with ReplicaServer(site) as server:
        quiet = offres("crawl", "csp", "--base-url", server.base_url, "-q", "--db", str(db))
        assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
        as_json = offres("--db", str(db), "crawl", "--base-url", server.base_url, "--json", "--log-file", str(log))
    assert as_json.returncode == 0, as_json.stderr
    run = json.loads(as_json.stdout)
    assert run["id"] == 2 and run["healthy"] is True and run["complete"] is True and run["offers_seen"] == 60
    assert run["health_notes"] == [] and run["unreachable"] is None and run["accepted"] is False
    text = log.read_text()
    assert "[scrapy.core.engine] INFO: Spider opened" in text and "Spider closed (finished)" in text
    assert '"offers_seen": 60' in text  # the summary goes there too


def test_a_drop_over_20_percent_warns_beyond_the_threshold_fails(site, tmp_path):
    db = tmp_path / "o.db"
    with ReplicaServer(site) as server:
        assert offres("crawl", "--base-url", server.base_url, "--db", str(db), "-q").returncode == 0
        for offer in site.offers[45:]:  # 60 -> 45: -25%
            site.remove(offer.reference)
        warned = offres("crawl", "--base-url", server.base_url, "--db", str(db))
        assert warned.returncode == 0, warned.stderr
        assert "Warning: 45 offers seen against 60 in run 1 (-25%, warning above -20%)" in warned.stderr
        run = Database(db).table("runs").get(2)
        assert run["healthy"] == 1 and "-25%" in run["health_warnings"]
        assert "healthy, warning: 45 offers seen against 60 in run 1" in offres("stats", "--db", str(db)).stdout
        strict = offres("crawl", "--base-url", server.base_url, "--db", str(db),
                        "-s", "OFFRES_HEALTH_MIN_SEEN_RATIO=0.9", "-s", "OFFRES_HEALTH_WARN_DROP=0.01")
        assert strict.returncode == 0, strict.stderr  # 45 against the 45 of run 2
        for offer in site.offers[40:]:  # 45 -> 40: -11%
            site.remove(offer.reference)
        failed = offres("crawl", "--base-url", server.base_url, "--db", str(db),
                        env={"OFFRES_HEALTH_MIN_SEEN_RATIO": "0.95"})
        assert failed.returncode == 3 and "40 offers seen against 45 in run 3" in failed.stderr
        bad = offres("crawl", "--base-url", server.base_url, "--db", str(db), "-s", "OFFRES_HEALTH_WARN_DROP=20")
        assert bad.returncode == 2 and "OFFRES_HEALTH_WARN_DROP: must be between 0 and 1" in bad.stderr


def test_accept_a_real_drop_then_crawls_compare_with_it(site, tmp_path):
    db = str(tmp_path / "o.db")
    with ReplicaServer(site) as server:
        assert offres("crawl", "--base-url", server.base_url, "--db", db, "-q").returncode == 0
        withdrawn = [o.reference for o in site.offers[20:]]
        for reference in withdrawn:  # a real drop: 60 -> 20
            site.remove(reference)
        for _ in range(2):  # every crawl is refused, the 40 withdrawn offers stay open
            refused = offres("crawl", "--base-url", server.base_url, "--db", db)
            assert refused.returncode == 3 and "20 offers seen against 60 in run 1" in refused.stderr
        assert "offres accept 3 --reason" in refused.stderr
        before = statuses(Path(db))
        assert sum(s == "open" for s in before.values()) >= 55
        closing = {r for r in withdrawn if before[r] == "open"}
        older = offres("accept", "2", "--reason", "x", "--db", db)
        assert older.returncode == 1 and "not the latest crawl of csp (run 3 is)" in older.stderr
        healthy = offres("accept", "1", "--reason", "x", "--db", db)
        assert healthy.returncode == 1 and "run 1 is healthy" in healthy.stderr
        preview = offres("accept", "3", "--dry-run", "--reason", "r", "--by", "A. Martin", "--json", "--db", db)
        assert preview.returncode == 0, preview.stderr
        planned = json.loads(preview.stdout)
        assert planned["dry_run"] is True and planned["offers"]["closed"] == len(closing)
        assert {e["reference"] for e in planned["events"] if e["kind"] == "closed"} == closing
        assert statuses(Path(db)) == before and Database(db).table("runs").get(3)["accepted_at"] is None
        accepted = offres("--db", db, "accept", "3", "--reason", "the board withdrew 40 offers", "--by", "A. Martin")
        assert accepted.returncode == 0, accepted.stderr
        assert "accepted by A. Martin" in accepted.stdout and "40 postings gone" in accepted.stdout
        now = statuses(Path(db))
        assert all(now[r] == "closed" for r in withdrawn)
        assert offres("accept", "3", "--reason", "again", "--db", db).returncode == 1  # once
        stats = offres("stats", "--db", db)
        assert "accepted by A. Martin at " in stats.stdout and "the board withdrew 40 offers" in stats.stdout
        runs = json.loads(offres("stats", "--json", "--db", db).stdout)["runs"]
        assert runs[0]["id"] == 3 and runs[0]["accepted"] is True and runs[0]["accepted_by"] == "A. Martin"
        changes = json.loads(offres("changes", "--run", "3", "--json", "--db", db).stdout)
        assert changes["run"]["accepted_reason"] == "the board withdrew 40 offers"
        closed = [e for e in changes["events"] if e["kind"] == "closed"]
        assert {e["reference"] for e in closed} == closing and changes["counts"]["closed"] == len(closing)
        assert "absent from the complete crawl of csp" in closed[0]["reason"]
        later = offres("crawl", "--base-url", server.base_url, "--db", db)  # 20 against the accepted 20
        assert later.returncode == 0, later.stderr
        export = offres("export", "-o", str(tmp_path / "x.json"), "--all", "--db", db)
        assert export.returncode == 0, export.stderr


def test_changes_of_run_1_are_run_1s(site, tmp_path):
    db = str(tmp_path / "o.db")
    with ReplicaServer(site) as server:
        assert offres("crawl", "--base-url", server.base_url, "--db", db, "-q").returncode == 0
        gone = next(r for r, status in statuses(Path(db)).items() if status == "open")
        site.remove(gone)
        added = site.add_generated(3)
        assert offres("crawl", "--base-url", server.base_url, "--db", db, "-q").returncode == 0
    first = json.loads(offres("changes", "--run", "1", "--json", "--db", db).stdout)
    assert first["counts"]["new"] == 60 and first["counts"]["updated"] == 0
    assert all(e["reason"].startswith("deadline") for e in first["events"] if e["kind"] == "closed")  # born closed
    second = json.loads(offres("changes", "--run", "2", "--json", "--db", db).stdout)
    assert {e["reference"] for e in second["events"] if e["kind"] == "new"} == {o.reference for o in added}
    assert [e["reference"] for e in second["events"] if e["kind"] == "closed"] == [gone]
    assert second["counts"]["updated"] == 0 and second["counts"]["new"] == 3
    text = offres("changes", "--run", "1", "--db", db).stdout
    assert text.startswith("Run #1 (crawl csp, ") and "new: 60" in text and "… and 40 more" in text
    assert "… and" not in offres("changes", "--run", "1", "--all", "--db", db).stdout
    since = json.loads(offres("changes", "--since", "2000-01-01", "--json", "--db", db).stdout)
    assert since["run"] is None and len(since["events"]) == len(first["events"]) + len(second["events"])
    assert json.loads(offres("changes", "--since", "2999-01-01", "--json", "--db", db).stdout)["events"] == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_one_line_exit_5(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 5, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and lines[-1].startswith("Error: source unreachable: ")
    assert result.stdout == ""
    assert len([line for line in lines if line.startswith("Error")]) == 1
    for word in words:
        assert word in lines[-1], lines[-1]


def test_connection_refused_is_exit_5_in_one_line(tmp_path):
    base = f"http://127.0.0.1:{free_port()}"
    result = offres("crawl", "--base-url", base, "--db", str(tmp_path / "o.db"))
    assert_one_line_exit_5(result, base, "connection refused")
    assert len(result.stderr.strip().splitlines()) == 2  # "Crawling ..." and the error
    quiet = offres("crawl", "--base-url", base, "--db", str(tmp_path / "o.db"), "-q")
    assert quiet.returncode == 5 and len(quiet.stderr.strip().splitlines()) == 1


def test_a_source_that_never_answers_is_exit_5(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(server.accept()) for _ in range(16)], daemon=True).start()
    base = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        result = offres("crawl", "--base-url", base, "--db", str(tmp_path / "o.db"),
                        "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1")
    finally:
        server.close()
    assert_one_line_exit_5(result, "timed out")


def test_tls_failure_is_exit_5(site, tmp_path):
    with ReplicaServer(site) as server:
        base = server.base_url.replace("http://", "https://")
        result = offres("crawl", "--base-url", base, "--db", str(tmp_path / "o.db"))
    assert result.returncode == 5 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: source unreachable: ") and base in last


def test_open_data_source_unreachable_is_exit_5(tmp_path):
    base = f"http://127.0.0.1:{free_port()}"
    result = offres("crawl", "csp-opendata", "--base-url", base, "--db", str(tmp_path / "o.db"), "-q")
    assert result.returncode == 5 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: csp-opendata unreachable: ")
    assert base in result.stderr
