"""`pipeline.accept`: which runs can be accepted, and what accepting one does (one transaction)."""
import pytest

from pipeline.accept import AcceptRefused, accept_run, preview_accept
from pipeline.ingest import ingest_lines
from pipeline.store import finish_run, last_healthy_run, start_run, write_raw_postings
from pipeline.record import RawPosting
from tests.conftest import make_record


def crawl(db, references, **verdict):
    run = start_run(db, "crawl", "csp")
    write_raw_postings(db, [RawPosting.from_dict(make_record(r)) for r in references], run, trusted=False)
    return finish_run(db, run, offers_seen=len(references), **verdict)["id"]


def test_accepting_a_drop_closes_what_it_no_longer_saw(db):
    good = crawl(db, ["2026-1", "2026-2", "2026-3", "2026-4"], complete=1, healthy=1)
    db.execute("update postings set raw_id = latest_raw_id")
    drop = crawl(db, ["2026-1"], complete=1, healthy=0, health_notes="1 offers seen against 4 in run 1")
    assert last_healthy_run(db, "csp")["id"] == good
    tables = {name: list(db.query(f"select * from {name} order by rowid")) for name in ("offers", "events", "runs",
                                                                                          "postings")}
    preview, events = preview_accept(db, drop, reason="the board withdrew them", by="A. Martin")
    assert preview.postings_gone == 3 and sorted(e["reference"] for e in events if e["kind"] == "closed") == [
        "2026-2", "2026-3", "2026-4"]
    assert {name: list(db.query(f"select * from {name} order by rowid")) for name in tables} == tables
    done = accept_run(db, drop, reason="the board withdrew them", by="A. Martin")
    assert done.postings_gone == 3 and done.run["accepted_by"] == "A. Martin"
    assert last_healthy_run(db, "csp")["id"] == drop  # the new baseline
    status = {r["reference"]: r["status"] for r in db.query("select reference, status from offers")}
    assert status == {"2026-1": "open", "2026-2": "closed", "2026-3": "closed", "2026-4": "closed"}
    events = list(db.query("select kind, reference from events where run_id = ? and kind = 'closed'", [drop]))
    assert sorted(e["reference"] for e in events) == ["2026-2", "2026-3", "2026-4"]


@pytest.mark.parametrize("verdict, message", [
    ({"complete": 0, "healthy": 0, "health_notes": "listing not crawled to its last page"}, "did not crawl its listing"),
    ({"complete": 1, "healthy": 1}, "is healthy"),
])
def test_refused(db, verdict, message):
    run = crawl(db, ["2026-1"], **verdict)
    with pytest.raises(AcceptRefused, match=message):
        accept_run(db, run, reason="x", by="me")
    assert db.table("runs").get(run)["accepted_at"] is None


def test_refused_for_an_ingest_a_missing_run_or_no_reason(db):
    run = ingest_lines(db, ['{"source": "csp", "url": "https://x/1", "title": "Développeur"}']).run_id
    with pytest.raises(AcceptRefused, match="not a crawl"):
        accept_run(db, run, reason="x", by="me")
    with pytest.raises(AcceptRefused, match="no run 99"):
        accept_run(db, 99, reason="x", by="me")
    with pytest.raises(AcceptRefused, match="reason"):
        accept_run(db, run, reason=" ", by="me")
