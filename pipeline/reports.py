"""Read-only summaries of the database for the operator (`offres stats`, `offres changes`)."""
from __future__ import annotations

import json

from sqlite_utils import Database

from pipeline.detail_queue import summary as queue_summary
from pipeline.store import crawl_running


def count_by(db: Database, expression: str, where: str = "1=1") -> list[tuple[str, int]]:
    """(value, count) pairs of an SQL expression over the offers, largest first."""
    sql = (f"select coalesce({expression}, 'unknown') as value, count(*) as n from offers "
           f"where {where} group by value order by n desc, value")
    return [(str(r["value"]), r["n"]) for r in db.query(sql)]


def database_stats(db: Database, runs: int = 5) -> dict:
    """Counts of offers by status, category, region, source and family; the last runs."""
    if not db.table("offers").exists():
        return {"offers": 0}
    path = next((row[2] for row in db.execute("pragma database_list") if row[1] == "main"), "")
    running = bool(path) and crawl_running(path)
    by_source: dict[str, int] = {}
    for row in db.query("select source, count(*) as n from postings group by source order by source"):
        by_source[row["source"]] = row["n"]
    return {
        "offers": db.table("offers").count,
        "by_status": count_by(db, "status"),
        "digital_open": db.execute("select count(*) from offers where status='open' and digital=1").fetchone()[0],
        # Open digital offers the open-data file found outside the board's Numérique listing.
        "digital_open_outside_numerique": db.execute(
            "select count(*) from offers where status='open' and digital=1 and exists (select 1 from "
            "json_each(offers.sources) where json_extract(value, '$.source') = 'csp-opendata') and not exists "
            "(select 1 from json_each(offers.sources) where json_extract(value, '$.source') = 'csp')").fetchone()[0],
        # Their board pages (pipeline.detail_queue): fetched, waiting, missing, failed, mismatch.
        "unlisted_pages": queue_summary(db),
        "by_category": count_by(db, "category", "status = 'open'"),
        "by_region": count_by(db, "coalesce(json_extract(location, '$.region'), json_extract(location, '$.territory'))", "status = 'open'"),
        "by_family": count_by(db, "family", "status = 'open' and digital = 1"),
        "postings_by_source": sorted(by_source.items()),
        "runs": [{**run_record(r), "state": run_state(r, running)}
                 for r in db.query("select * from runs order by id desc limit ?", [runs])],
    }


def run_state(run: dict, crawl_running: bool = False) -> str:
    """`healthy`, `unhealthy`, `running` or `interrupted` (killed before its end)."""
    if run.get("finish_reason") == "interrupted":
        return "interrupted"
    if run.get("finished_at") is None:
        return "running" if crawl_running or run.get("kind") != "crawl" else "interrupted"
    return "healthy" if run.get("healthy") else "unhealthy"


RUN_KEYS = ("id", "kind", "source", "started_at", "finished_at", "base_url", "pages", "offers_seen", "offers_new",
            "offers_updated", "offers_closed", "offers_reopened", "errors", "finish_reason", "complete", "healthy",
            "health_notes", "health_warnings", "unreachable", "accepted_at", "accepted_by", "accepted_reason")


def run_stats(run: dict) -> dict:
    """A run's kept stats (`runs.stats`) as a dict, whether the row holds them as JSON text or decoded."""
    stats = run.get("stats") or {}
    if isinstance(stats, str):
        try:
            stats = json.loads(stats)
        except ValueError:
            return {}
    return stats if isinstance(stats, dict) else {}


def run_record(row: dict) -> dict:
    """A `runs` row for people and programs: flags as booleans, notes as lists (a column an
    older database lacks is null)."""
    record = {key: row.get(key) for key in RUN_KEYS}
    for key in ("complete", "healthy"):
        record[key] = None if record[key] is None else bool(record[key])
    for key in ("health_notes", "health_warnings"):
        record[key] = record[key].split("; ") if record[key] else []
    record["accepted"] = bool(record["accepted_at"])
    return record


EVENT_KINDS = ("new", "updated", "closed", "reopened", "merged")


def recorded_events(db: Database, run_id: int | None = None, since: str | None = None) -> list[dict]:
    """The events the rebuilds recorded (`events` table): of one run, and/or at or after an ISO time.

    `fields` is decoded: the changed fields of an `updated`, the target offers of a `merged`."""
    if not db.table("events").exists():
        return []
    where, params = [], []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    sql = "select * from events" + (" where " + " and ".join(where) if where else "") + " order by id"
    return [{**row, "fields": json.loads(row["fields"]) if row["fields"] else None} for row in db.query(sql, params)]


def changes_since(db: Database, since: str) -> dict[str, list[dict]]:
    """Offers that appeared, changed, closed or reopened at or after an ISO time."""
    columns = "id, reference, title, status, status_reason, first_seen_at, updated_at, closed_at, reopened_at"
    out: dict[str, list[dict]] = {}
    queries = {
        "new": "first_seen_at >= :t",
        "updated": "updated_at >= :t and first_seen_at < :t",
        "closed": "closed_at >= :t",
        "reopened": "reopened_at >= :t",
    }
    for name, where in queries.items():
        out[name] = list(db.query(f"select {columns} from offers where {where} order by id", {"t": since}))
    return out


def errors_of_run(db: Database, run_id: int, limit: int = 20) -> list[dict]:
    """The errors recorded by one run."""
    return list(db.query("select location, field, message from errors where run_id = ? order by id limit ?",
                         [run_id, limit]))


def offer_postings(db: Database, offer_id: str) -> list[dict]:
    """The postings merged into one offer, with their merge stage and reason."""
    rows = db.query("select m.posting_id, m.stage, m.score, m.reason, p.source, p.url, p.first_seen_at, "
                    "p.last_seen_at, p.gone_at from merges m join postings p on p.id = m.posting_id "
                    "where m.offer_id = ? order by m.posting_id", [offer_id])
    return [dict(r) for r in rows]


def find_offer(db: Database, needle: str) -> dict | None:
    """An offer by id, reference (case-insensitive) or posting id."""
    row = next(db.query("select * from offers where id = ? or reference = ? order by rowid limit 1",
                        [needle, needle]), None)  # indexed: the canonical reference as written
    if row is None:  # any case (a scan of the table)
        row = next(db.query("select * from offers where id = ? or upper(reference) = upper(?) limit 1",
                            [needle, needle]), None)
    if row is None:
        hit = next(db.query("select offer_id from merges where upper(posting_id) like upper(?) limit 1",
                            [f"%:{needle}"]), None)
        if hit:
            row = next(db.query("select * from offers where id = ?", [hit["offer_id"]]), None)
    if row:
        row = {**row, "sources": json.loads(row["sources"] or "[]")}
    return row
