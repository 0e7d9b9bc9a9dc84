"""SQLite storage through sqlite-utils: schema, runs, raw postings, postings.

Tables (see docs/storage.md): `runs` (one row per crawl or ingest), `raw_postings`
(every distinct version of a posting as scraped), `postings` (one row per posting
of a source: when it was seen), `offers` and `merges` (built by `lifecycle`),
`errors` (bad records and pages, named by record and field), `events` (what each
rebuild changed: new, updated with its fields, closed with its reason, reopened, merged).
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from typing import Iterable, Iterator

from sqlite_utils import Database

from pipeline.record import RawPosting

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "offres.db"
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # a raw record as stored, built once
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another one's transaction
#: Page size of a new database file (SQLite's default is 4096): a raw record or an offer row
#: (2-3 KB with its descriptions) leaves a third of a 4 KB page empty, and much less of a 16 KB
#: one (docs/storage.md, "Size"). An existing database keeps its page size.
PAGE_SIZE = 16384

SCHEMA: dict[str, tuple[dict, str | tuple, list]] = {
    "runs": ({
        "id": int, "kind": str, "source": str, "started_at": str, "finished_at": str,
        "base_url": str, "parser_version": str, "pages": int, "offers_seen": int,
        "offers_new": int, "offers_updated": int, "offers_closed": int, "offers_reopened": int,
        "errors": int, "finish_reason": str, "complete": int, "healthy": int, "health_notes": str, "fill_rates": str, "stats": str,
        "accepted_at": str, "accepted_by": str, "accepted_reason": str,
        "health_warnings": str, "unreachable": str,
    }, "id", [["source", "started_at"]]),
    "raw_postings": ({
        "id": int, "posting_id": str, "source": str, "url": str, "reference": str,
        "content_hash": str, "record": str, "first_fetched_at": str, "fetched_at": str,
        "parser_version": str, "run_id": int, "last_run_id": int, "trusted": int,
    }, "id", [["posting_id", "content_hash"], ["posting_id", "id"]]),
    "postings": ({
        "id": str, "source": str, "url": str, "first_seen_at": str, "last_seen_at": str,
        "last_run_id": int, "gone_at": str, "raw_id": int, "latest_raw_id": int,
    }, "id", [["source"]]),
    "errors": ({
        "id": int, "run_id": int, "source": str, "at": str, "location": str,
        "field": str, "message": str,
    }, "id", [["run_id"]]),
    "offers": ({
        "id": str, "canonical_posting_id": str, "reference": str, "title": str, "title_raw": str,
        "title_key": str, "employer": str, "employer_category": str, "versant": str,
        "category": str, "categories": str, "grades": str, "contract": str, "remote": int, "metier": str,
        "domain": str, "location": str, "digital": int, "family": str,
        "classification_reason": str, "published_on": str, "deadline": str,
        "first_seen_at": str, "last_seen_at": str, "status": str, "status_reason": str,
        "closed_at": str, "reopened_at": str, "updated_at": str, "url": str, "sources": str,
        "missions_html": str, "profile_html": str, "fields_hash": str,
        "experience": str, "salary": str, "about_html": str,
        "apply_url": str, "starts_on": str, "filiere": str, "working_time": str, "description_html": str,
        "salary_details": str,
    }, "id", [["status", "digital"], ["reference"]]),
    "events": ({
        "id": int, "run_id": int, "at": str, "offer_id": str, "kind": str, "reference": str,
        "title": str, "fields": str, "reason": str,
    }, "id", [["run_id"], ["offer_id"], ["at"]]),
    "merges": ({
        "offer_id": str, "posting_id": str, "stage": str, "score": float, "reason": str,
    }, ("offer_id", "posting_id"), [["posting_id"]]),
}


def utcnow() -> str:
    """Now, UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def default_db_path() -> str:
    """`OFFRES_DB`, else data/offres.db in the project."""
    return os.environ.get("OFFRES_DB") or str(DEFAULT_DB)


def open_db(path: str | os.PathLike | None = None) -> Database:
    """Open (and create) the database; WAL mode for files. `":memory:"` for tests."""
    path = str(path or default_db_path())
    if path == ":memory:":
        db = Database(memory=True)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        db.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute(f"pragma page_size = {PAGE_SIZE}")  # no effect once the file holds a table
        db.enable_wal()
        db.execute("pragma synchronous = normal")  # under WAL: no fsync a commit, still no corruption on a crash
    with write_transaction(db):
        ensure_schema(db)
    return db


class DatabaseNotFound(FileNotFoundError):
    """A command that only reads was given a database that does not exist."""


def open_db_readonly(path: str | os.PathLike | None = None) -> Database:
    """Open an existing database read-only (`file:...?mode=ro`): nothing is created or written.

    Works on a read-only file or mount: when SQLite cannot create the WAL index beside
    a read-only file, the file is opened as immutable (nobody can be writing it).
    """
    import sqlite3
    from urllib.parse import quote

    path = Path(path or default_db_path())
    if not path.is_file():
        raise DatabaseNotFound(f"database not found: {path}")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.OperationalError:
        if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
            raise
        conn = sqlite3.connect(uri + "&immutable=1", uri=True)
        conn.execute("select count(*) from sqlite_master").fetchone()
    return Database(conn)


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction started with BEGIN IMMEDIATE, so the busy timeout applies.

    sqlite-utils' `db.atomic()` issues a plain BEGIN, which takes the write lock only
    at the first write and then fails at once ("database is locked") when another
    writer holds it. Nested calls join the outer transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def crawl_lock_path(db_path: str | os.PathLike) -> Path:
    """The lock file beside a database that one crawl at a time holds."""
    return Path(f"{db_path}.crawl.lock")


class CrawlLocked(Exception):
    """Another crawl is running on this database."""


@contextmanager
def crawl_lock(db_path: str | os.PathLike, wait: bool = False) -> Iterator[Path]:
    """Hold the database's crawl lock (fcntl.flock, released by the OS even on kill).

    Raises CrawlLocked at once when another process holds it, unless `wait`.
    """
    path = crawl_lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise CrawlLocked(f"another crawl is running on this database ({db_path})") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def crawl_running(db_path: str | os.PathLike) -> bool:
    """Whether a crawl holds the database's crawl lock right now."""
    path = crawl_lock_path(db_path)
    if not path.exists():
        return False
    with open(path, "rb") as handle:  # read-only: works on a read-only mount
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def ensure_schema(db: Database) -> None:
    """Create the tables and indexes that do not exist yet."""
    for name, (columns, pk, indexes) in SCHEMA.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, pk=pk)
        else:
            missing = {c: t for c, t in columns.items() if c not in table.columns_dict}
            for column, kind in missing.items():
                table.add_column(column, kind)
        for cols in indexes:
            table.create_index(cols, if_not_exists=True, unique=(name == "raw_postings" and cols == ["posting_id", "content_hash"]))


def start_run(db: Database, kind: str, source: str, base_url: str | None = None,
              parser_version: str | None = None, started_at: str | None = None) -> int:
    """Record the start of a crawl or an ingest; returns the run id."""
    table = db.table("runs")
    with write_transaction(db):
        table.insert({"kind": kind, "source": source, "started_at": started_at or utcnow(),
                      "base_url": base_url, "parser_version": parser_version, "pages": 0,
                      "offers_seen": 0, "errors": 0})
        return int(table.last_pk)


def finish_run(db: Database, run_id: int, **values) -> dict:
    """Record the end of a run; returns the whole row."""
    values.setdefault("finished_at", utcnow())
    with write_transaction(db):
        db.table("runs").update(run_id, values)
    return db.table("runs").get(run_id)


def record_errors(db: Database, run_id: int | None, source: str, errors: Iterable[dict]) -> int:
    """Store errors `{location, field, message}`; returns how many."""
    rows = [{"run_id": run_id, "source": source, "at": utcnow(), **e} for e in errors]
    if rows:
        with write_transaction(db):
            db.table("errors").insert_all(rows, batch_size=500)
    return len(rows)


@dataclass
class WriteStats:
    """What one batch of raw postings did to the store."""

    received: int = 0
    new_postings: int = 0
    new_versions: int = 0
    unchanged: int = 0


def write_raw_postings(db: Database, postings: Iterable[RawPosting], run_id: int,
                       parser_version: str | None = None, trusted: bool = True,
                       partial_ids: set[str] | None = None) -> WriteStats:
    """Store a batch of raw postings in one transaction.

    A version already stored (same posting, same content hash) only gets its
    `fetched_at` moved; a new content becomes a new version. `partial_ids`
    names postings known only from a listing card (detail page failed): their
    card record is stored only when the posting has no version yet. Read and
    written WRITE_CHUNK postings at a time: one lookup query each, then the writes as
    a few `executemany` (new versions get the ids SQLite would give them, max + 1).
    """
    stats = WriteStats()
    partial_ids = partial_ids or set()
    conn = db.conn
    with write_transaction(db):
        last_id = conn.execute("select coalesce(max(id), 0) from raw_postings").fetchone()[0]
        for chunk in chunks(postings, WRITE_CHUNK):
            items = [(p, p.posting_id(), p.fetched_at or utcnow()) for p in chunk]
            ids = sorted({pid for _, pid, _ in items})
            marks = ", ".join("?" * len(ids))
            existing = dict(conn.execute(f"select id, raw_id from postings where id in ({marks})", ids).fetchall())
            versions = {(pid, digest): rid for pid, digest, rid in conn.execute(
                f"select posting_id, content_hash, id from raw_postings where posting_id in ({marks})", ids)}
            new_raw, seen_raw, new_postings = [], [], []
            updates: list[tuple[str, list]] = []  # in order: a posting's later sighting wins
            for posting, pid, fetched in items:
                stats.received += 1
                known = pid in existing
                if pid in partial_ids and known and existing[pid]:
                    updates.append((_SEEN_CARD, [fetched, run_id, pid]))
                    stats.unchanged += 1
                    continue
                record = posting.as_dict()
                digest = posting.content_hash(record)
                raw_id = versions.get((pid, digest))
                if raw_id is not None:
                    seen_raw.append([fetched, run_id, raw_id])
                    stats.unchanged += 1
                else:
                    last_id += 1
                    raw_id = last_id
                    new_raw.append([raw_id, pid, posting.source, posting.url, posting.reference, digest,
                                    _ENCODE(record), fetched, fetched, parser_version, run_id, run_id, int(trusted)])
                    versions[(pid, digest)] = raw_id
                    stats.new_versions += 1
                used = raw_id if trusted or not known or not existing[pid] else existing[pid]
                if known:
                    updates.append((_SEEN, [posting.source, posting.url, fetched, run_id, raw_id, used, pid]))
                else:
                    stats.new_postings += 1
                    new_postings.append([pid, posting.source, posting.url, fetched, fetched, run_id, used, raw_id])
                existing[pid] = used
            # new versions first (a version seen again later in the chunk may be one of them), then
            # new postings (a posting's first sighting in the chunk), then the updates in order
            conn.executemany(_NEW_RAW, new_raw)
            conn.executemany(_SEEN_RAW, seen_raw)
            conn.executemany(_NEW_POSTING, new_postings)
            for sql, group in groupby(updates, key=lambda u: u[0]):
                conn.executemany(sql, [params for _, params in group])
    return stats


_NEW_RAW = ("insert into raw_postings (id, posting_id, source, url, reference, content_hash, record, "
            "first_fetched_at, fetched_at, parser_version, run_id, last_run_id, trusted) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SEEN_RAW = "update raw_postings set fetched_at = ?, last_run_id = ? where id = ?"
_NEW_POSTING = ("insert into postings (id, source, url, first_seen_at, last_seen_at, last_run_id, "
                "gone_at, raw_id, latest_raw_id) values (?, ?, ?, ?, ?, ?, null, ?, ?)")
_SEEN = ("update postings set source = ?, url = ?, last_seen_at = ?, last_run_id = ?, "
         "gone_at = null, latest_raw_id = ?, raw_id = ? where id = ?")
_SEEN_CARD = "update postings set last_seen_at = ?, last_run_id = ?, gone_at = null where id = ?"

WRITE_CHUNK = 500
CHUNK = 500  # ids per `in (...)` query


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    """`items` in lists of at most `size`."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def marks(n: int) -> str:
    """`?, ?, ...` for an `in (...)` of `n` values."""
    return ", ".join("?" * n)


def promote_run(db: Database, run_id: int) -> None:
    """A healthy run's versions become the ones the offers are built from."""
    with write_transaction(db):
        db.execute("update postings set raw_id = latest_raw_id where last_run_id = ?", [run_id])
        db.execute("update raw_postings set trusted = 1 where last_run_id = ?", [run_id])


def mark_gone(db: Database, source: str, seen_ids: set[str], at: str) -> int:
    """After a complete, healthy crawl: postings of `source` not seen are gone."""
    ids = [r["id"] for r in db.query("select id from postings where source = ? and gone_at is null", [source])
           if r["id"] not in seen_ids]
    with write_transaction(db):
        for pid in ids:
            db.table("postings").update(pid, {"gone_at": at})
    return len(ids)


def last_healthy_run(db: Database, source: str, before_id: int | None = None) -> dict | None:
    """The latest complete crawl of a source judged healthy or accepted by the operator
    (`offres accept`), before a run id: the baseline of the next crawl's health check."""
    accepted = " or accepted_at is not null" if "accepted_at" in db.table("runs").columns_dict else ""
    sql = f"select * from runs where kind = 'crawl' and source = ? and (healthy = 1{accepted}) and complete = 1"
    params: list = [source]
    if before_id is not None:
        sql += " and id < ?"
        params.append(before_id)
    return next(db.query(sql + " order by id desc limit 1", params), None)


def load_postings(db: Database) -> list[dict]:
    """Every posting with the raw record it uses (`record` decoded)."""
    rows = db.query(
        "select p.id, p.source, p.first_seen_at, p.last_seen_at, p.gone_at, r.record, r.fetched_at "
        "from postings p join raw_postings r on r.id = p.raw_id order by p.id")
    return [{**row, "record": json.loads(row["record"])} for row in rows]
