"""A full rebuild (`offres reprocess`) reuses the stored normalisation of an unchanged raw version
while the normaliser's version is the one recorded, and keeps an offer row rebuilt as stored."""
from datetime import datetime, timezone

import pipeline.normalized as normalized
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import start_run, write_raw_postings
from tests.conftest import make_record

NOW = datetime(2026, 10, 10, 12, tzinfo=timezone.utc)


def counting(monkeypatch) -> list[str]:
    """Records the reference of every record normalised from now on."""
    seen: list[str] = []
    real = normalized.normalize_posting

    def spy(record, now):
        seen.append(record.get("reference"))
        return real(record, now)

    monkeypatch.setattr(normalized, "normalize_posting", spy)
    return seen


def store(db, *records):
    write_raw_postings(db, [RawPosting.from_dict(r) for r in records], start_run(db, "crawl", "csp"))


def dump(db) -> list[list]:
    return [[dict(r) for r in db.query(f"select * from {t} order by 1, 2")] for t in ("offers", "merges", "normalized")]


def test_reprocess_normalises_only_what_changed_while_the_version_holds(db, monkeypatch):
    store(db, make_record("2026-1", fetched_at="2026-10-09T08:00:00+00:00"),
          make_record("2026-2", fetched_at="2026-10-09T08:00:00+00:00"), make_record("2026-3", fetched_at=None))
    rebuild_offers(db, now=NOW)
    before = dump(db)
    seen = counting(monkeypatch)
    stats = rebuild_offers(db, now=NOW, full=True)
    assert seen == ["2026-3"]  # no fetched_at: normalised with the rebuild's time, so again
    assert (stats.new, stats.updated) == (0, 0) and dump(db) == before
    store(db, make_record("2026-2", title="Data scientist", fetched_at="2026-10-09T09:00:00+00:00"))
    seen.clear()
    rebuild_offers(db, now=NOW, full=True)
    assert sorted(seen) == ["2026-2", "2026-3"]


def test_another_normaliser_version_normalises_everything_again(db, monkeypatch):
    store(db, make_record("2026-1", fetched_at="2026-10-09T08:00:00+00:00"),
          make_record("2026-2", fetched_at="2026-10-09T08:00:00+00:00"))
    rebuild_offers(db, now=NOW)
    seen = counting(monkeypatch)
    monkeypatch.setattr(normalized, "normaliser_version", lambda: "another")
    rebuild_offers(db, now=NOW)  # incremental: nothing to do, and the rows are not this version's
    assert seen == []
    rebuild_offers(db, now=NOW, full=True)
    assert sorted(seen) == ["2026-1", "2026-2"]
    seen.clear()
    rebuild_offers(db, now=NOW, full=True)
    assert seen == []


def test_the_unresolved_counts_of_a_reprocess_include_the_reused_rows(db, monkeypatch):
    store(db, *(make_record(f"2026-{n}", remote="peut-être", fetched_at="2026-10-09T08:00:00+00:00") for n in (1, 2)))
    first = rebuild_offers(db, now=NOW, full=True).unresolved
    seen = counting(monkeypatch)
    again = rebuild_offers(db, now=NOW, full=True).unresolved
    assert seen == [] and again == first and again.get("remote") == 2
