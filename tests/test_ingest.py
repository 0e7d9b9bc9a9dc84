"""`offres ingest`: JSON lines, bad lines named by number, idempotent."""
import json

from pipeline.ingest import ingest_lines
from tests.conftest import make_record


def lines(*records) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]


def test_bad_lines_are_reported_with_their_number_and_the_rest_ingested(db):
    result = ingest_lines(db, lines(make_record("2026-1"), "{not json", {"source": "x", "url": "https://a.fr/1"},
                                    "", make_record("2026-2")), name="feed.jsonl")
    assert result.ingested == 2
    assert [(e.where, e.field) for e in result.rejected] == [("feed.jsonl:2", "*"), ("feed.jsonl:3", "title")]
    assert db.table("offers").count == 2
    assert db.table("errors").count == 2


def test_ingesting_the_same_file_twice_changes_nothing(db):
    feed = lines(make_record("2026-1"), make_record("2026-2"))
    ingest_lines(db, feed)
    before = list(db.query("select * from offers order by id"))
    again = ingest_lines(db, feed)
    assert (again.new_postings, again.new_versions, again.rebuild.new, again.rebuild.updated) == (0, 0, 0, 0)
    assert list(db.query("select * from offers order by id")) == before
