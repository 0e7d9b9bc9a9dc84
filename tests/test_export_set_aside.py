"""One offer never sinks the whole export (issue 17): overseas collectivities export, an offer
that still breaks the contract is set aside with a one-line reason, recorded, and exit 4;
the formats of the schema (`date`, `date-time`, `uri`) are really checked (issue 9)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import main
from pipeline.export import build_export, set_aside_invalid, validate_export
from pipeline.export.document import first_error
from pipeline.ingest import ingest_lines
from pipeline.store import open_db
from tests.conftest import make_record

ROOT = Path(__file__).resolve().parents[1]


def run(db_path: Path, *args):
    return CliRunner().invoke(main, ["--db", str(db_path), *args])


def ingest(db_path: Path, records: list[dict]) -> None:
    feed = db_path.parent / "feed.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    result = run(db_path, "ingest", str(feed))
    assert result.exit_code == 0, result.output


def test_papeete_and_paris_both_export(tmp_path):
    """The reproduction of issue 17: two postings, one in Papeete, one in Paris."""
    db_path = tmp_path / "o.db"
    ingest(db_path, [make_record("2026-1", location="Papeete"), make_record("2026-2", location="Paris")])
    output = tmp_path / "offres.json"
    result = run(db_path, "export", "-o", str(output))
    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text(encoding="utf-8"))
    validate_export(document)
    assert document["count"] == 2
    by_ref = {o["reference"]: o["location"] for o in document["offers"]}
    assert by_ref["2026-1"] == {
        "label": "Papeete", "city": "Papeete", "postal_code": "98714", "insee": "98735",
        "department_code": None, "department": None, "region_code": None, "region": None,
        "territory_code": "987", "territory": "Polynésie française", "territory_kind": "com",
        "display": "Papeete (987)"}
    assert (by_ref["2026-2"]["department_code"], by_ref["2026-2"]["territory_code"],
            by_ref["2026-2"]["territory_kind"]) == ("75", "75", "departement")


def test_every_collectivity_exports(tmp_path):
    db_path = tmp_path / "o.db"
    places = ["Nouméa", "97500 Saint-Pierre", "Saint-Barthélemy", "Saint-Martin", "Wallis et Futuna",
              "TAAF", "Îles Kerguelen", "Clipperton", "Polynésie française"]
    ingest(db_path, [make_record(f"2026-{i}", location=p) for i, p in enumerate(places)])
    result = run(db_path, "export", "-o", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate_export(document)
    assert sorted(o["location"]["territory_code"] for o in document["offers"]) == [
        "975", "977", "978", "984", "984", "986", "987", "988", "989"]


def corrupt(db_path: Path, reference: str, sql_set: str) -> str:
    db = open_db(db_path)
    row = next(db.query("select id from offers where reference = ?", [reference]))
    with db.conn:
        db.execute(f"update offers set {sql_set} where id = ?", [row["id"]])
    return row["id"]


def test_an_invalid_offer_is_set_aside_with_one_line_and_exit_4(tmp_path):
    db_path = tmp_path / "o.db"
    ingest(db_path, [make_record(f"2026-{i}") for i in range(1, 6)])
    bad_id = corrupt(db_path, "2026-3", "location = json_set(location, '$.department_code', '987')")
    output = tmp_path / "offres.json"
    result = run(db_path, "export", "-o", str(output))
    assert result.exit_code == 4, result.output
    lines = [line for line in result.stderr.splitlines() if "set aside" in line]
    assert len(lines) == 1
    assert bad_id in lines[0] and "2026-3" in lines[0] and "location.department_code" in lines[0]
    assert "'987'" in lines[0]
    document = json.loads(output.read_text(encoding="utf-8"))
    validate_export(document)
    assert sorted(o["reference"] for o in document["offers"]) == ["2026-1", "2026-2", "2026-4", "2026-5"]
    assert document["count"] == 4
    db = open_db(db_path)
    run_row = next(db.query("select * from runs where kind = 'export'"))
    assert run_row["errors"] == 1 and run_row["healthy"] == 1
    errors = list(db.query("select * from errors where run_id = ?", [run_row["id"]]))
    assert len(errors) == 1 and errors[0]["field"] == "location.department_code"
    assert bad_id in errors[0]["location"]
    changes = run(db_path, "changes")
    assert "set aside" in changes.output and "2026-3" in changes.output


def test_set_aside_without_traceback_in_a_real_process(tmp_path):
    db_path = tmp_path / "o.db"
    ingest(db_path, [make_record("2026-1"), make_record("2026-2")])
    corrupt(db_path, "2026-2", "url = 'https://choisirleservicepublic.gouv.fr/x\"><script>alert(1)</script>'")
    proc = subprocess.run([sys.executable, "-m", "cli", "--db", str(db_path), "export", "-o", str(tmp_path / "o.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={"NO_COLOR": "1", "PATH": ""})
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "set aside" in line]
    assert len(lines) == 1 and "field 'url'" in lines[0] and "2026-2" in lines[0]
    assert [o["reference"] for o in json.loads((tmp_path / "o.json").read_text())["offers"]] == ["2026-1"]


def test_safety_rules_apply_to_what_remains(tmp_path):
    db_path = tmp_path / "o.db"
    ingest(db_path, [make_record(f"2026-{i}") for i in range(1, 6)])
    output = tmp_path / "offres.json"
    assert run(db_path, "export", "-o", str(output)).exit_code == 0
    before = output.read_bytes()
    for ref in ("2026-1", "2026-2", "2026-3"):
        corrupt(db_path, ref, "published_on = '2026-02-31'")
    result = run(db_path, "export", "-o", str(output))
    assert result.exit_code == 3, result.output  # 2 left of 5: the collapse rule refuses
    assert result.stderr.count("set aside") == 3 and "published_on" in result.stderr
    assert output.read_bytes() == before
    for ref in ("2026-4", "2026-5"):
        corrupt(db_path, ref, "title = '<script></script>', title_raw = '&lt;script&gt;&lt;/script&gt;'")
    result = run(db_path, "export", "-o", "-", "--allow-empty", "--force")
    assert result.exit_code == 4 and json.loads(result.stdout)["count"] == 0


def test_a_bad_source_url_is_dropped_not_the_offer(db):
    ingest_lines(db, [json.dumps(make_record("2026-1")).encode()], name="feed.jsonl")
    sources = [{"source": "csp", "url": "javascript:alert(1)", "reference": "2026-1"}]
    with db.conn:
        db.execute("update offers set sources = ?", [json.dumps(sources)])
    document = build_export(db)
    assert set_aside_invalid(document) == []
    assert document["offers"][0]["sources"] == [{"source": "csp", "url": None, "reference": "2026-1"}]


@pytest.mark.parametrize("field,value", [
    ("published_on", "2026-02-31"), ("deadline", "2026-13-01"), ("first_seen_at", "31/02/2026"),
    ("last_seen_at", "2026-02-30T10:00:00+00:00"), ("updated_at", "2026-11-22 25:00"),
    ("url", "javascript:alert(1)"), ("url", "//evil.example/x"), ("url", "https://ok.fr/a b"),
    ("url", "https://ok.fr/%zz"), ("url", "https://ok.fr/'onmouseover='x"),
])
def test_formats_are_checked(db, field, value):
    ingest_lines(db, [json.dumps(make_record("2026-1")).encode()], name="feed.jsonl")
    offer = build_export(db)["offers"][0]
    assert first_error(offer, "offer") is None
    error = first_error({**offer, field: value}, "offer")
    assert error is not None and list(error.absolute_path) == [field]
    with pytest.raises(jsonschema.ValidationError):
        validate_export({**build_export(db), "offers": [{**offer, field: value}]})
    with pytest.raises(jsonschema.ValidationError):
        validate_export({**build_export(db), "generated_at": "2026-02-31T00:00:00+00:00"})
