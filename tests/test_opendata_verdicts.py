"""The accepted files' verdicts in the database: the rows table and its index of settleable digests."""
from __future__ import annotations

from sqlite_utils import Database

from parsers.csv_records import digest_text
from pipeline.opendata_verdicts import INDEX, TABLE, Verdicts


def verdicts_of(rows: dict[str, tuple[int, int, int]]) -> list[tuple[str, tuple[str, int, int]]]:
    return [(ref, (digest_text(d), digital, rank)) for ref, (d, digital, rank) in rows.items()]


def test_the_stored_verdicts_and_their_index_come_back():
    db = Database(memory=True)
    saved = Verdicts.from_db(db, set())
    assert saved.settles == set() and saved.get("A") is None
    assert saved.save(db, verdicts_of({"A": (1, 0, 10), "B": (2, 1, 11), "C": (3, 0, 12)})) == 3
    loaded = Verdicts.from_db(db, {"C"})
    assert loaded.settles == {1}  # B is digital, C a stored offer's: both always read
    assert loaded.non_digital == {1, 3}
    assert loaded.get("B") == (digest_text(2), 1, 11) and loaded.get("Z") is None


def test_saving_a_week_moves_the_changed_rows_digests_in_the_index():
    db = Database(memory=True)
    Verdicts.from_db(db, set()).save(db, verdicts_of({"A": (1, 0, 10), "B": (2, 0, 11), "C": (3, 0, 12)}))
    week = Verdicts.from_db(db, set())
    written = week.save(db, verdicts_of({"A": (1, 0, 10), "B": (20, 0, 11), "C": (30, 1, 12), "D": (4, 0, 13)}))
    assert written == 3  # A unchanged
    assert Verdicts.from_db(db, set()).settles == {1, 20, 4}
    assert db.execute(f"select count(*) from {TABLE}").fetchone()[0] == 4


def test_a_database_without_the_index_builds_it_from_the_rows():
    db = Database(memory=True)
    Verdicts.from_db(db, set()).save(db, verdicts_of({"A": (1, 0, 10), "B": (2, 1, 11)}))
    db.table(INDEX).drop()
    again = Verdicts.from_db(db, set())
    assert again.settles == {1}
    again.save(db, verdicts_of({"C": (5, 0, 9)}))
    assert Verdicts.from_db(db, set()).settles == {1, 5} and db.table(INDEX).count == 1


def test_digests_of_all_64_bits_are_kept():
    db = Database(memory=True)
    top = (1 << 64) - 1
    Verdicts.from_db(db, set()).save(db, verdicts_of({"A": (top, 0, 1)}))
    assert Verdicts.from_db(db, set()).settles == {top}


def test_known_references_say_which_were_stored_from_the_file():
    from pipeline.opendata import known_references
    from pipeline.store import ensure_schema

    db = Database(memory=True)
    ensure_schema(db)
    db["raw_postings"].insert_all([
        {"posting_id": "p1", "source": "csp", "reference": "R1"},
        {"posting_id": "p2", "source": "csp-opendata", "reference": "R2"},
        {"posting_id": "p3", "source": "csp", "reference": "R2"},
        {"posting_id": "p4", "source": "csp", "reference": None}])
    known = known_references(db)
    assert known == {"R1", "R2"} and known.from_file == {"R2"}
