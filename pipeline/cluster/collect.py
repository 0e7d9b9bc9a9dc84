"""A finished Scrapyd job's feed, ingested as one run and judged like a local crawl.

Each job is collected once (table `cluster_jobs`). Its postings are stored
untrusted; they replace nothing and close nothing unless the run is healthy: the
job finished normally, logged its summary (`spiders.node_summary`), its feed holds
every item the job scraped, its listing was complete, and the health gate passes
against the source's last healthy crawl, local or collected.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from sqlite_utils import Database

from pipeline.crawl_tally import CrawlTally, kept_stats
from pipeline.health import FIRST_RUN_FLOOR, CrawlSummary, assess
from pipeline.ingest import read_records
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting, RecordError
from pipeline.store import (finish_run, last_healthy_run, mark_gone, promote_run, record_errors, start_run,
                            write_raw_postings, write_transaction)
from pipeline.cluster.nodes import Node
from pipeline.cluster.scrapyd import ScrapydClient, ScrapydError

MARKER = b"OFFRES_NODE_SUMMARY "
BATCH_SIZE = 500
JOBS_SCHEMA = {"node": str, "job": str, "project": str, "spider": str, "node_url": str, "run_id": int,
               "started_at": str, "finished_at": str, "collected_at": str, "lines": int, "healthy": int}


@dataclass
class CollectedJob:
    """One job collected: its run and verdict."""

    node: str
    job: str
    spider: str
    run_id: int
    lines: int
    healthy: bool
    notes: list[str] = field(default_factory=list)
    offers_new: int = 0
    offers_closed: int = 0


def ensure_jobs_table(db: Database) -> None:
    if not db.table("cluster_jobs").exists():
        with write_transaction(db):
            db.table("cluster_jobs").create(JOBS_SCHEMA, pk=("node", "job"))


def collected(db: Database, node: str, job: str) -> bool:
    return next(db.query("select 1 from cluster_jobs where node = ? and job = ?", [node, job]), None) is not None


def job_summary(lines: Iterable[bytes]) -> dict | None:
    """The last `OFFRES_NODE_SUMMARY` of a job's log, or None (killed, failed before the end)."""
    summary = None
    for line in lines:
        at = line.find(MARKER)
        if at >= 0:
            try:
                summary = json.loads(line[at + len(MARKER):])
            except ValueError:
                summary = None
    return summary


def scrapyd_time(value: str | None) -> str | None:
    """Scrapyd's local-time stamp ('2026-12-02 14:05:01.123456') as UTC ISO 8601."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.astimezone()  # Scrapyd runs on the node's local time
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def store_feed(db: Database, run_id: int, records: Iterable[RawPosting | RecordError], tally: CrawlTally,
               parser_version: str | None) -> tuple[int, list[RecordError]]:
    """Store the feed's postings (untrusted) in batches; returns (lines, rejected)."""
    lines, rejected, batch = 0, [], []
    for item in records:
        lines += 1
        if isinstance(item, RecordError):
            rejected.append(item)
        elif tally.add(item):
            batch.append(item)
        if len(batch) >= BATCH_SIZE:
            write_raw_postings(db, batch, run_id, parser_version, trusted=False, partial_ids=tally.partial)
            batch = []
    write_raw_postings(db, batch, run_id, parser_version, trusted=False, partial_ids=tally.partial)
    return lines, rejected


def judge(summary: dict | None, job: dict, lines: int, tally: CrawlTally, rejected: list[RecordError],
          previous: dict | None, floors: dict[str, float]) -> tuple[bool, bool, list[str]]:
    """(complete, healthy, notes) of a collected job."""
    notes = []
    if summary is None:
        notes.append("the job left no summary in its log (killed, cancelled hard or failed on the node)")
        finish_reason = "no summary"
        complete = False
    else:
        finish_reason = summary.get("finish_reason") or "unknown"
        complete = bool(summary.get("listing_complete")) and not summary.get("listing_failed")
        if lines < summary.get("items", 0):
            notes.append(f"feed incomplete: {lines} lines for {summary['items']} items scraped")
            complete = False
        notes.extend(summary.get("listing_problems", [])[:5])
    errors = len(tally.errors) + len(rejected) + int((summary or {}).get("stats", {}).get("offres/listing_errors", 0))
    crawl = CrawlSummary(complete=complete, offers_seen=len(tally.seen), errors=errors,
                         fill_rates=tally.fill_rates(), finish_reason=finish_reason)
    healthy, verdict = assess(crawl, previous, floors)
    return complete, healthy and summary is not None, notes + verdict


def spider_floors(spider: str) -> dict[str, float]:
    """The first-crawl fill-rate floors of a source's spider (as a local crawl uses)."""
    from spiders.runner import CrawlFailed, spider_class

    try:
        return getattr(spider_class(spider), "first_run_floors", FIRST_RUN_FLOOR)
    except CrawlFailed:
        return FIRST_RUN_FLOOR


def collect_job(db: Database, client: ScrapydClient, project: str, job: dict) -> CollectedJob:
    """Ingest one finished job's feed as a run, judge it, close what it proves gone, rebuild."""
    node = client.node
    summary = job_summary(client.lines(job["log_url"], missing_ok=True)) if job.get("log_url") else None
    source = (summary or {}).get("source") or job["spider"]
    started = scrapyd_time(job.get("start_time"))
    run_id = start_run(db, "crawl", source, base_url=(summary or {}).get("base_url"),
                       parser_version=(summary or {}).get("parser_version"), started_at=started)
    started = started or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    tally = CrawlTally()
    name = f"{node.name}:{job['id']}.jl"
    records = read_records(client.lines(job["items_url"], missing_ok=True), name) if job.get("items_url") else ()
    try:
        lines, rejected = store_feed(db, run_id, records, tally, (summary or {}).get("parser_version"))
    except ScrapydError:  # the feed broke off: the run stays on record as failed, the job is retried
        finish_run(db, run_id, finish_reason="feed download failed", complete=0, healthy=0,
                   health_notes="feed download failed; collected again next time")
        raise
    unanswered = [RawPosting.from_dict(r, where=f"{name}:summary") for r in (summary or {}).get("unanswered", [])]
    store_feed(db, run_id, unanswered, tally, (summary or {}).get("parser_version"))
    previous = last_healthy_run(db, source, before_id=run_id)
    if previous:
        previous = {**previous, "fill_rates": json.loads(previous["fill_rates"] or "{}")}
    complete, healthy, notes = judge(summary, job, lines, tally, rejected, previous, spider_floors(source))
    record_errors(db, run_id, source, tally.errors + tally.warnings
                  + [{"location": e.where, "field": e.field, "message": e.message} for e in rejected])
    if healthy:
        promote_run(db, run_id)
        mark_gone(db, source, tally.seen, started)
    with write_transaction(db):
        db.table("runs").update(run_id, {"complete": int(complete), "healthy": int(healthy)})
        db.table("cluster_jobs").insert({
            "node": node.name, "job": job["id"], "project": project, "spider": job["spider"],
            "node_url": node.url, "run_id": run_id, "started_at": started,
            "finished_at": scrapyd_time(job.get("end_time")), "collected_at": datetime.now(timezone.utc)
            .replace(microsecond=0).isoformat(), "lines": lines, "healthy": int(healthy)})
    rebuilt = rebuild_offers(db, run_id=run_id)
    stats = kept_stats((summary or {}).get("stats") or {})
    stats["cluster/node"], stats["cluster/job"] = node.name, job["id"]
    finish_run(db, run_id, pages=(summary or {}).get("pages", 0), offers_seen=len(tally.seen),
               offers_new=rebuilt.new, offers_updated=rebuilt.updated, offers_closed=rebuilt.closed,
               offers_reopened=rebuilt.reopened, errors=len(tally.errors) + len(rejected),
               finish_reason=(summary or {}).get("finish_reason") or "no summary",
               health_notes="; ".join(notes) or None, fill_rates=json.dumps(tally.fill_rates()),
               stats=json.dumps(stats, default=str))
    return CollectedJob(node.name, job["id"], source, run_id, lines, healthy, notes, rebuilt.new, rebuilt.closed)


def collect(db: Database, nodes: list[Node], project: str,
            echo: Callable[[str], None] | None = None) -> tuple[list[CollectedJob], list[str]]:
    """Collect every finished job not collected yet, node by node, oldest first.

    Returns (jobs collected, problems): an unreachable node is a problem, not a failure
    of the others; its jobs are collected next time.
    """
    ensure_jobs_table(db)
    done, problems = [], []
    for node in nodes:
        client = ScrapydClient(node)
        try:
            finished = client.list_jobs(project).get("finished", [])
        except ScrapydError as exc:
            problems.append(str(exc))
            continue
        for job in sorted(finished, key=lambda j: j.get("start_time") or ""):
            if collected(db, node.name, job["id"]):
                continue
            try:
                result = collect_job(db, client, project, job)
            except ScrapydError as exc:
                problems.append(f"job {job['id']}: {exc}")
                continue
            done.append(result)
            if echo:
                echo(f"{node.name} job {job['id']} ({job['spider']}): run {result.run_id}, {result.lines} postings, "
                     + ("healthy" if result.healthy else "UNHEALTHY: " + "; ".join(result.notes)))
    return done, problems
