"""The safety rules of every export: never replace a good file with a broken one."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Callable

from sqlite_utils import Database

MAX_DROP = 0.5  # refuse an export that loses more than half of the previous one


class ExportRefused(Exception):
    """The export would publish something that looks broken; nothing was written."""


def previous_count(path: Path) -> int | None:
    """The offer count of the export already at `path`, if it is one (none for `-`, standard output)."""
    if str(path) == "-":
        return None
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["count"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def crawl_in_progress(db: Database) -> bool:
    """Whether a crawl holds this database's crawl lock right now."""
    from pipeline.store import crawl_running

    path = next((row["file"] for row in db.query("pragma database_list") if row["name"] == "main"), "")
    return bool(path) and crawl_running(path)


def unhealthy_sources(db: Database) -> list[str]:
    """Sources whose latest judged crawl was incomplete or unhealthy, with why.

    A crawl not finished yet while the crawl lock is held is under way, not
    broken: the last finished one is judged (the export publishes the last
    healthy state). An unfinished run without the lock was killed and counts.
    """
    where = "kind = 'crawl'"
    if crawl_in_progress(db):
        where += " and finished_at is not null"
    rows = db.query(
        f"select r.* from runs r join (select source, max(id) as id from runs where {where} "
        "group by source) last on last.id = r.id")
    return [f"{r['source']} (run {r['id']}): {r['health_notes'] or r['finish_reason']}"
            for r in rows if not r["healthy"]]


def check_export(db: Database, document: dict, output: Path, force: bool = False,
                 allow_empty: bool = False, counter: Callable[[Path], int | None] | None = None) -> None:
    """Refuse (ExportRefused) an export that would replace a good one with a broken one.

    `counter` reads the offer count of the file already at `output` (another format's reader than JSON's).
    """
    if document["count"] == 0 and not allow_empty:
        raise ExportRefused("the export would hold no offer (use --allow-empty to write it anyway)")
    if force:
        return
    bad = unhealthy_sources(db)
    if bad:
        raise ExportRefused("the latest crawl looks broken, keeping the previous export: " + "; ".join(bad)
                            + " (use --force to export anyway)")
    before = (counter or previous_count)(output)
    if before and document["count"] < before * (1 - MAX_DROP):
        raise ExportRefused(f"the export would drop from {before} to {document['count']} offers "
                            f"(more than {int(MAX_DROP * 100)}%); use --force to write it anyway")


def record_set_aside(db: Database, aside: list, source: str = "export") -> int | None:
    """Record the offers an export set aside as a run of kind `export` with one error each
    (`offres changes` lists them); returns the run id, None when nothing was set aside or
    the database cannot be written (the lines on stderr still name them)."""
    if not aside:
        return None
    from pipeline.store import finish_run, record_errors, start_run

    try:
        run_id = start_run(db, "export", source)
        record_errors(db, run_id, source, [{"location": f"offer {a.id} (reference {a.reference})",
                                            "field": a.field, "message": "set aside: " + a.reason()} for a in aside])
        finish_run(db, run_id, errors=len(aside), finish_reason="finished", complete=1, healthy=1,
                   offers_new=0, offers_updated=0, offers_closed=0, offers_reopened=0,
                   stats=json.dumps({"set_aside": len(aside)}))
    except sqlite3.Error:
        return None
    return run_id
