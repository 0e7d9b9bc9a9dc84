"""The JSON export from the entries the rebuild pre-builds (pipeline/export/prebuilt.py): the
same bytes as the path that builds every entry from its row, whatever wrote the offers since."""
import io
import json
import sqlite3

import jsonschema
import pytest

from bench.postings import edited, synthetic_postings
from pipeline.export import Selection, build_export, export_schema, set_aside_invalid
from pipeline.export import prebuilt
from pipeline.export.document import offer_entry
from pipeline.export.files import dump_document
from pipeline.export.formats import export_as
from pipeline.ingest import ingest_lines
from pipeline.lifecycle import rebuild_offers
from pipeline.store import open_db
from tests.portal_data import NOW

SELECTIONS = [Selection(include_all=True), Selection(), Selection(include_all=True, families=("donnees", "design")),
              Selection(include_all=True, since="2026-01-01", versants=("territoriale",))]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "gen.db"
    db = open_db(str(path))
    ingest_lines(db, [json.dumps(r, ensure_ascii=False) for r in synthetic_postings(600)], name="gen.jsonl")
    db.conn.close()
    return path


@pytest.fixture
def db(generated, tmp_path):
    copy = tmp_path / "gen.db"
    with sqlite3.connect(generated) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return open_db(str(copy))


def old_path(db, selection: Selection) -> tuple[str, list[str]]:
    """The export as the code before pre-built entries wrote it: every entry built, validated, encoded."""
    document = build_export(db, now=NOW, selection=selection)
    aside = set_aside_invalid(document)
    handle = io.StringIO()
    dump_document(document, handle)
    return handle.getvalue(), [a.line() for a in aside]


def new_path(db, selection: Selection, tmp_path) -> tuple[str, list[str]]:
    output = tmp_path / "offres.json"
    result = export_as(db, "json", output, selection, force=True, allow_empty=True, now=NOW)
    return output.read_text(encoding="utf-8"), [a.line() for a in result.set_aside]


def stored_entries(db) -> int:
    return db.execute(f"select count(*) from {prebuilt.ENTRIES} where entry is not null").fetchone()[0]


def test_the_rebuild_stores_every_entry_and_the_export_is_the_same(db, tmp_path):
    offers = db.execute("select count(*) from offers").fetchone()[0]
    assert offers > 400 and stored_entries(db) == offers
    assert prebuilt.usable(db, sanitized=True)
    for selection in SELECTIONS:
        text, aside = new_path(db, selection, tmp_path)
        assert (text, aside) == old_path(db, selection)
    document = json.loads(text)
    jsonschema.Draft202012Validator(export_schema(), format_checker=jsonschema.FormatChecker()).validate(document)


def test_without_usable_entries_the_export_builds_them_all(db, tmp_path, monkeypatch):
    expected = old_path(db, Selection(include_all=True))
    with db.conn:
        db.execute(f"delete from {prebuilt.ENTRIES} where rowid % 3 = 0")  # some missing
    assert new_path(db, Selection(include_all=True), tmp_path) == expected
    monkeypatch.setattr(prebuilt, "entries_version", lambda: "other code")
    assert not prebuilt.usable(db, sanitized=True)
    assert new_path(db, Selection(include_all=True), tmp_path) == expected
    with db.conn:
        built = prebuilt.refresh_entries(db, sanitized=True)  # a new version rebuilds every entry
    assert built == db.execute("select count(*) from offers").fetchone()[0]
    assert new_path(db, Selection(include_all=True), tmp_path) == expected


def test_offers_written_by_anything_are_never_served_stale(db, tmp_path):
    first, second, third = [r[0] for r in db.execute("select id from offers order by id limit 3")]
    with db.conn:  # written behind the rebuild's back: the triggers mark them stale
        db.execute("update offers set title = 'Développeur changé', last_seen_at = '2026-03-01T00:00:00+00:00' "
                   "where id = ?", [first])
        db.execute("delete from offers where id = ?", [second])
        db.execute("update offers set published_on = '2026-02-31' where id = ?", [third])  # breaks the contract
    assert db.execute(f"select count(*) from {prebuilt.STALE}").fetchone()[0] == 3
    text, aside = new_path(db, Selection(include_all=True), tmp_path)
    assert (text, aside) == old_path(db, Selection(include_all=True))
    assert "Développeur changé" in text and second not in text and len(aside) == 1 and third in aside[0]
    with db.conn:
        assert prebuilt.refresh_entries(db, sanitized=True) == 2  # the changed one and the broken one
    assert db.execute(f"select entry is null from {prebuilt.ENTRIES} where offer_id = ?", [third]).fetchone() == (1,)
    assert db.execute(f"select count(*) from {prebuilt.ENTRIES} where offer_id = ?", [second]).fetchone() == (0,)
    assert new_path(db, Selection(include_all=True), tmp_path) == (text, aside)


def test_an_incremental_ingest_rebuilds_only_what_it_touched(db, tmp_path, monkeypatch):
    records = list(synthetic_postings(600))
    built = []
    original = prebuilt.refresh_entries

    def counting(*args, **kwargs):
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(prebuilt, "refresh_entries", counting)
    ingest_lines(db, [json.dumps(edited(r, k), ensure_ascii=False) for k, r in enumerate(records[:5])],
                 name="edits.jsonl")
    rebuild_offers(db, full=True)  # the same data: every digest matches, nothing is built
    assert 1 <= built[0] <= 10 and built[1] == 0
    assert db.execute(f"select count(*) from {prebuilt.STALE}").fetchone()[0] == 0
    assert new_path(db, Selection(include_all=True), tmp_path) == old_path(db, Selection(include_all=True))


def test_an_entry_keeps_no_copy_of_the_offers_html_and_gets_it_back_at_export(db):
    rows = list(db.query("select o.*, e.entry from offers o join export_entries e on e.offer_id = o.id "
                         "where o.missions_html is not null limit 50"))
    assert rows
    for row in rows:
        stored = row.pop("entry")
        assert row["missions_html"] not in stored and "missions_html" not in stored
        entry = offer_entry(row, sanitized=True)
        assert prebuilt.entry_text(stored, tuple(row[k] for k in prebuilt.ROW_COLUMNS)) == prebuilt._ENCODE(entry)


@pytest.mark.parametrize("html", [(None, None, None), ("", "<p>a</p>", None), ('<p>"é"\\</p>', "\u2028x", "<b>\x01</b>")])
def test_the_html_texts_go_back_where_they_were(html):
    seen = "2026-12-03T08:00:00+00:00"
    entry = {"id": "c1", "title": "Développeur \x00", "last_seen_at": seen, **dict(zip(prebuilt.HTML_KEYS, html)),
             "experience": None}
    expected = prebuilt._ENCODE({**entry, **{k: v or None for k, v in zip(prebuilt.HTML_KEYS, html)}})
    assert prebuilt.entry_text(prebuilt.stored_text(entry), (seen, *html)) == expected


def test_an_offer_seen_again_keeps_its_entry_and_the_export_shows_when(db, tmp_path):
    offer_id = db.execute("select id from offers order by id limit 1").fetchone()[0]
    db.execute("update offers set last_seen_at = '2026-12-24T06:00:00+00:00' where id = ?", [offer_id])
    assert prebuilt.refresh_entries(db, sanitized=True) == 0  # only `last_seen_at` moved: nothing built
    text, aside = new_path(db, Selection(include_all=True), tmp_path)
    assert (text, aside) == old_path(db, Selection(include_all=True))
    assert any(o["id"] == offer_id and o["last_seen_at"] == "2026-12-24T06:00:00+00:00"
               for o in json.loads(text)["offers"])


def test_a_last_seen_at_the_contract_refuses_sets_the_offer_aside(db, tmp_path):
    offer_id = db.execute("select id from offers order by id limit 1").fetchone()[0]
    db.execute("update offers set last_seen_at = 'yesterday' where id = ?", [offer_id])
    prebuilt.refresh_entries(db, sanitized=True)
    text, aside = new_path(db, Selection(include_all=True), tmp_path)
    assert (text, aside) == old_path(db, Selection(include_all=True))
    assert offer_id not in {o["id"] for o in json.loads(text)["offers"]} and len(aside) == 1
