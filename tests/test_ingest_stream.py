"""`ingest_records`: the streaming ingest API: a generator consumed once, stored batch by
batch while it runs (never held whole), then an incremental rebuild of what it changed."""
from __future__ import annotations

from pipeline.ingest import BATCH_SIZE, ingest_records
from pipeline.record import RawPosting, RecordError
from tests.conftest import make_record


def test_postings_are_stored_while_the_stream_is_still_running(db):
    stored_when = []

    def stream():
        for k in range(BATCH_SIZE * 2 + 3):
            if k in (BATCH_SIZE + 1, BATCH_SIZE * 2 + 1):  # the previous batches are already in the database
                stored_when.append(db.execute("select count(*) from postings").fetchone()[0])
            if k == 7:
                yield RecordError("feed.csv:8", "title", "required, must be a non-empty string")
                continue
            yield RawPosting.from_dict(make_record(f"2026-{2000000 + k}"))

    result = ingest_records(db, stream(), "feed.csv")
    assert stored_when == [BATCH_SIZE, BATCH_SIZE * 2]
    assert (result.lines, result.ingested, len(result.rejected)) == (BATCH_SIZE * 2 + 3, BATCH_SIZE * 2 + 2, 1)
    assert result.rebuild.new == db.table("offers").count > 0
    assert db.table("errors").count == 1


def test_a_second_stream_rebuilds_only_what_it_changed(db):
    ingest_records(db, (RawPosting.from_dict(make_record(f"2026-{2000000 + k}", employer=f"Commune de V{k}"))
                        for k in range(20)), "first")
    changed = make_record("2026-2000003", employer="Commune de V3", title="Data engineer")
    result = ingest_records(db, iter([RawPosting.from_dict(changed)]), "second")
    assert (result.rebuild.new, result.rebuild.updated, result.rebuild.offers) == (0, 1, 20)
    kinds = [r["kind"] for r in db.query("select kind from events where run_id = ?", [result.run_id])]
    assert kinds == ["updated"]


def test_without_rebuild_the_offers_wait(db):
    result = ingest_records(db, iter([RawPosting.from_dict(make_record("2026-2000001"))]), "x", rebuild=False)
    assert result.ingested == 1 and db.table("offers").count == 0
