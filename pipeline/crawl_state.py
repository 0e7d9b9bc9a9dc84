"""What a crawler knows of each detail page it has dealt with (table `crawl_state`).

One row per offer URL of a board's listing: the card it was listed with (a hash of the
card's own fields), the page's validators (ETag, Last-Modified), when its content was
last fetched or confirmed by a 304, whether the last attempt failed, and which fields its
stored record fills. The incremental crawl decides from it which detail pages to fetch
(see `spiders/incremental.py` and docs/storage.md). Rows are written in the same
transaction as the raw postings they describe, so a crawl killed mid-way leaves a
consistent state behind.
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlite_utils import Database

from pipeline.store import write_transaction

TABLE = "crawl_state"
COLUMNS = {"url": str, "source": str, "posting_id": str, "card_hash": str, "etag": str,
           "last_modified": str, "fetched_at": str, "checked_at": str, "failed": int,
           "filled": str, "parser_version": str, "run_id": int}


def ensure_table(db: Database) -> None:
    """Create the table when it does not exist yet (and any column it lacks)."""
    table = db.table(TABLE)
    if not table.exists():
        table.create(COLUMNS, pk="url")
        table.create_index(["source"], if_not_exists=True)
        return
    for column, kind in COLUMNS.items():
        if column not in table.columns_dict:
            table.add_column(column, kind)


def load_state(db: Database, source: str) -> dict[str, dict]:
    """url -> state row, for the pages of `source` whose posting is still stored."""
    ensure_table(db)
    rows = db.query(f"select s.* from {TABLE} s join postings p on p.id = s.posting_id "
                    "where s.source = ? and p.raw_id is not null", [source])
    out = {}
    for row in rows:
        row["filled"] = json.loads(row["filled"]) if row["filled"] else []
        out[row["url"]] = row
    return out


def save_states(db: Database, rows: Iterable[dict]) -> int:
    """Upsert state rows (`filled` as a list); a column a row lacks keeps its stored value."""
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        if isinstance(row.get("filled"), list):
            row = {**row, "filled": json.dumps(row["filled"])}
        groups.setdefault(tuple(row), []).append(tuple(row.values()))
    with write_transaction(db):
        for columns, values in groups.items():
            names = ", ".join(columns)
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "url")
            db.conn.executemany(f"insert into {TABLE} ({names}) values ({', '.join('?' * len(columns))}) "
                                f"on conflict(url) do update set {updates}", values)
    return sum(len(v) for v in groups.values())


def touch_postings(db: Database, posting_ids: Iterable[str], run_id: int, at: str) -> int:
    """Postings this run saw without fetching their page (skipped, or answered 304).

    They count as seen (not gone), keep their stored data, and their latest version
    belongs to this run, so that a healthy run promotes it like one it fetched."""
    ids = [(at, run_id, pid) for pid in posting_ids]
    if not ids:
        return 0
    with write_transaction(db):
        db.conn.executemany("update postings set last_seen_at = ?, last_run_id = ?, gone_at = null where id = ?", ids)
        db.conn.executemany("update raw_postings set last_run_id = ? where id = "
                            "(select latest_raw_id from postings where id = ?)", [(r, p) for _, r, p in ids])
    return len(ids)


def mark_interrupted(db: Database, kind: str = "crawl") -> int:
    """Runs of `kind` left unfinished (killed, power loss) are recorded as interrupted.

    Called by a crawl that holds the database's crawl lock: no other crawl is running."""
    note = "interrupted before its end (killed or power loss): judged nothing, closed nothing"
    with write_transaction(db):
        cursor = db.execute("update runs set finish_reason = 'interrupted', complete = 0, healthy = 0, "
                            "health_notes = coalesce(health_notes, ?) where kind = ? and finished_at is null",
                            [note, kind])
    return cursor.rowcount
