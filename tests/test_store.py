"""Storage: raw versions, postings, runs, gone postings (in-memory SQLite)."""
import json

from pipeline.record import RawPosting
from pipeline.store import (last_healthy_run, mark_gone, promote_run, start_run, finish_run,
                            write_raw_postings)
from tests.conftest import make_record


def raw(reference: str = "2026-1000001", **kw) -> RawPosting:
    return RawPosting.from_dict(make_record(reference, **kw))


def test_same_content_twice_is_one_version(db):
    run = start_run(db, "crawl", "csp")
    first = write_raw_postings(db, [raw()], run)
    again = write_raw_postings(db, [raw(fetched_at="2026-10-06T08:00:00+00:00")], run)
    assert (first.new_postings, first.new_versions) == (1, 1)
    assert (again.new_postings, again.new_versions, again.unchanged) == (0, 0, 1)
    assert db.table("raw_postings").count == 1
    posting = db.table("postings").get("csp:2026-1000001")
    assert posting["first_seen_at"] == "2026-10-05T08:00:00+00:00"
    assert posting["last_seen_at"] == "2026-10-06T08:00:00+00:00"


def test_changed_content_is_a_new_version_kept_beside_the_old(db):
    run = start_run(db, "crawl", "csp")
    write_raw_postings(db, [raw()], run)
    write_raw_postings(db, [raw(title="Développeur backend")], run)
    versions = list(db.query("select record from raw_postings order by id"))
    assert [json.loads(v["record"])["title"] for v in versions] == [
        "Développeur / Développeuse full stack (H/F)", "Développeur backend"]
    posting = db.table("postings").get("csp:2026-1000001")
    assert posting["raw_id"] == posting["latest_raw_id"] == 2


def test_untrusted_versions_wait_for_promotion(db):
    good = start_run(db, "crawl", "csp")
    write_raw_postings(db, [raw()], good)
    broken = start_run(db, "crawl", "csp")
    write_raw_postings(db, [raw(employer=None)], broken, trusted=False)
    posting = db.table("postings").get("csp:2026-1000001")
    assert (posting["raw_id"], posting["latest_raw_id"]) == (1, 2)
    promote_run(db, broken)
    assert db.table("postings").get("csp:2026-1000001")["raw_id"] == 2


def test_card_only_record_never_replaces_a_full_one(db):
    run = start_run(db, "crawl", "csp")
    write_raw_postings(db, [raw()], run)
    card = raw(employer=None, missions_html=None)
    stats = write_raw_postings(db, [card], run, partial_ids={card.posting_id()})
    assert stats.unchanged == 1 and db.table("raw_postings").count == 1


def test_mark_gone_only_touches_unseen_postings_of_the_source(db):
    run = start_run(db, "crawl", "csp")
    write_raw_postings(db, [raw(), raw("2026-1000002"), raw("X-1", source="emploi-territorial")], run)
    assert mark_gone(db, "csp", {"csp:2026-1000001"}, "2026-10-07T00:00:00+00:00") == 1
    gone = {r["id"]: r["gone_at"] for r in db.query("select id, gone_at from postings")}
    assert gone == {"csp:2026-1000001": None, "csp:2026-1000002": "2026-10-07T00:00:00+00:00",
                    "emploi-territorial:X-1": None}
    write_raw_postings(db, [raw("2026-1000002")], run)  # seen again: back
    assert db.table("postings").get("csp:2026-1000002")["gone_at"] is None


def test_last_healthy_run(db):
    a = start_run(db, "crawl", "csp")
    finish_run(db, a, complete=1, healthy=1, offers_seen=10)
    b = start_run(db, "crawl", "csp")
    finish_run(db, b, complete=1, healthy=0, offers_seen=1)
    assert last_healthy_run(db, "csp")["id"] == a
    assert last_healthy_run(db, "csp", before_id=a) is None


def test_file_database_uses_wal(tmp_path):
    from pipeline.store import open_db

    db = open_db(tmp_path / "x.db")
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_new_file_database_gets_the_large_page_size_and_an_existing_one_keeps_its_own(tmp_path):
    import sqlite3

    from pipeline.store import PAGE_SIZE, open_db

    db = open_db(tmp_path / "new.db")
    assert db.execute("pragma page_size").fetchone()[0] == PAGE_SIZE != 4096
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("pragma page_size = 4096")
    old.execute("create table t (x)")
    old.commit()
    old.close()
    db = open_db(tmp_path / "old.db")
    assert db.execute("pragma page_size").fetchone()[0] == 4096
    assert db.table("offers").exists()  # the schema was still created in it
