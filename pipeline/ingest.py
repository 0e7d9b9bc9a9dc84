"""`offres ingest`: raw postings from JSON lines (other collectors, crawls run elsewhere)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from sqlite_utils import Database

from pipeline.lifecycle import RebuildStats, rebuild_offers
from pipeline.record import RawPosting, RecordError
from pipeline.store import finish_run, record_errors, start_run, utcnow, write_raw_postings

BATCH_SIZE = 500


@dataclass
class IngestResult:
    """What an ingest stored and what it rejected (with line numbers)."""

    run_id: int
    lines: int = 0
    ingested: int = 0
    new_postings: int = 0
    new_versions: int = 0
    rejected: list[RecordError] = field(default_factory=list)
    rebuild: RebuildStats | None = None


def read_records(lines: Iterable[str | bytes], name: str) -> Iterable[RawPosting | RecordError]:
    """Each non-blank line as a RawPosting, or the RecordError that names it.

    Lines may be bytes (a file read in binary): each is decoded on its own, so a
    non-UTF-8 line is rejected with its number and the others go on.
    """
    for number, line in enumerate(lines, start=1):
        where = f"{name}:{number}"
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield RecordError(where, "*", f"not UTF-8 (byte {exc.start + 1})")
                continue
        if not line.strip():
            continue
        if "\x00" in line:
            yield RecordError(where, "*", "contains a NUL byte")
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(where, "*", f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            posting = RawPosting.from_dict(data, where=where)
        except RecordError as exc:
            yield exc
            continue
        posting.fetched_at = posting.fetched_at or utcnow()
        yield posting


def ingest_lines(db: Database, lines: Iterable[str], name: str = "<stdin>", progress=None) -> IngestResult:
    """Store every valid record of a JSON-lines stream, then rebuild the offers (`progress` as in rebuild_offers)."""
    run_id = start_run(db, "ingest", f"ingest:{name}")
    result = IngestResult(run_id=run_id)
    batch: list[RawPosting] = []

    def flush() -> None:
        stats = write_raw_postings(db, batch, run_id, trusted=True)
        result.ingested += stats.received
        result.new_postings += stats.new_postings
        result.new_versions += stats.new_versions
        batch.clear()

    for item in read_records(lines, name):
        result.lines += 1
        if isinstance(item, RecordError):
            result.rejected.append(item)
            continue
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            flush()
    flush()
    record_errors(db, run_id, f"ingest:{name}", [
        {"location": e.where, "field": e.field, "message": e.message} for e in result.rejected])
    result.rebuild = rebuild_offers(db, run_id=run_id, progress=progress)
    finish_run(db, run_id, offers_seen=result.ingested, offers_new=result.rebuild.new,
               offers_updated=result.rebuild.updated, offers_closed=result.rebuild.closed,
               offers_reopened=result.rebuild.reopened, errors=len(result.rejected),
               finish_reason="finished", complete=1, healthy=1)
    return result
