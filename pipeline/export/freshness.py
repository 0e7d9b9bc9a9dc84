"""How fresh each source is, for the export (France Travail's licence asks for the last update)."""
from __future__ import annotations

from sqlite_utils import Database

from pipeline.sources import LICENSED_SOURCES


def source_freshness(db: Database) -> dict[str, dict]:
    """{source: {"last_healthy_crawl": ISO time or None[, "licence": URL]}} for every crawled source."""
    if not db.table("runs").exists():
        return {}
    rows = db.query("select source, max(case when healthy = 1 and complete = 1 then coalesce(finished_at, started_at) end) "
                    "as at from runs where kind = 'crawl' group by source order by source")
    out = {}
    for row in rows:
        out[row["source"]] = {"last_healthy_crawl": row["at"]}
        if row["source"] in LICENSED_SOURCES:
            out[row["source"]]["licence"] = LICENSED_SOURCES[row["source"]]
    return out
