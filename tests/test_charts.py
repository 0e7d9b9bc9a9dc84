"""The SVG pictures: well-formed, values drawn and told, open offers replayed over the runs."""
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from cli import main
from pipeline.charts import bar_chart, chart_data, line_chart, nice_ceiling, open_over_runs, stacked_svg
from tests.portal_db import build_portal_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "portal.db"
    return path, build_portal_db(path)


def test_bars_are_proportional_and_described():
    root = ET.fromstring(bar_chart([("Données & co", 10), ("Design", 5), ("Vide", 0)], "Par famille"))
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Par famille"
    assert root.find(f"{SVG}desc").text == "Données & co : 10; Design : 5; Vide : 0"
    widths = [float(r.get("width")) for r in list(root.iter(f"{SVG}rect"))[1:]]  # the first one is the background
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Données & co" in texts and "10" in texts


def test_empty_charts_say_so():
    for svg in (bar_chart([], "Rien"), line_chart([], "Rien")):
        assert "Aucune donnée" in [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_line_points_in_order_and_axis():
    root = ET.fromstring(line_chart([("#1", 10), ("#2", 20), ("#3", 15)], "Ouvertes"))
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{SVG}circle")]
    assert [x for x, _ in circles] == sorted(x for x, _ in circles)
    assert circles[1][1] < circles[2][1] < circles[0][1]  # higher value, smaller y
    assert root.find(f"{SVG}polyline") is not None
    assert [nice_ceiling(v) for v in (0, 7, 23, 279)] == [1, 8, 25, 300]


def test_open_offers_replayed_from_events(portal):
    _, db = portal
    assert open_over_runs(db) == [("#1 2026-10-05", 9), ("#2 2026-10-06", 8)]
    data = chart_data(db)
    assert dict(data["by_family"])["Données / Datascience / Open data"] == 2
    assert sum(n for _, n in data["by_family"]) == 7  # open digital only
    assert dict(data["by_region"]) == {"Île-de-France": 3, "Auvergne-Rhône-Alpes": 2, "Bretagne": 1,
                                       "Provence-Alpes-Côte d'Azur": 1}


def test_merged_offers_leave_the_count(db):
    db.table("events").insert_all([
        {"run_id": None, "at": "2026-10-01T00:00:00+00:00", "offer_id": "a", "kind": "new"},
        {"run_id": None, "at": "2026-10-01T00:00:00+00:00", "offer_id": "b", "kind": "new"},
        {"run_id": None, "at": "2026-10-02T00:00:00+00:00", "offer_id": "b", "kind": "merged"},
        {"run_id": None, "at": "2026-10-03T00:00:00+00:00", "offer_id": "a", "kind": "closed"},
        {"run_id": None, "at": "2026-10-04T00:00:00+00:00", "offer_id": "a", "kind": "reopened"}])
    assert open_over_runs(db) == [("2026-10-01", 2), ("2026-10-02", 1), ("2026-10-03", 0), ("2026-10-04", 1)]


def test_stats_plot_writes_one_svg_with_three_charts(portal, tmp_path):
    path, _ = portal
    output = tmp_path / "stats.svg"
    result = CliRunner().invoke(main, ["--db", str(path), "stats", "--plot", str(output)])
    assert result.exit_code == 0, result.output
    root = ET.parse(output).getroot()
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == ["Offres numériques ouvertes par famille", "Offres numériques ouvertes par région",
                      "Offres ouvertes après chaque collecte"]
    ys = [int(svg.get("y")) for svg in root.findall(f"{SVG}svg")]
    assert ys[0] == 0 and ys == sorted(ys) and len(set(ys)) == 3
    assert "8" in [t.text for t in root.iter(f"{SVG}text")]
    assert stacked_svg([]).startswith("<svg")
