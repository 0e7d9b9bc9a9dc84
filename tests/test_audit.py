"""`offres audit`: the hand-kept page against the board (mislinked panels, closed offers, missing offers,
labels), its exit code and JSON; a URL fetched politely from a local server."""
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from cli import EXIT_FINDINGS, main
from parsers.curated_page import parse_curated_page
from pipeline.audit import audit_page
from pipeline.store import open_db
from spiders.page_fetch import FetchError, fetch_page
from spiders.settings import USER_AGENT
from tests.conftest import make_record
from tests.portal_data import PAGE_URL, SEED_PAGE, crawl, seed_records

NOW = datetime(2026, 11, 20, 6, tzinfo=timezone.utc)
DINUM = "Direction interministérielle du numérique (DINUM)"
A_PLUS = {"2023-1201312", "2023-1204125", "2023-1204115"}


def board_record(reference: str, **overrides) -> dict:
    category = "Catégorie A+ (Encadrement supérieur)" if reference in A_PLUS else "Catégorie A (cadre)"
    fields = {"url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/poste-reference-{reference}/",
              "employer": DINUM, "location": "Paris (75)", "remote": "Oui", "category": category,
              "published": "02/11/2026", "fetched_at": "2026-11-20T05:30:00+00:00"}
    return make_record(reference, **{**fields, **overrides})


@pytest.fixture
def db(tmp_path):
    """The page crawled, then the board: the panels' offers on the board but one, with things to fix."""
    db = open_db(str(tmp_path / "o.db"))
    records, _ = seed_records()
    crawl(db, "dinum-page", records, started_at="2026-11-20T05:00:00+00:00")
    refs = sorted({r["reference"] for r in records if r.get("theme")})
    special = {"2023-1201312", "2023-1211951", "2023-1196631", "2023-1204125", "2023-1195285"}
    board = [board_record(ref) for ref in refs if ref not in special]  # 2023-1195285: no longer on the board
    board += [board_record("2023-1201312", category="Catégorie A (cadre)"),          # the page says A+
              board_record("2023-1211951", location="69003 Lyon"),                  # the page says Saint-Jacques
              board_record("2023-1196631", remote="Non"),                           # the page says remote
              board_record("2023-1204125", deadline="01/11/2026"),                  # closed: deadline passed
              board_record("2026-1299999", title="Développeur / Développeuse back-end H/F"),  # not on the page
              board_record("2026-1299997", title="Product owner H/F",                         # nor this one
                           employer="DIRECTION INTERMINISTERIELLE DU NUMERIQUE"),
              board_record("2026-1299998", title="Data scientist H/F", employer="Ministère de l'Intérieur")]
    crawl(db, "csp", board, started_at="2026-11-20T05:30:00+00:00", now=NOW)
    return db


def audit(db):
    page = parse_curated_page(SEED_PAGE.read_text(encoding="utf-8"), PAGE_URL)
    return audit_page(db, page, PAGE_URL)


def test_the_seed_reports_its_two_mislinked_panels_by_title_and_reference(tmp_path):
    report = audit(open_db(":memory:"))
    assert [(m["title"], m["title_link_reference"], m["button_link_reference"]) for m in report.mislinked] == [
        ("Analyste de données H/F", "2023-1196743", "2023-1202957"),
        ("Coordonnateur animation data H/F", "2023-1196743", "2023-1208948")]
    assert report.to_fix == 2 and report.board_run is None
    assert report.closed == report.missing == report.labels == [] and "not checked" in report.notes[0]


def test_closed_missing_and_labels_against_the_board(db):
    report = audit(db)
    assert report.board_run is not None
    assert sorted((c["reference"], c["reason"]) for c in report.closed) == [
        ("2022-1024634", "no longer on the board"),  # the second section's post: the board lists neither
        ("2023-1195285", "no longer on the board"), ("2023-1204125", "deadline 2026-11-01 passed")]
    assert sorted(m["reference"] for m in report.missing) == ["2026-1299997", "2026-1299999"]  # not the other ministry's
    labels = {(item["reference"], item["field"]): item for item in report.labels}
    assert set(labels) == {("2023-1201312", "category"), ("2023-1211951", "place"), ("2023-1196631", "remote")}
    assert labels[("2023-1201312", "category")]["page"] == "Cadre supérieur/Catégorie A+"
    assert labels[("2023-1201312", "category")]["board"] == "A"
    assert labels[("2023-1196631", "remote")] ["page"] is True and labels[("2023-1196631", "remote")]["board"] is False
    assert len(report.mislinked) == 2 and report.to_fix == 2 + 3 + 2 + 3 and report.unknown == []


def test_a_page_that_agrees_with_the_board_has_nothing_to_fix(db, tmp_path):
    from pipeline.export import Selection, build_export
    from pipeline.export.html import build_page, page_themes, render_page

    entries = build_export(db, now=NOW, selection=Selection())["offers"]
    page = tmp_path / "regenerated.html"
    page.write_text(render_page(build_page(entries, page_themes(db))), encoding="utf-8")
    report = audit_page(db, parse_curated_page(page.read_text(encoding="utf-8"), PAGE_URL), PAGE_URL)
    assert report.mislinked == report.closed == report.missing == [] and report.to_fix == 0, report.as_dict()


def test_cli_exit_code_and_json(db, tmp_path):
    db_path = next(r["file"] for r in db.query("pragma database_list"))
    result = CliRunner().invoke(main, ["--db", db_path, "audit", str(SEED_PAGE), "--json"])
    assert result.exit_code == EXIT_FINDINGS == 7
    report = json.loads(result.stdout)
    assert report["to_fix"] == 10 and len(report["mislinked"]) == 2
    result = CliRunner().invoke(main, ["--db", db_path, "audit", str(SEED_PAGE)])
    assert "mislinked: 'Analyste de données H/F': title link 2023-1196743, button 2023-1202957" in result.output


class Site(BaseHTTPRequestHandler):
    pages: dict = {}
    agents: list = []

    def do_GET(self):
        self.agents.append(self.headers.get("User-Agent"))
        body = self.pages.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    Site.pages = {"/rejoignez-nous/": SEED_PAGE.read_bytes(), "/robots.txt": b"User-agent: *\nDisallow: /prive/\n",
                  "/prive/page/": b"<p>secret</p>", "/gros/": b"x" * 20000}
    Site.agents = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_audit_of_a_url_fetched_politely(site, tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), "audit", site + "/rejoignez-nous/", "--json"])
    assert result.exit_code == EXIT_FINDINGS, result.output
    assert [m["title"] for m in json.loads(result.stdout)["mislinked"]] == ["Analyste de données H/F",
                                                                            "Coordonnateur animation data H/F"]
    assert Site.agents and all(agent == USER_AGENT for agent in Site.agents)
    with pytest.raises(FetchError, match="robots.txt"):
        fetch_page(site + "/prive/page/")
    with pytest.raises(FetchError, match="bytes"):
        fetch_page(site + "/gros/", max_bytes=10000)
    with pytest.raises(FetchError, match="404"):
        fetch_page(site + "/absent/")
    with pytest.raises(FetchError, match="only http"):
        fetch_page("file:///etc/passwd")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), "audit", site + "/absent/"])
    assert result.exit_code == 5 and "404" in result.output  # the page could not be reached
