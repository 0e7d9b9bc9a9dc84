"""The open-data file of the board: parsing real rows, checks, download, weekly runs on the replica."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from parsers.csp_opendata import COLUMNS, RowError, header_problem, parse_row, read_rows
from replica.datagouv import ROLLING_ID, DataGouvReplica
from replica.datagouv_rows import OpenDataWeek, real_rows
from spiders.csp_opendata import pick_resource

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "csp_opendata"
TODAY = date.today()  # the run judges windows against today; the replica is dated from it
ARCHIVE_ID = "a6792853-eb46-4897-a4dd-72fd717f9326"
SMALL = ["-s", "OPENDATA_MIN_BYTES=1000000", "-s", "OPENDATA_MIN_ROWS=2000"]


def csv_text(rows: list[dict], header=COLUMNS, bom: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    return ("\ufeff" if bom else "") + out.getvalue()


def test_real_rows_become_raw_records():
    rows = real_rows()
    text = csv_text(rows)
    parsed = [r for r in read_rows(io.StringIO(text[1:]))]
    assert len(parsed) == 52 and not [r for r in parsed if isinstance(r, RowError)]
    records = {r["reference"]: r for r in (parse_row(row) for row in parsed)}
    first = records["O034260114001143"]
    assert first["url"] == "https://choisirleservicepublic.gouv.fr/offre-emploi/O034260114001143/"
    assert first["title"] == "Assistant numérisation iconothèque - MONTPELLIER MEDITERRANEE METROPOLE"
    assert first["employer"] == "Structures de coopération territoriale"  # a kind of employer: the normaliser says so
    assert first["location_area"] == "Hérault (34)" and first["location"] == "50 place Zeus : 34961 Montpellier"
    assert first["deadline"] == "15/02/2026" and first["extra"]["publication_start"] == "14/01/2026"
    with_block = next(r for r in records.values() if r.get("extra", {}).get("employer_block", "").startswith("EHPAD"))
    assert with_block["employer"] == 'EHPAD "EUGENE ROMAINE"' and with_block["employer_category"]
    # multi-line cells keep their row: line numbers are those of the row's first line
    assert [r.line for r in parsed][:2] == [2, 3]


def test_the_header_must_be_the_30_known_columns():
    assert header_problem(list(COLUMNS)) is None
    assert header_problem(["\ufeff" + COLUMNS[0], *COLUMNS[1:]]) is None
    assert header_problem([*COLUMNS, "Nouvelle colonne"]) == "31 columns where 30 are expected"
    renamed = list(COLUMNS)
    renamed[7] = "Intitulé"
    assert "column 8 is 'Intitulé'" in header_problem(renamed)
    with pytest.raises(ValueError, match="not the open-data file's header"):
        list(read_rows(io.StringIO(csv_text([], header=[*COLUMNS, "x"], bom=False))))


def test_bad_rows_are_named_by_line_and_column_and_the_rest_goes_on():
    rows = real_rows()[:5]
    rows[1] = {**rows[1], "Date de fin de publication par défaut": "31/02/2026"}
    text = csv_text(rows, bom=False) + '"a";' * 31 + '"b"\r\n'
    items = list(read_rows(io.StringIO(text)))
    too_many = [i for i in items if isinstance(i, RowError)]
    assert [(e.line, e.column) for e in too_many] == [(7 + text.count("\n", 0, 0), "*")] or too_many[0].column == "*"
    good = [i for i in items if not isinstance(i, RowError)]
    with pytest.raises(RowError) as bad:
        parse_row(good[1])
    assert bad.value.column == "Date de fin de publication par défaut" and bad.value.line == good[1].line
    assert [parse_row(r)["reference"] for i, r in enumerate(good) if i != 1]


def test_the_rolling_resource_is_picked_by_id_then_by_rule():
    inventory = json.loads((FIXTURES / "resources-2026-10.json").read_text())["ressources"]
    resources = [{"id": r["id"], "title": r["titre"], "format": r["format"], "last_modified": r["modifie_le"],
                  "filesize": r["taille_octets_declaree"]} for r in inventory]
    assert pick_resource({"resources": resources})["id"] == ROLLING_ID
    without = [r for r in resources if r["id"] != ROLLING_ID]
    assert pick_resource({"resources": without})["title"] == "offres-datagouv-20251228.csv"  # the trap: size says no


def offres(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)


def crawl(db: Path, replica: DataGouvReplica) -> subprocess.CompletedProcess:
    return offres(db, "crawl", "csp-opendata", "--base-url", replica.base_url, *SMALL)


def offers(db: Path) -> dict[str, dict]:
    return {r["reference"]: r for r in Database(db).query("select * from offers")}


@pytest.fixture
def weeks(tmp_path):
    """Week 0 and week 1 (5% of rows changed, 300 added) of a 6,000-row file."""
    files = {}
    for week in (0, 1):
        spec = OpenDataWeek(rows=6000, seed=5, week=week, added=300, digital=0.05, today=TODAY)
        files[week] = (tmp_path / f"week{week}.csv", spec.write(tmp_path / f"week{week}.csv"))
    return files


def test_weekly_files_unchanged_weeks_and_changes(tmp_path, weeks):
    db = tmp_path / "o.db"
    with DataGouvReplica(tmp_path) as replica:
        replica.publish(*weeks[0], week=0)
        first = crawl(db, replica)
        assert first.returncode == 0, first.stderr
        assert re.search(r"Run 1: file offres-datagouv-\d{8}\.csv, 6,000 rows \([\d,]+ digital and open\), \d+ offers seen",
                         first.stdout), first.stdout  # the file read, not "0 listing pages"
        found = offers(db)
        assert found and all(json.loads(o["sources"])[0]["source"] == "csp-opendata" for o in found.values())
        assert all(o["digital"] for o in found.values() if o["status"] == "open")
        sent = replica.state.bytes_sent

        again = crawl(db, replica)
        assert again.returncode == 0 and "(unchanged)" in again.stdout
        assert re.search(r"Run 2: file offres-datagouv-\d{8}\.csv unchanged \(nothing downloaded\)", again.stdout)
        assert replica.state.bytes_sent == sent and offers(db) == found

        replica.publish(*weeks[1], week=1)
        replica.state.cut_after = 200_000  # the download breaks off once: it resumes with a range
        later = crawl(db, replica)
        assert later.returncode == 0, later.stderr
        assert replica.state.bytes_sent < sent + weeks[1][1]["bytes"] + 10_000  # resumed, not restarted
    stats = json.loads(offres(db, "stats", "--json").stdout)
    assert stats["digital_open_outside_numerique"] == stats["digital_open"] > 0  # no live crawl here
    run = json.loads(list(Database(db).query("select stats from runs order by id desc limit 1"))[0]["stats"])
    resource = run["opendata/resource"]
    assert resource["rows"] == 6300 and resource["settled"] > 0.8 * 6000  # unchanged rows: no parse, no classifier
    after = offers(db)
    assert set(found) <= set(after)
    assert any(o["status"] == "closed" and found[r]["status"] == "open" for r, o in after.items() if r in found)


@pytest.mark.parametrize("fault", ["archive", "truncated", "extra_column", "html"])
def test_a_wrong_file_is_refused_and_changes_nothing(tmp_path, weeks, fault):
    db = tmp_path / "o.db"
    with DataGouvReplica(tmp_path) as replica:
        replica.publish(*weeks[0], week=0)
        assert crawl(db, replica).returncode == 0
        before = offers(db)
        export = offres(db, "export", "-o", str(tmp_path / "export.json"))
        assert export.returncode == 0, export.stderr
        if fault == "archive":  # the rolling resource gone: the newest CSV is the small year-end archive
            replica.state.resources = [r for r in replica.state.resources if r.id != ROLLING_ID]
            small = tmp_path / "archive.csv"
            replica.publish(small, OpenDataWeek(rows=400, seed=9, today=TODAY).write(small), week=1,
                            title="offres-datagouv-20251228.csv", resource_id=ARCHIVE_ID)
        elif fault == "truncated":
            path = tmp_path / "cut.csv"
            path.write_bytes(weeks[1][0].read_bytes()[: weeks[1][1]["bytes"] // 3])
            import hashlib
            info = {"bytes": path.stat().st_size, "sha1": hashlib.sha1(path.read_bytes()).hexdigest()}
            replica.publish(path, info, week=1)
        elif fault == "extra_column":
            path = tmp_path / "wide.csv"
            head, rest = weeks[1][0].read_bytes().split(b"\r\n", 1)
            path.write_bytes(head + ';"Nouvelle colonne"\r\n'.encode() + rest)
            import hashlib
            replica.publish(path, {"bytes": path.stat().st_size, "sha1": hashlib.sha1(path.read_bytes()).hexdigest()},
                            week=1)
        else:
            replica.publish(*weeks[1], week=1)
            replica.state.html_instead = True
        refused = crawl(db, replica)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert offers(db) == before
    runs = list(Database(db).query("select healthy, health_notes from runs order by id"))
    assert runs[-1]["healthy"] == 0 and runs[-1]["health_notes"]
    assert "Traceback" not in refused.stderr
    assert re.search(r"Run 2: file offres-datagouv-\d{8}\.csv refused", refused.stdout), refused.stdout
    acceptable = fault in ("archive", "truncated")  # too small: perhaps a new year's file, read whole and kept
    assert ("offres accept 2 --reason TEXT" in refused.stderr) == acceptable


def publish_text(replica: DataGouvReplica, path: Path, text: str, week: int) -> None:
    import hashlib

    data = text.encode("utf-8")
    path.write_bytes(data)
    replica.publish(path, {"bytes": len(data), "sha1": hashlib.sha1(data).hexdigest()}, week=week)


def test_live_evidence_is_never_overruled_by_the_late_file(tmp_path):
    from tests.conftest import make_record

    db = tmp_path / "o.db"
    live = [make_record(f"2026-{3000000 + n}", title="Développeur / Développeuse full stack (H/F)") for n in range(3)]
    (tmp_path / "live.jsonl").write_text("".join(json.dumps(r) + "\n" for r in live))
    assert offres(db, "ingest", str(tmp_path / "live.jsonl")).returncode == 0
    filler = OpenDataWeek(rows=3000, seed=4, today=TODAY, digital=0.0)
    rows = list(filler.iter_rows())
    ended = (TODAY.replace(day=1)).strftime("%d/%m/%Y") if TODAY.day > 1 else "01/01/2026"
    mine = dict(rows[0], **{"Référence": "2026-3000000", "Intitulé du poste": "Développeur full stack (H/F)",
                            "Date de fin de publication par défaut": ended})  # the file says: ended
    outside = dict(rows[1], **{"Référence": "2026-3999999", "Intitulé du poste": "Data engineer (H/F)",
                               "Métier": "Data scientist", "Date de fin de publication par défaut": "31/12/2099"})
    with DataGouvReplica(tmp_path) as replica:  # 2026-3000001 and -2 are absent from the file
        publish_text(replica, tmp_path / "w.csv", csv_text([mine, outside] + rows[2:]), week=0)
        result = crawl(db, replica)
    assert result.returncode == 0, result.stderr
    found = offers(db)
    both = found["2026-3000000"]
    assert [s["source"] for s in json.loads(both["sources"])] == ["csp", "csp-opendata"]
    assert both["status"] == "open"  # the live board's posting decides, not the older file
    why = json.loads(offres(db, "explain", "2026-3000000", "--json").stdout)
    assert why["offer"]["status_decided_by"] == "listed by csp"  # explain says which source decided
    assert found["2026-3000001"]["status"] == found["2026-3000002"]["status"] == "open"  # absence closes nothing
    assert found["2026-3999999"]["digital"] and found["2026-3999999"]["status"] == "open"


@pytest.mark.parametrize("cut", [None, 70_000])
def test_a_download_is_checked_against_the_declared_checksum_as_it_is_written(tmp_path, cut):
    import hashlib

    from spiders.csp_opendata import OpenDataRefused, download

    path = tmp_path / "file.csv"
    data = b"".join(b"%06d;" % i + b"x" * 500 + b"\r\n" for i in range(600))  # about 300 kB: several chunks
    path.write_bytes(data)
    with DataGouvReplica(tmp_path / "serve") as replica:
        good = replica.publish(path, {"bytes": len(data), "sha1": hashlib.sha1(data).hexdigest()})
        replica.state.cut_after = cut  # broken off once: the rest comes with a Range, the digest covers both
        resource = pick_resource(replica.dataset())
        kept = download(resource, tmp_path / "in", 10_000_000)
        assert kept.read_bytes() == data and good.path == path
        wrong = {**resource, "last_modified": "2026-12-01T00:00:00", "checksum": {"type": "sha1", "value": "0" * 40}}
        replica.state.cut_after = cut
        with pytest.raises(OpenDataRefused, match="sha1 differs"):
            download(wrong, tmp_path / "in", 10_000_000)
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [kept.name]  # the refused file is not kept
