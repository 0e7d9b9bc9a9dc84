"""`offres accept` on an open-data file refused for its size (pipeline/opendata_accept.py): the
first file of a new year, far smaller than December's, is taken once the operator says so."""
from __future__ import annotations

import csv
import json

from sqlite_utils import Database

from pipeline.opendata import last_accepted
from replica.datagouv import DataGouvReplica
from replica.datagouv_rows import OpenDataWeek
from tests.test_csp_opendata import TODAY, crawl, offers, offres


def new_year(tmp_path, rows: int, seed: int = 21) -> tuple:
    """A file of another year's offers (other references), `rows` rows."""
    path = tmp_path / f"year{rows}.csv"
    return path, OpenDataWeek(rows=rows, seed=seed, digital=0.1, today=TODAY).write(path)


def references(path) -> set[str]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return {row["Référence"] for row in csv.DictReader(stream, delimiter=";")}


def runs(db) -> list[dict]:
    return list(Database(db).query("select * from runs order by id"))


def test_a_new_year_file_refused_for_its_size_is_accepted_read_again_and_becomes_the_baseline(tmp_path):
    db = tmp_path / "o.db"
    december = tmp_path / "december.csv"
    with DataGouvReplica(tmp_path) as replica:
        replica.publish(december, OpenDataWeek(rows=6000, seed=5, digital=0.05, today=TODAY).write(december), week=0)
        assert crawl(db, replica).returncode == 0
        before = offers(db)
        replica.publish(*new_year(tmp_path, 2400), week=1)
        refused = crawl(db, replica)
        assert refused.returncode == 3, refused.stderr
        assert "2,400 rows against 6,000 for the last accepted file" in refused.stderr
        assert "offres accept 2 --reason TEXT" in refused.stderr and "new year" in refused.stderr
        assert offers(db) == before
        errors = Database(db).execute("select count(*) from errors where run_id = 2").fetchone()[0]

        preview = offres(db, "accept", "2", "--dry-run", "--reason", "the board restarted its file", "--json")
        assert preview.returncode == 0, preview.stderr
        planned = json.loads(preview.stdout)
        assert planned["dry_run"] and planned["offers"]["new"] > 0
        assert offers(db) == before and not runs(db)[1]["accepted_at"]  # nothing written

        done = offres(db, "accept", "2", "--reason", "the board restarted its file in January", "--by", "A. Martin")
        assert done.returncode == 0, done.stderr
        assert "Run 2 (csp-opendata" in done.stdout and "accepted by A. Martin" in done.stdout
        run = runs(db)[1]
        assert run["accepted_by"] == "A. Martin" and run["healthy"] == 0 and run["complete"] == 1
        accepted = json.loads(run["stats"])["opendata/resource"]
        assert accepted["rows"] == 2400 and accepted["file"]
        assert last_accepted(Database(db))["rows"] == 2400  # the next file is compared with this one
        assert Database(db).execute("select count(*) from errors where run_id = 2").fetchone()[0] == errors
        after = offers(db)
        new = set(after) - set(before)
        assert new and len(new) == planned["offers"]["new"]
        in_year = references(tmp_path / "year2400.csv")
        untouched = [r for r in before if r not in in_year]
        assert untouched and all(after[r]["status"] == before[r]["status"] for r in untouched)  # absent: not closed
        changes = json.loads(offres(db, "changes", "--run", "2", "--json").stdout)
        assert {e["reference"] for e in changes["events"] if e["kind"] == "new"} == new  # the run's own events

        again = crawl(db, replica)  # the same file: unchanged since the accepted one
        assert again.returncode == 0 and "unchanged (nothing downloaded)" in again.stdout
        shown = offres(db, "stats", "--runs", "3").stdout
        assert "#3 crawl csp-opendata" in shown and "(the same file as before: nothing downloaded)" in shown
        assert "accepted by A. Martin" in shown and "None" not in shown
        replica.publish(*new_year(tmp_path, 2600), week=2)  # the year's file grows: compared with 2,400 rows
        assert crawl(db, replica).returncode == 0
        twice = offres(db, "accept", "2", "--reason", "again")
        assert twice.returncode == 1 and "was already accepted" in twice.stderr


def test_a_file_refused_for_its_header_cannot_be_accepted(tmp_path):
    db = tmp_path / "o.db"
    first = tmp_path / "first.csv"
    with DataGouvReplica(tmp_path) as replica:
        replica.publish(first, OpenDataWeek(rows=3000, seed=5, today=TODAY).write(first), week=0)
        assert crawl(db, replica).returncode == 0
        wide = tmp_path / "wide.csv"
        head, rest = first.read_bytes().split(b"\r\n", 1)
        wide.write_bytes(head + ';"Nouvelle colonne"\r\n'.encode() + rest)
        import hashlib
        replica.publish(wide, {"bytes": wide.stat().st_size, "sha1": hashlib.sha1(wide.read_bytes()).hexdigest()},
                        week=1)
        refused = crawl(db, replica)
    assert refused.returncode == 3 and "offres accept" not in refused.stderr  # no way out offered that fails
    before = offers(db)
    tried = offres(db, "accept", "2", "--reason", "a new column")
    assert tried.returncode == 1 and "there is no file to accept" in tried.stderr
    assert offers(db) == before and not runs(db)[1]["accepted_at"]
