"""`offres export --format FMT`: every format from a demo-like database, checked by a real parser or validator;
the shared selection and filters; the same safety rules for every format; atomic writes."""
import csv
import io
import json
import sqlite3
import xml.etree.ElementTree as ET

from datetime import datetime, timezone

import feedparser
import jsonschema
import pytest
from click.testing import CliRunner

from cli import main
from pipeline.export import ExportRefused, Selection, build_export, select_offers
from pipeline.export.csvfile import COLUMNS, read_csv
from pipeline.export.formats import FORMATS, FormatOptions, export_as
from pipeline.export.changes import validate_changes
from pipeline.export.jsonl import offer_validator
from pipeline.export.jsonld import missing_required
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import finish_run, mark_gone, open_db, start_run, write_raw_postings
from tests.portal_data import NOW, crawl, demo_db, demo_records


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo_db(str(path))
    return path


@pytest.fixture
def db(demo, tmp_path):
    copy = tmp_path / "demo.db"  # each test may change its own copy
    with sqlite3.connect(demo) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return open_db(str(copy))


def open_digital(db, **filters):
    return [r["id"] for r in select_offers(db, Selection(**filters))]


def test_selection_filters_narrow_every_format(db):
    everything = open_digital(db)
    assert len(everything) > 30
    rows = {r["id"]: r for r in db.query("select * from offers")}
    family = rows[everything[0]]["family"]
    assert set(open_digital(db, families=(family,))) == {i for i in everything if rows[i]["family"] == family}
    employer = rows[everything[0]]["employer"]
    same = {i for i in everything if rows[i]["employer"] == employer}
    assert set(open_digital(db, employers=(employer.upper(),))) >= same and everything[0] in same
    word = max(employer.split(), key=len)  # one whole word, case and accents aside
    assert everything[0] in open_digital(db, employers=(word.lower(),))
    assert everything[0] not in open_digital(db, employers=(word[:-1],))  # a part of a word is not a word
    assert set(open_digital(db, versants=("etat",))) == {i for i in everything if rows[i]["versant"] == "etat"}
    region = json.loads(rows[everything[0]]["location"])
    by_code = set(open_digital(db, regions=(region["region_code"],)))
    assert by_code == set(open_digital(db, regions=(region["region"],))) and everything[0] in by_code
    assert all(json.loads(rows[i]["location"])["region_code"] == region["region_code"] for i in by_code)
    since = sorted(rows[i]["published_on"] for i in everything)[len(everything) // 2]
    assert set(open_digital(db, since=since)) == {i for i in everything if rows[i]["published_on"] >= since}
    assert set(open_digital(db, include_all=True)) == set(rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_written_atomically_and_refused_like_json(db, tmp_path, fmt):
    output = tmp_path / f"out.{fmt}"
    result = export_as(db, fmt, output, now=NOW)
    assert result.count > 0 and output.exists()
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left
    before = output.read_bytes()
    run = start_run(db, "crawl", "csp")  # an unfinished, unhealthy latest crawl of the board
    db.table("runs").update(run, {"finished_at": "2026-11-21T05:00:00+00:00", "healthy": 0, "health_notes": "empty listing"})
    try:
        with pytest.raises(ExportRefused, match="broken"):
            export_as(db, fmt, output, now=NOW)
        assert output.read_bytes() == before  # the previous file is kept
        export_as(db, fmt, output, now=NOW, force=True)
    finally:
        db.table("runs").delete(run)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "changes"])
def test_every_offer_format_refuses_a_collapse(db, tmp_path, fmt):
    output = tmp_path / f"out.{fmt}"
    export_as(db, fmt, output, now=NOW, options=FormatOptions(page_employer=""))
    family = next(db.query("select family, count(*) as n from offers where status = 'open' and digital = 1 "
                           "group by family order by n limit 1"))["family"]
    with pytest.raises(ExportRefused, match="drop"):
        export_as(db, fmt, output, Selection(families=(family,)), now=NOW, options=FormatOptions(page_employer=""))
    with pytest.raises(ExportRefused, match="no offer"):
        export_as(db, fmt, tmp_path / f"empty.{fmt}", Selection(families=("nothing",)), now=NOW)


def test_json_is_unchanged(db, tmp_path):
    export_as(db, "json", tmp_path / "o.json", now=NOW)
    assert json.loads((tmp_path / "o.json").read_text()) == build_export(db, now=NOW)


def test_jsonl_lines_are_the_contract_entries(db, tmp_path):
    export_as(db, "jsonl", tmp_path / "o.jsonl", now=NOW)
    lines = (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries == build_export(db, now=NOW)["offers"]
    validator = offer_validator()
    for entry in entries:
        validator.validate(entry)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**entries[0], "status": "maybe"})


def test_jsonld_job_postings_have_googles_required_properties(db, tmp_path):
    result = export_as(db, "jsonld", tmp_path / "o.jsonld", now=NOW)
    document = json.loads((tmp_path / "o.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == "https://schema.org"
    postings = document["@graph"]
    entries = {e["url"]: e for e in build_export(db, now=NOW)["offers"]}
    unnamed = [e for e in entries.values() if not e["employer"]]  # an employer category names no organization
    assert len(postings) == len(entries) - len(unnamed) == result.count > 0
    assert len(result.notes) == len(unnamed) and all("hiringOrganization" in n for n in result.notes)
    for posting in postings:
        assert missing_required(posting) == []
        entry = entries[posting["url"]]
        assert posting["title"] == entry["title"]
        assert posting["hiringOrganization"]["name"] == entry["employer"]
        assert posting["jobLocation"]["address"]["addressCountry"] == "FR"
        assert posting["datePosted"] == entry["published_on"]
        assert posting.get("validThrough") == entry["deadline"]
        assert (posting.get("jobLocationType") == "TELECOMMUTE") == bool(entry["remote"])
        assert posting["identifier"]["value"] == entry["reference"] and posting["directApply"] is False
    assert any("jobLocationType" in p for p in postings) and any("validThrough" in p for p in postings)


def test_the_required_property_check_catches_each_missing_one():
    good = {"@type": "JobPosting", "title": "Data scientist", "description": "<p>x</p>", "datePosted": "2026-11-02",
            "hiringOrganization": {"@type": "Organization", "name": "DINUM"},
            "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressCountry": "FR"}}}
    assert missing_required(good) == []
    assert missing_required({**good, "title": " "}) == ["title"]
    assert missing_required({k: v for k, v in good.items() if k != "description"}) == ["description"]
    assert missing_required({**good, "datePosted": "02/11/2026"}) == ["datePosted"]
    assert missing_required({**good, "hiringOrganization": "DINUM"}) == ["hiringOrganization"]
    assert missing_required({**good, "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress"}}}) == ["jobLocation"]
    assert missing_required({**good, "validThrough": "2026-13-01"}) == ["validThrough"]


def test_jsonld_leaves_out_an_offer_without_a_description_and_says_why(db, tmp_path):
    first = next(db.query("select id from offers where status = 'open' and digital = 1"))["id"]
    db.execute("update offers set missions_html = null, profile_html = null, about_html = null where id = ?", [first])
    result = export_as(db, "jsonld", tmp_path / "o.jsonld", now=NOW, force=True)
    assert any(first in note and "description" in note for note in result.notes)
    urls = {p["url"] for p in json.loads((tmp_path / "o.jsonld").read_text())["@graph"]}
    assert next(db.query("select url from offers where id = ?", [first]))["url"] not in urls


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feeds_parse_without_error_newest_first(db, tmp_path, fmt):
    export_as(db, fmt, tmp_path / f"o.{fmt}", now=NOW)
    feed = feedparser.parse(str(tmp_path / f"o.{fmt}"))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == ("rss20" if fmt == "rss" else "atom10")
    entries = build_export(db, now=NOW)["offers"]
    assert len(feed.entries) == len(entries)
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    urls = {e["url"] for e in entries}
    assert {e.link for e in feed.entries} == urls
    assert len({e.id for e in feed.entries}) == len(entries)  # one stable id per offer


def test_feed_per_family_carries_it_in_its_title(db, tmp_path):
    family = next(db.query("select family from offers where status = 'open' and digital = 1 and family = 'donnees'"))["family"]
    export_as(db, "atom", tmp_path / "d.atom", Selection(families=(family,)), now=NOW, force=True)
    feed = feedparser.parse(str(tmp_path / "d.atom"))
    assert not feed.bozo and "Données / Datascience / Open data" in feed.feed.title
    assert feed.entries and all(e.tags[0].term == "donnees" for e in feed.entries)


def test_feed_drops_characters_xml_cannot_carry(db, tmp_path):
    from pipeline.export.feeds import build_rss, write_feed
    entries = build_export(db, now=NOW)["offers"]
    entries[0] = {**entries[0], "title": "Data\x0bscientist <R&D>\x00"}
    with (tmp_path / "o.rss").open("w", encoding="utf-8") as handle:
        write_feed(build_rss(entries, NOW), handle)
    feed = feedparser.parse(str(tmp_path / "o.rss"))
    assert not feed.bozo and "Datascientist <R&D>" in {e.title for e in feed.entries}
    ET.parse(tmp_path / "o.rss")


@pytest.mark.parametrize("delimiter,bom", [(",", False), (";", True)])
def test_csv_round_trip(db, tmp_path, delimiter, bom):
    output = tmp_path / "o.csv"
    first = next(db.query("select id from offers where status = 'open' and digital = 1"))["id"]
    db.execute("update offers set salary = '=HYPERLINK(\"http://x\")', title = 'Data; \"scientist\"\nH/F' where id = ?", [first])
    export_as(db, "csv", output, options=FormatOptions(delimiter=delimiter, bom=bom), now=NOW, force=True)
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    assert b"'=HYPERLINK" in raw  # never run as a formula by a spreadsheet
    text = raw.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text), delimiter=delimiter)) == list(COLUMNS)
    rows = read_csv(output)
    entries = build_export(db, now=NOW)["offers"]
    assert len(rows) == len(entries)
    for row, entry in zip(rows, entries):
        assert row["id"] == entry["id"] and row["title"] == entry["title"]
        assert row["location.city"] == (entry["location"]["city"] or "")
        assert row["remote"] == {True: "true", False: "false", None: ""}[entry["remote"]]
        assert row["categories"].split(" | ") == (entry["categories"] or [""])
        assert row["sources.urls"] == " | ".join(s["url"] for s in entry["sources"])
        assert row["salary"] == (entry["salary"] or "")
        assert row["missions_html"] == (entry["missions_html"] or "")


def test_changes_since_a_run_and_a_date_validate_against_their_schema(tmp_path):
    db = open_db(":memory:")
    records = demo_records(30)
    first = crawl(db, "csp", records)
    edited = dict(records[0], missions_html=records[0]["missions_html"] + "<p>Poste à pourvoir en janvier.</p>")
    later = datetime(2026, 11, 21, 6, tzinfo=timezone.utc)
    second = start_run(db, "crawl", "csp", started_at="2026-11-21T05:00:00+00:00")
    kept = [edited] + records[2:]
    write_raw_postings(db, [RawPosting.from_dict({**r, "fetched_at": "2026-11-21T05:00:00+00:00"}) for r in kept], second)
    mark_gone(db, "csp", {RawPosting.from_dict(r).posting_id() for r in kept}, "2026-11-21T05:30:00+00:00")
    finish_run(db, second, complete=1, healthy=1, finished_at="2026-11-21T06:00:00+00:00")
    rebuild_offers(db, now=later, run_id=second)

    output = tmp_path / "changes.json"
    export_as(db, "changes", output, Selection(include_all=True), FormatOptions(since_run=first), now=later)
    document = json.loads(output.read_text(encoding="utf-8"))
    validate_changes(document)
    assert document["since"] == {"run": first, "at": None} and document["until_run"] == second
    kinds = {(c["kind"], c["reference"]): c for c in document["changes"]}
    assert set(kinds) == {("updated", edited["reference"]), ("closed", records[1]["reference"])}
    updated = kinds[("updated", edited["reference"])]
    assert updated["fields"] == ["missions_html"] and "janvier" in updated["offer"]["missions_html"]
    closed = kinds[("closed", records[1]["reference"])]
    assert closed["reason"].startswith("absent from the complete crawl") and closed["offer"]["status"] == "closed"
    assert closed["fields"] is None and closed["run_id"] == second
    # the default: the latest run's changes; a closed digital offer is kept without --all
    export_as(db, "changes", output, now=later)
    latest = json.loads(output.read_text(encoding="utf-8"))
    digital = {r["reference"] for r in db.query("select reference from offers where digital = 1")}
    assert {c["reference"] for c in latest["changes"]} == {k[1] for k in kinds} & digital
    # since a date: the first run's new offers too
    export_as(db, "changes", output, Selection(include_all=True, since="2026-11-20"), now=later)
    document = json.loads(output.read_text(encoding="utf-8"))
    validate_changes(document)
    assert sum(c["kind"] == "new" for c in document["changes"]) == 30
    # a time in another zone is compared in UTC: 07:00+01:00 is 06:00Z, the second rebuild's time
    export_as(db, "changes", output, Selection(include_all=True, since="2026-11-21T07:00:00+01:00"), now=later)
    assert {c["run_id"] for c in json.loads(output.read_text(encoding="utf-8"))["changes"]} == {second}
    with pytest.raises(jsonschema.ValidationError):
        validate_changes({**document, "changes": [{**document["changes"][0], "kind": "renamed"}]})
    with pytest.raises(jsonschema.ValidationError):
        validate_changes({**document, "changes": [{**document["changes"][0], "offer": {"id": 3}}]})
    # nothing changed since the last run: an empty feed is written, not refused
    assert export_as(db, "changes", output, options=FormatOptions(since_run=second), now=later).count == 0
    assert json.loads(output.read_text(encoding="utf-8"))["changes"] == []


def test_cli_export_formats_and_options(demo, tmp_path):
    runner = CliRunner()
    base = ["--db", str(demo), "export"]
    result = runner.invoke(main, [*base, "--format", "csv", "--delimiter", ";", "--bom", "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o.csv").read_bytes().startswith(b"\xef\xbb\xbfid;reference;")
    result = runner.invoke(main, [*base, "--format", "rss", "--family", "donnees", "-o", "-"])
    assert result.exit_code == 0 and not feedparser.parse(result.stdout).bozo
    result = runner.invoke(main, [*base, "--format", "html", "--fragment", "--page-employer", "", "-o", str(tmp_path / "f.html")])
    assert result.exit_code == 0 and (tmp_path / "f.html").read_text().startswith("<h2")
    result = runner.invoke(main, [*base, "--format", "jsonl", "--since", "02/11/2026", "-o", "-"])
    assert result.exit_code == 2 and "ISO 8601" in result.output
    result = runner.invoke(main, [*base, "--format", "json", "--family", "nothing", "-o", str(tmp_path / "e.json")])
    assert result.exit_code == 3 and "no offer" in result.output


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feed_self_link(db, tmp_path, fmt):
    url = f"https://portail.example.org/offres.{fmt}.xml"
    export_as(db, fmt, tmp_path / "o.xml", options=FormatOptions(feed_url=url), now=NOW)
    feed = feedparser.parse(str(tmp_path / "o.xml"))
    assert not feed.bozo
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [url]


def test_atom_ids_differ_per_selection():
    from pipeline.export.formats import feed_id
    assert feed_id(Selection()) == "urn:offres:feed"
    assert feed_id(Selection(families=("donnees",), employers=("Ville de Lyon",))) == \
        "urn:offres:feed:family=donnees;employer=Ville%20de%20Lyon"
    assert feed_id(Selection(include_all=True)) != feed_id(Selection())


def test_one_file_per_family_judged_as_a_whole(db, tmp_path):
    from pipeline.export.formats import export_per_family, family_path
    output = tmp_path / "offres.rss.xml"
    assert family_path(output, "design").name == "offres-design.rss.xml"
    results = export_per_family(db, "rss", output, now=NOW)
    counts = {r.output.name: r.count for r in results}
    by_family = {r["family"]: r["n"] for r in db.query(
        "select family, count(*) as n from offers where status = 'open' and digital = 1 group by family")}
    assert len(results) == 11  # every family of the taxonomy, an empty feed for one with no offer
    for result in results:
        family = result.output.name.split("-", 1)[1].split(".")[0]
        feed = feedparser.parse(str(result.output))
        assert not feed.bozo and len(feed.entries) == by_family.get(family, 0) == result.count
    assert sum(counts.values()) == sum(n for f, n in by_family.items() if f)
    # the drop rule judges the total: a collapse of the whole is refused, every file kept
    before = {r.output: r.output.read_bytes() for r in results}
    biggest = max(by_family, key=lambda f: by_family[f] if f else -1)
    db.execute("update offers set status = 'closed' where id != (select min(id) from offers "
               "where status = 'open' and digital = 1 and family = ?)", [biggest])
    with pytest.raises(ExportRefused, match="drop"):
        export_per_family(db, "rss", output, now=NOW)
    assert all(path.read_bytes() == content for path, content in before.items())  # none written
    result = CliRunner().invoke(main, ["--db", next(r["file"] for r in db.query("pragma database_list")), "export",
                                       "--format", "csv", "--per-family", "--family", biggest, "--force",
                                       "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.glob("o-*.csv")] == [f"o-{biggest}.csv"]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])
def test_an_offer_that_breaks_the_contract_is_set_aside_in_every_format(db, tmp_path, fmt):
    """As the JSON (tests/test_export_set_aside.py): named on one line, recorded, the others written, exit 4."""
    bad = next(db.query("select id, reference from offers where status = 'open' and digital = 1 "
                        "order by id limit 1"))
    db.execute("update offers set location = json_set(location, '$.department_code', '987') where id = ?", [bad["id"]])
    if fmt == "changes":  # the change of a broken offer is set aside, not the feed
        db.execute("insert into events (run_id, at, offer_id, kind, reference, title) values "
                   "(99, '2026-11-21T06:00:00+00:00', ?, 'updated', ?, 't')", [bad["id"], bad["reference"]])
    db_path = next(r["file"] for r in db.query("pragma database_list"))
    result = CliRunner().invoke(main, ["--db", db_path, "export", "--format", fmt, "--page-employer", "",
                                       "-o", str(tmp_path / f"o.{fmt}")])
    assert result.exit_code == 4, result.output
    lines = [line for line in result.stderr.splitlines() if "set aside" in line and "offer " in line]
    assert len(lines) == 1 and bad["id"] in lines[0] and "location.department_code" in lines[0]
    assert bad["id"] not in (tmp_path / f"o.{fmt}").read_text(encoding="utf-8")
    run = next(db.query("select * from runs where kind = 'export' order by id desc"))
    assert run["errors"] == 1


def test_jsonld_place_of_an_overseas_collectivity():
    from pipeline.export.jsonld import job_posting
    entry = {"id": "c1", "title": "Dev", "missions_html": "<p>x</p>", "published_on": "2026-11-02",
             "employer": "Haut-commissariat", "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/2026-1/",
             "location": {"city": "Papeete", "postal_code": "98714", "region": None, "territory": "Polynésie française"}}
    posting = job_posting(entry)
    assert missing_required(posting) == []
    assert posting["jobLocation"]["address"] == {"@type": "PostalAddress", "addressLocality": "Papeete",
                                                 "postalCode": "98714", "addressRegion": "Polynésie française",
                                                 "addressCountry": "FR"}
