"""Datasette configured: foreign keys, views, metadata; a real Datasette serves the view's JSON."""
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from cli import main
from pipeline.browse import FOREIGN_KEYS, METADATA, VIEWS, datasette_command, metadata_for, prepare_database, \
    write_metadata
from tests.portal_db import build_portal_db, open_digital_references


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    path = tmp_path_factory.mktemp("browse") / "portal.db"
    db = build_portal_db(path)
    return path, db


def test_foreign_keys_and_views_added_once(portal):
    path, db = portal
    first = prepare_database(db)
    assert first == {"foreign_keys": len(FOREIGN_KEYS), "views": list(VIEWS)}
    assert prepare_database(db) == {"foreign_keys": 0, "views": []}
    declared = {(fk.table, fk.column, fk.other_table, fk.other_column)
                for table in db.table_names() for fk in db.table(table).foreign_keys}
    assert declared == set(FOREIGN_KEYS)
    assert db.table("merges").pks == ["offer_id", "posting_id"] and db.table("offers").count == 9
    assert [idx.columns for idx in db.table("offers").indexes if idx.columns == ["status", "digital"]]
    assert {r["reference"] for r in db.query("select reference from open_digital_offers")} == open_digital_references()
    row = next(db.query("select * from open_digital_offers where reference = '2026-1100002'"))
    assert (row["city"], row["region"], row["source"], row["family"]) == (
        "Lyon", "Auvergne-Rhône-Alpes", "csp", "donnees")
    by_region = {r["region"]: r["open_offers"] for r in db.query("select * from offers_by_region")}
    assert by_region["Île-de-France"] == 3
    assert [r["reference"] for r in db.query("select reference from closed_offers")] == ["2026-1100009"]


def test_views_only_while_a_crawl_runs(tmp_path):
    db = build_portal_db(tmp_path / "crawling.db")
    assert prepare_database(db, foreign_keys=False) == {"foreign_keys": 0, "views": list(VIEWS)}
    assert not db.table("merges").foreign_keys


def test_a_changed_view_is_replaced(portal):
    _, db = portal
    prepare_database(db)
    db.execute("drop view offers_by_family")
    db.create_view("offers_by_family", "select 1 as x")
    assert prepare_database(db)["views"] == ["offers_by_family"]
    assert "open_offers" in db["offers_by_family"].columns_dict


def test_metadata_names_this_database_and_describes_every_column(portal):
    path, db = portal
    metadata = metadata_for(path)
    assert list(metadata["databases"]) == ["portal"] and "Licence Ouverte" in metadata["license"]
    tables = metadata["databases"]["portal"]["tables"]
    assert set(tables["offers"]["columns"]) == set(db.table("offers").columns_dict)
    assert set(tables["postings"]["columns"]) == set(db.table("postings").columns_dict)
    assert set(tables["open_digital_offers"]["facets"]) >= {"family", "region", "category", "source"}
    hidden = tables["offers"]["plugins"]["offres-hidden-columns"]["columns"]
    assert {"missions_html", "profile_html", "about_html"} <= set(hidden) <= set(db.table("offers").columns_dict)
    assert json.loads(METADATA.read_text(encoding="utf-8"))["databases"]  # the file itself is valid JSON


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, follow: bool = True):
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def served(portal, tmp_path_factory):
    path, db = portal
    prepare_database(db)
    port = free_port()
    metadata = write_metadata(path, tmp_path_factory.mktemp("meta"))
    process = subprocess.Popen(datasette_command(path, metadata, port=port), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Datasette did not start: {process.stdout.read()}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_datasette_serves_the_view_with_facets_and_licence(served):
    status, _, body = get(f"{served}/portal/open_digital_offers.json?_shape=objects&_size=100")
    assert status == 200
    data = json.loads(body)
    assert {r["reference"] for r in data["rows"]} == open_digital_references()
    assert data["license"].startswith("Licence Ouverte")
    facets = data["facet_results"]
    facets = facets.get("results", facets)  # 0.65 and 1.0 shapes
    assert {"family", "region", "category", "source"} <= set(facets)
    regions = {v["value"]: v["count"] for v in facets["region"]["results"]}
    assert regions["Île-de-France"] == 3


def test_datasette_hides_html_columns_from_the_default_table_page(served):
    status, headers, _ = get(f"{served}/portal/offers", follow=False)
    assert status == 302
    assert "_nocol=missions_html" in headers["location"] and "_nocol=about_html" in headers["location"]
    status, _, page = get(f"{served}/portal/offers")
    assert status == 200 and 'data-column="title"' in page and 'data-column="missions_html"' not in page
    assert "Offers (deduplicated)" in page
    status, _, page = get(f"{served}/portal/offers?_col=title&_col=missions_html", follow=False)
    assert status == 200 and 'data-column="missions_html"' in page  # asked for: shown
    status, _, body = get(f"{served}/portal/offers.json?_shape=objects&_size=1")
    assert status == 200 and "missions_html" in json.loads(body)["rows"][0]  # the JSON keeps every column
    status, _, page = get(f"{served}/portal/merges")
    assert status == 200 and "/portal/offers/" in page  # foreign keys become links


def test_browse_without_database_fails_cleanly(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "browse"])
    assert result.exit_code == 1 and "no database" in result.output
