"""Detail pages to fetch for digital offers that only the open-data file shows.

The weekly file (`csp-opendata`) has no descriptions and only the board's short URL.
Its open rows that the classifier finds digital, of references the Numérique crawl does
not have, are queued here; the CSP spider fetches a few of them each run (a budget,
setting `OFFRES_UNLISTED_BUDGET`) and stores them as postings of source `csp-unlisted`:
pages of the board read outside its Numérique listing, whose absence from that listing
closes nothing (docs/sources/csp_opendata.md#outside-the-numerique-listing).

Table `detail_queue`, one row per reference: `digest` (the file's row when queued: a
changed row is fetched again), `rank` (publication start: newest first), `attempts`,
`outcome` (null: to fetch; `fetched`, `missing`: the board answered 404/410, `failed`:
no answer after MAX_ATTEMPTS, `mismatch`: the page shows another reference), `posting_id`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlite_utils import Database

from pipeline.sources import UNLISTED_SOURCE as SOURCE
from pipeline.store import write_transaction

TABLE = "detail_queue"
LISTED_SOURCE = "csp"
MAX_ATTEMPTS = 3
DEFAULT_BUDGET = 100
COLUMNS = {"reference": str, "digest": str, "rank": int, "queued_at": str, "attempts": int,
           "last_attempt_at": str, "outcome": str, "posting_id": str, "message": str}


@dataclass
class QueueChange:
    """What one update of the queue did."""

    queued: int = 0      # new references, or rows changed since their page was fetched
    retired: int = 0     # no longer digital, open and outside the listing: dropped
    waiting: int = 0     # to fetch after this update


def ensure_table(db: Database) -> None:
    """Create `detail_queue` if missing."""
    table = db.table(TABLE)
    if not table.exists():
        table.create(COLUMNS, pk="reference", not_null={"reference"}, defaults={"attempts": 0})
        table.create_index(["outcome", "rank"], if_not_exists=True)


def listed_references(db: Database) -> set[str]:
    """References the Numérique crawl has stored (the listing's own postings)."""
    return {r[0] for r in db.execute("select distinct reference from raw_postings "
                                     "where source = ? and reference is not null", [LISTED_SOURCE])}


def update_queue(db: Database, candidates: dict[str, tuple[str, int]], at: str) -> QueueChange:
    """Bring the queue in line with one accepted file.

    `candidates`: reference -> (row digest, publication rank) of the file's open digital
    rows. Those the Numérique crawl has are not queued; an entry whose reference is no
    longer a candidate is retired; one whose row changed since its page was fetched is
    queued again (attempts reset)."""
    change = QueueChange()
    listed = listed_references(db)
    wanted = {ref: v for ref, v in candidates.items() if ref not in listed}
    with write_transaction(db):
        ensure_table(db)
        stored = {ref: (digest, outcome) for ref, digest, outcome in
                  db.execute(f"select reference, digest, outcome from {TABLE}")}
        gone = [ref for ref in stored if ref not in wanted]
        for start in range(0, len(gone), 500):
            batch = gone[start:start + 500]
            db.execute(f"delete from {TABLE} where reference in ({', '.join('?' * len(batch))})", batch)
        change.retired = len(gone)
        fresh, again = [], []
        for ref, (digest, rank) in wanted.items():
            before = stored.get(ref)
            if before is None:
                fresh.append((ref, digest, rank, at))
            elif before[0] != digest:
                again.append((digest, rank, at, ref))
        db.conn.executemany(f"insert into {TABLE} (reference, digest, rank, queued_at, attempts) "
                            "values (?, ?, ?, ?, 0)", fresh)
        db.conn.executemany(f"update {TABLE} set digest = ?, rank = ?, queued_at = ?, attempts = 0, outcome = null, "
                            "message = null where reference = ?", again)
        change.queued = len(fresh) + len(again)
    change.waiting = len(due(db, None))
    return change


def due(db: Database, budget: int | None = DEFAULT_BUDGET) -> list[str]:
    """References to fetch now, newest publication first, at most `budget` (None: all).

    A page fetched by a crawl judged unhealthy is stored untrusted: it is due again."""
    if not db.table(TABLE).exists():
        return []
    sql = (f"select q.reference from {TABLE} q where q.outcome is null or (q.outcome = 'fetched' and not exists "
           "(select 1 from postings p join raw_postings r on r.id = p.latest_raw_id "
           "where p.id = q.posting_id and r.trusted = 1)) "
           "order by q.attempts, q.rank desc, q.reference")
    params: list = []
    if budget is not None:
        sql += " limit ?"
        params.append(max(0, budget))
    return [r[0] for r in db.execute(sql, params)]


def record_outcomes(db: Database, outcomes: Iterable[dict], at: str) -> None:
    """Store what the spider got for each reference it asked for.

    Each outcome: `reference`, `outcome` (fetched, missing, failed, mismatch), optional
    `posting_id` and `message`. A failure is retried by later runs up to MAX_ATTEMPTS."""
    rows = list(outcomes)
    if not rows or not db.table(TABLE).exists():
        return
    with write_transaction(db):
        for row in rows:
            db.execute(
                f"update {TABLE} set attempts = attempts + 1, last_attempt_at = ?, message = ?, posting_id = "
                "coalesce(?, posting_id), outcome = case when ? != 'failed' then ? when attempts + 1 >= ? "
                "then 'failed' else null end where reference = ?",
                [at, row.get("message"), row.get("posting_id"), row["outcome"], row["outcome"], MAX_ATTEMPTS,
                 row["reference"]])


def summary(db: Database) -> dict[str, int]:
    """Counts of the queue by state: `waiting` and each outcome."""
    if not db.table(TABLE).exists():
        return {}
    counts = {(outcome or "waiting"): n for outcome, n in
              db.execute(f"select outcome, count(*) from {TABLE} group by outcome")}
    return dict(sorted(counts.items()))
