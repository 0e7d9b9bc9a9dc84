"""Crawls on real Scrapyd processes: deploy, schedule, collect, and nothing closed by a bad job.

Two Scrapyd nodes run on 127.0.0.1 (`tests/scrapyd_node.py`), one owning the board (csp)
and one, behind basic auth, owning the DINUM page; they crawl local replicas.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from pipeline.cluster.collect import job_summary, scrapyd_time
from pipeline.cluster.nodes import ClusterConfigError, load_nodes, owner_of, redact
from replica import ReplicaServer, ReplicaSite, generate_offers, serve_static
from replica.faults import FaultInjector, Faults
from tests.scrapyd_node import ScrapydNode

PROJECT = Path(__file__).resolve().parent.parent
DINUM_PAGE = Path(__file__).parent / "fixtures" / "dinum_page" / "input.html"
NOW = datetime.now(timezone.utc)
BETA_PASSWORD = "s3cret-beta-4f1c"
FAULTS_PROJECT = "offres-faults"
TIME_KEYS = ("generated_at", "first_seen_at", "last_seen_at", "updated_at", "closed_at", "reopened_at")


def offres(db: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def without_times(value):
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def exported(db: Path) -> list[dict]:
    result = offres(db, "export", "--all", "--force", "-o", "-")
    assert result.returncode == 0, result.stderr
    return sorted(without_times(json.loads(result.stdout)["offers"]), key=lambda o: o["id"])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two real Scrapyd nodes, the egg deployed to both; yields (alpha, beta, env)."""
    folder = tmp_path_factory.mktemp("cluster")
    alpha = ScrapydNode(folder / "alpha").start()
    beta = ScrapydNode(folder / "beta", "offres", BETA_PASSWORD).start()
    config = folder / "cluster.toml"
    config.write_text(f'[nodes.alpha]\nurl = "{alpha.url}"\nsources = ["csp"]\n\n'
                      f'[nodes.beta]\nurl = "{beta.url}"\nsources = ["dinum-page"]\nusername = "offres"\n'
                      f'password_env = "OFFRES_TEST_BETA_PASSWORD"\n')
    env = {"OFFRES_CLUSTER_CONFIG": str(config), "OFFRES_TEST_BETA_PASSWORD": BETA_PASSWORD}
    try:
        deployed = offres(folder / "unused.db", "cluster", "deploy", env=env)
        assert deployed.returncode == 0, deployed.stderr
        assert "alpha" in deployed.stdout and "beta" in deployed.stdout
        assert not (folder / "unused.db").exists()
        yield alpha, beta, env
    finally:
        alpha.stop()
        beta.stop()


def schedule(db: Path, env: dict, source: str, base_url: str) -> dict:
    result = offres(db, "cluster", "schedule", source, "--base-url", base_url, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_nodes_collect_equals_local_crawls(cluster, tmp_path):
    alpha, beta, env = cluster
    db, local = tmp_path / "central.db", tmp_path / "local.db"
    site = ReplicaSite(generate_offers(60, seed=11, now=NOW), today=NOW.date(), seed=11)
    with ReplicaServer(site) as board, serve_static({"/rejoignez-nous/": DINUM_PAGE.read_bytes()},
                                                    rewrite=False) as page:
        job = schedule(db, env, "csp", board.base_url)
        assert job["node"] == "alpha"
        alpha.wait_finished(job["job"])
        other = schedule(db, env, "dinum-page", page.base_url)
        assert other["node"] == "beta"
        beta.wait_finished(other["job"])
        collected = offres(db, "cluster", "collect", "--json", env=env)
        assert collected.returncode == 0, collected.stderr + collected.stdout
        assert offres(local, "crawl", "csp", "--base-url", board.base_url).returncode == 0
        assert offres(local, "crawl", "dinum-page", "--base-url", page.base_url).returncode == 0

    jobs = json.loads(collected.stdout)["jobs"]
    assert [(j["node"], j["spider"], j["healthy"]) for j in jobs] == [("alpha", "csp", True),
                                                                       ("beta", "dinum-page", True)]
    assert exported(db) == exported(local)
    runs = list(Database(db).query("select * from runs order by id"))
    assert [(r["kind"], r["source"], r["healthy"], r["complete"]) for r in runs] == [
        ("crawl", "csp", 1, 1), ("crawl", "dinum-page", 1, 1)]
    stats = json.loads(runs[0]["stats"])
    assert stats["cluster/job"] == job["job"] and stats["downloader/request_count"] >= 61
    assert runs[0]["offers_seen"] == 60 and runs[0]["pages"] == 3

    again = offres(db, "cluster", "collect", env=env)
    assert again.returncode == 0 and "nothing to collect" in again.stdout
    assert Database(db).table("runs").count == 2
    status = json.loads(offres(db, "cluster", "status", "--json", env=env).stdout)
    mine = {j["id"]: j for j in status["jobs"]}
    assert mine[job["job"]]["collected"] == f"run {runs[0]['id']}" and mine[job["job"]]["state"] == "finished"


def test_cancelled_and_killed_jobs_close_nothing(cluster, tmp_path):
    alpha, _, env = cluster
    env = {**env, "OFFRES_SCRAPYD_PROJECT": FAULTS_PROJECT}  # jobs of its own, apart from the other tests'
    db = tmp_path / "central.db"
    assert offres(db, "cluster", "deploy", env=env).returncode == 0
    site = ReplicaSite(generate_offers(60, seed=12, now=NOW), today=NOW.date(), seed=12)
    with ReplicaServer(site) as board:
        alpha.wait_finished(schedule(db, env, "csp", board.base_url)["job"], FAULTS_PROJECT)
        assert offres(db, "cluster", "collect", env=env).returncode == 0
        for offer in site.offers[:10]:
            site.remove(offer.reference)
        board.faults = FaultInjector(Faults(hang_rate=1.0, hang_seconds=1.5))  # a slow board: time to stop it

        cancelled = schedule(db, env, "csp", board.base_url)["job"]
        alpha.wait_running(cancelled, FAULTS_PROJECT)
        time.sleep(2)
        result = offres(db, "cluster", "cancel", cancelled, env=env)
        assert result.returncode == 0 and "cancelled (was running)" in result.stdout, result.stderr
        alpha.wait_finished(cancelled, FAULTS_PROJECT)
        result = offres(db, "cluster", "collect", env=env)
        assert result.returncode == 3, result.stdout + result.stderr
        # Scrapy shuts down on SIGINT ("crawl ended early (shutdown)"), or dies before its summary.
        assert "crawl ended early (shutdown)" in result.stdout or "left no summary" in result.stdout

        killed = schedule(db, env, "csp", board.base_url)["job"]
        running = alpha.wait_running(killed, FAULTS_PROJECT)
        time.sleep(2)
        os.kill(running["pid"], signal.SIGKILL)
        alpha.wait_finished(killed, FAULTS_PROJECT)
        result = offres(db, "cluster", "collect", env=env)
        assert result.returncode == 3 and "left no summary" in result.stdout, result.stdout + result.stderr

        offers = list(Database(db).query("select status, count(*) n from offers group by status"))
        assert offers == [{"status": "open", "n": 60}]  # the 10 removed offers are not closed

        board.faults = None  # the board is well again: a healthy job closes what is really gone
        alpha.wait_finished(schedule(db, env, "csp", board.base_url)["job"], FAULTS_PROJECT)
        assert offres(db, "cluster", "collect", env=env).returncode == 0
    statuses = {r["status"]: r["n"] for r in Database(db).query("select status, count(*) n from offers group by status")}
    assert statuses == {"open": 50, "closed": 10}
    verdicts = [r["healthy"] for r in Database(db).query("select healthy from runs order by id")]
    assert verdicts == [1, 0, 0, 1]


def test_a_node_refusing_the_credentials_is_one_clear_line(cluster, tmp_path):
    _, beta, env = cluster
    result = offres(tmp_path / "o.db", "cluster", "status", env={**env, "OFFRES_TEST_BETA_PASSWORD": "wrong"})
    assert result.returncode == 5
    assert "beta: HTTP 401" in result.stdout + result.stderr and "wrong" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.db").exists()


def test_nodes_from_the_environment_and_the_file(tmp_path):
    nodes = load_nodes(env={"OFFRES_SCRAPYD": "csp+dinum-page=http://u:pw@10.0.0.5:6800, http://10.0.0.6:6800/x"})
    assert [(n.url, n.sources, n.auth) for n in nodes] == [
        ("http://10.0.0.5:6800/", ("csp", "dinum-page"), ("u", "pw")), ("http://10.0.0.6:6800/x/", (), None)]
    assert owner_of("csp", nodes) is nodes[0] and owner_of("francetravail", nodes) is nodes[1]
    assert "pw" not in repr(nodes[0])
    assert redact("http://u:pw@h:1/") == "http://u:***@h:1/"

    config = tmp_path / "cluster.toml"
    config.write_text('[nodes.a]\nurl = "http://h:6800"\nsources = ["csp"]\nusername = "x"\npassword_env = "P"\n')
    with pytest.raises(ClusterConfigError, match="environment variable P is not set"):
        load_nodes(config, env={})
    assert load_nodes(config, env={"P": "s"})[0].auth == ("x", "s")
    with pytest.raises(ClusterConfigError, match="no node owns source 'dinum-page'"):
        owner_of("dinum-page", load_nodes(config, env={"P": "s"}))
    config.write_text('[nodes.a]\nurl = "http://x:secret@h:6800"\n')
    with pytest.raises(ClusterConfigError, match="put no password in the file") as refused:
        load_nodes(config, env={})
    assert "secret" not in str(refused.value)
    with pytest.raises(ClusterConfigError, match="no Scrapyd node"):
        load_nodes(env={})


def test_the_job_summary_is_the_logs_last_word():
    log = [b"2026-12-02 14:00:00 [x] INFO: start\n",
           b'2026-12-02 14:00:09 [spiders.node_summary] WARNING: OFFRES_NODE_SUMMARY {"items": 3}\n',
           b"2026-12-02 14:00:09 [scrapy.core.engine] INFO: Spider closed (finished)\n"]
    assert job_summary(log) == {"items": 3}
    assert job_summary(log[:1]) is None
    assert scrapyd_time("2026-12-02 14:05:58.237121").endswith("+00:00")


class FakeNodeClient:
    """A node's files served from memory: what `collect_job` reads of a job."""

    def __init__(self, files: dict[str, list[bytes]]) -> None:
        from pipeline.cluster.nodes import Node

        self.node = Node("fake", "http://127.0.0.1:9/")
        self.files = files

    def lines(self, path: str, missing_ok: bool = False):
        return iter(self.files.get(path, []))


def feed_lines(count: int) -> list[bytes]:
    from tests.conftest import make_record

    return [json.dumps(make_record(f"2026-{1000000 + n}")).encode() + b"\n" for n in range(count)]


def summary_line(items: int, **extra) -> bytes:
    summary = {"source": "csp", "finish_reason": "finished", "listing_complete": True, "pages": 1,
               "items": items, "unanswered": [], "stats": {"item_scraped_count": items}, **extra}
    return b"2026 [spiders.node_summary] WARNING: OFFRES_NODE_SUMMARY " + json.dumps(summary).encode() + b"\n"


JOB = {"id": "j1", "spider": "csp", "start_time": "2026-12-02 10:00:00", "end_time": "2026-12-02 10:05:00",
       "log_url": "/logs/offres/csp/j1.log", "items_url": "/items/offres/csp/j1.jl"}


def test_a_truncated_feed_is_an_unhealthy_run(db):
    from pipeline.cluster.collect import collect_job, ensure_jobs_table

    ensure_jobs_table(db)
    client = FakeNodeClient({JOB["log_url"]: [summary_line(40)], JOB["items_url"]: feed_lines(25)})
    result = collect_job(db, client, "offres", JOB)
    assert not result.healthy and "feed incomplete: 25 lines for 40 items scraped" in result.notes
    assert db.table("postings").count == 25 and db.table("offers").count == 25  # kept, as found


def test_bad_feed_lines_are_named_and_the_rest_ingested(db):
    from pipeline.cluster.collect import collect_job, ensure_jobs_table

    ensure_jobs_table(db)
    lines = feed_lines(30)
    lines[4] = b'{"source": "csp", "title": 12}\n'
    client = FakeNodeClient({JOB["log_url"]: [summary_line(30)], JOB["items_url"]: lines})
    result = collect_job(db, client, "offres", JOB)
    assert result.healthy and result.lines == 30 and db.table("postings").count == 29
    errors = list(db.query("select location, field from errors"))
    assert errors == [{"location": "fake:j1.jl:5", "field": "url"}]


def test_a_job_whose_files_are_gone_is_collected_as_unhealthy(db):
    from pipeline.cluster.collect import collect_job, ensure_jobs_table

    ensure_jobs_table(db)
    result = collect_job(db, FakeNodeClient({}), "offres", JOB)
    assert not result.healthy and "left no summary" in result.notes[0]
    assert db.table("cluster_jobs").count == 1  # never tried again
