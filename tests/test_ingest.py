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


def test_bad_lines_named_and_the_rest_ingested(tmp_path):
    import json as _json
    import subprocess
    import sys

    good = [_json.dumps({"source": "feed", "url": f"https://a.fr/o/{i}", "title": f"Offre {i}",
                         "reference": f"2026-{i:05d}", "fetched_at": "2026-11-20T06:00:00+00:00"}).encode()
            for i in range(300)]
    bad = [b'{"source": "feed", "url": "https://a.fr/x1", "title": "caf\xe9"}',
           b'{"source": "feed", "url": "https://a.fr/x2", "title": "nul\x00"}',
           b'{"source": "feed", "url": "https://a.fr/x3", "title": "n", "employer": 12}',
           b'{"source": "feed", "url": "https://a.fr/x4", "title": "d", "fetched_at": "31/02/2026"}']
    lines = good[:100] + bad[:2] + good[100:200] + bad[2:] + good[200:]
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b"\n".join(lines) + b"\n")
    done = subprocess.run([sys.executable, "-c", "from cli import main; main()", "--db", str(tmp_path / "x.db"),
                           "ingest", str(feed)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert "Ingested 300 postings" in done.stdout
    assert "feed.jsonl:101: field '*': not UTF-8" in done.stderr
    assert "feed.jsonl:102: field '*': contains a NUL byte" in done.stderr
    assert "feed.jsonl:203: field 'employer': must be a string or null, got int" in done.stderr
    assert "feed.jsonl:204: field 'fetched_at': not an ISO 8601 date-time" in done.stderr
