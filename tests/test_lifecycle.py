"""Offer lifecycle: built from postings; first_seen_at kept; closed, reopened."""
from datetime import datetime, timezone

from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import mark_gone, start_run, write_raw_postings
from tests.conftest import make_record

NOW = datetime(2026, 10, 10, 12, tzinfo=timezone.utc)


def store(db, *records, run=None):
    run = run or start_run(db, "crawl", "csp")
    write_raw_postings(db, [RawPosting.from_dict(r) for r in records], run)
    return run


def offer(db, reference):
    return next(db.query("select * from offers where reference = ?", [reference]))


def test_offers_are_built_and_counted(db):
    store(db, make_record("2026-1"), make_record("2026-2", title="Data scientist H/F"))
    stats = rebuild_offers(db, now=NOW)
    assert (stats.offers, stats.new, stats.open) == (2, 2, 2)
    row = offer(db, "2026-2")
    assert row["title"] == "Data scientist" and row["digital"] == 1 and row["family"] == "donnees"
    assert rebuild_offers(db, now=NOW).new == 0  # idempotent


def test_update_keeps_first_seen(db):
    store(db, make_record("2026-1"))
    rebuild_offers(db, now=NOW)
    first_seen = offer(db, "2026-1")["first_seen_at"]
    store(db, make_record("2026-1", title="Développeur backend", fetched_at="2026-10-09T08:00:00+00:00"))
    stats = rebuild_offers(db, now=NOW)
    row = offer(db, "2026-1")
    assert stats.updated == 1 and row["title"] == "Développeur backend"
    assert row["first_seen_at"] == first_seen and row["last_seen_at"] == "2026-10-09T08:00:00+00:00"


def test_deadline_passed_closes(db):
    store(db, make_record("2026-1", deadline="09/10/2026"), make_record("2026-2", deadline="10/10/2026"))
    rebuild_offers(db, now=NOW)
    assert offer(db, "2026-1")["status"] == "closed" and "deadline 2026-10-09" in offer(db, "2026-1")["status_reason"]
    assert offer(db, "2026-2")["status"] == "open"  # the deadline day itself is still open


def test_absent_from_a_complete_crawl_closes_then_reopens(db):
    store(db, make_record("2026-1"), make_record("2026-2"))
    rebuild_offers(db, now=NOW)
    mark_gone(db, "csp", {"csp:2026-1"}, "2026-10-10T00:00:00+00:00")
    stats = rebuild_offers(db, now=NOW)
    row = offer(db, "2026-2")
    assert stats.closed == 1 and row["status"] == "closed" and "absent" in row["status_reason"]
    assert row["closed_at"]
    store(db, make_record("2026-2", fetched_at="2026-10-11T08:00:00+00:00"))
    stats = rebuild_offers(db, now=NOW)
    row = offer(db, "2026-2")
    assert stats.reopened == 1 and row["status"] == "open" and row["reopened_at"] and row["closed_at"] is None


def test_same_reference_on_two_boards_is_one_offer_with_both_sources(db):
    store(db, make_record("O056261001001569", title="Chargé de recrutement - CONSEIL DÉPARTEMENTAL DU MORBIHAN",
                          fetched_at="2026-10-03T08:00:00+00:00"))
    store(db, make_record("o056261001001569", source="emploi-territorial",
                          url="https://www.emploi-territorial.fr/offre/o056261001001569-charge-de-recrutement",
                          fetched_at="2026-10-01T08:00:00+00:00"))
    rebuild_offers(db, now=NOW)
    rows = list(db.query("select * from offers"))
    assert len(rows) == 1
    import json
    sources = json.loads(rows[0]["sources"])
    assert [s["source"] for s in sources] == ["csp", "emploi-territorial"]
    assert rows[0]["first_seen_at"] == "2026-10-01T08:00:00+00:00"  # the earliest posting


def test_a_broken_record_is_reported_and_the_rest_goes_on(db, monkeypatch):
    import pipeline.lifecycle as lifecycle

    real = lifecycle.normalize_posting

    def flaky(record, now):
        if record.get("reference") == "2026-2":
            raise ValueError("boom")
        return real(record, now)

    monkeypatch.setattr(lifecycle, "normalize_posting", flaky)
    store(db, make_record("2026-1"), make_record("2026-2"))
    stats = rebuild_offers(db, now=NOW)
    assert stats.offers == 1 and stats.errors[0]["location"] == "csp:2026-2"
    assert db.table("errors").count == 1


def test_the_official_board_closes_an_offer_a_curated_page_still_lists(db):
    store(db, make_record("2023-1201312"))
    store(db, make_record("2023-1201312", source="dinum-page", url="https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1201312/"))
    rebuild_offers(db, now=NOW)
    assert db.table("offers").count == 1
    mark_gone(db, "csp", set(), "2026-10-10T00:00:00+00:00")
    rebuild_offers(db, now=NOW)
    row = offer(db, "2023-1201312")
    assert row["status"] == "closed" and "crawl of csp" in row["status_reason"]


def events(db, run=None):
    sql = "select run_id, kind, reference, fields, reason from events" + (" where run_id = ?" if run else "")
    return [dict(r) for r in db.query(sql + " order by id", [run] if run else [])]


def test_every_rebuild_records_its_events(db):
    first = store(db, make_record("2026-1"), make_record("2026-2"))
    rebuild_offers(db, now=NOW, run_id=first)
    assert sorted((e["kind"], e["reference"]) for e in events(db, first)) == [("new", "2026-1"), ("new", "2026-2")]
    second = store(db, make_record("2026-1", title="Développeur backend"))
    mark_gone(db, "csp", {"csp:2026-1"}, "2026-10-10T00:00:00+00:00")
    rebuild_offers(db, now=NOW, run_id=second)
    kinds = {(e["kind"], e["reference"]): e for e in events(db, second)}
    assert set(kinds) == {("updated", "2026-1"), ("closed", "2026-2")}
    assert "title" in kinds[("updated", "2026-1")]["fields"]
    assert kinds[("closed", "2026-2")]["reason"].startswith("absent from the complete crawl")
    assert len(events(db, first)) == 2  # run 1's events are kept as they were
    rebuild_offers(db, now=NOW, run_id=99)
    assert events(db, 99) == []  # an unchanged rebuild records nothing


def curated(reference):
    return make_record(reference, source="dinum-page",
                       url=f"https://choisirleservicepublic.gouv.fr/offre-emploi/{reference}/")


def test_a_curated_entry_the_board_no_longer_lists_closes_then_reopens(db):
    from pipeline.store import finish_run

    page = start_run(db, "crawl", "dinum-page", started_at="2026-10-05T07:00:00+00:00")
    store(db, curated("2023-1201312"), curated("2026-7"), run=page)
    finish_run(db, page, complete=1, healthy=1)
    rebuild_offers(db, now=NOW, run_id=page)
    assert offer(db, "2023-1201312")["status"] == "open"  # no crawl of the board yet
    board = start_run(db, "crawl", "csp", started_at="2026-10-06T07:00:00+00:00")
    store(db, make_record("2026-7", fetched_at="2026-10-06T07:05:00+00:00"), run=board)
    finish_run(db, board, complete=0, healthy=0)
    rebuild_offers(db, now=NOW, run_id=board)
    assert offer(db, "2023-1201312")["status"] == "open"  # an incomplete crawl proves nothing
    board = start_run(db, "crawl", "csp", started_at="2026-10-07T07:00:00+00:00")
    store(db, make_record("2026-7", fetched_at="2026-10-07T07:05:00+00:00"), run=board)
    finish_run(db, board, complete=1, healthy=1)
    stats = rebuild_offers(db, now=NOW, run_id=board)
    row = offer(db, "2023-1201312")
    assert (row["status"], row["status_reason"]) == ("closed", "no longer on the board") and row["closed_at"]
    assert stats.closed == 1 and offer(db, "2026-7")["status"] == "open"  # the board lists that one
    assert [e["reason"] for e in events(db, board) if e["kind"] == "closed"] == ["no longer on the board"]
    board = start_run(db, "crawl", "csp", started_at="2026-10-08T07:00:00+00:00")
    store(db, make_record("2023-1201312", fetched_at="2026-10-08T07:05:00+00:00"), run=board)
    finish_run(db, board, complete=1, healthy=1)
    stats = rebuild_offers(db, now=NOW, run_id=board)
    row = offer(db, "2023-1201312")
    assert stats.reopened == 1 and row["status"] == "open" and row["status_reason"] is None


def test_a_curated_entry_seen_after_the_board_crawl_stays_open(db):
    from pipeline.store import finish_run

    board = start_run(db, "crawl", "csp", started_at="2026-10-01T07:00:00+00:00")
    store(db, make_record("2026-7", fetched_at="2026-10-01T07:05:00+00:00"), run=board)
    finish_run(db, board, complete=1, healthy=1)
    page = start_run(db, "crawl", "dinum-page", started_at="2026-10-05T07:00:00+00:00")
    store(db, curated("2023-1201312"), run=page)  # fetched 2026-10-05, after the board's crawl
    rebuild_offers(db, now=NOW, run_id=page)
    assert offer(db, "2023-1201312")["status"] == "open"


def test_territory_keys_do_not_update_every_stored_offer():
    """Offers stored before the location had territory keys keep their hash (no mass 'updated'),
    except overseas collectivities, whose département and région really changed (to null)."""
    from pipeline.lifecycle import fields_hash
    from pipeline.normalize.location import normalize_location

    def old_shape(location):
        return {k: v for k, v in location.items() if not k.startswith("territory")}

    for place in ("Paris 7e", "Guyane (973)", "Europe", "Bretagne"):
        new = normalize_location(place)
        assert fields_hash({"title": "t", "location": new}) == fields_hash({"title": "t", "location": old_shape(new)})
    papeete = normalize_location("Papeete")
    before = {**old_shape(papeete), "department_code": "987", "region_code": "987"}
    assert fields_hash({"title": "t", "location": papeete}) != fields_hash({"title": "t", "location": before})
