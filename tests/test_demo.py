"""`offres demo` (replica/demo.py): the whole pipeline offline: both boards, France Travail, the weekly file."""
from __future__ import annotations

import json
import re

from sqlite_utils import Database

from replica.demo import run_demo


def test_the_demo_runs_every_source_and_shows_what_each_step_changed(tmp_path):
    lines: list[str] = []
    summary = run_demo(tmp_path / "out", count=80, seed=2, echo=lines.append)
    text = "\n".join(lines)
    assert re.search(r"Run 4: file offres-datagouv-\d{8}\.csv, 25,000 rows \([\d,]+ digital and open\)", text), text
    assert re.search(r"Run 1: \d+ listing pages, 80 offers seen", text), text  # the board's 80 offers
    assert re.search(r"Run 3: \d+ search result pages, \d+ offers seen", text), text  # France Travail's API
    queued = int(re.search(r"(\d+) digital offers filed outside the Numérique listing", text).group(1))
    fetched = int(re.search(r"(\d+) board pages of offers outside the listing fetched", text).group(1))
    assert queued > 0 and 0 < fetched <= min(queued, 100)  # the crawl's budget: 100 pages a run
    changes = re.search(r"changes of the second crawl: (\d+) new, (\d+) updated, (\d+) closed", text)
    assert changes and int(changes.group(3)) >= 1 and int(changes.group(2)) >= fetched  # pages enrich offers
    db = Database(summary["database"])
    runs = [(r["source"], r["healthy"]) for r in db.query("select source, healthy from runs order by id")]
    assert runs == [("csp", 1), ("emploi-territorial", 1), ("francetravail", 1), ("csp-opendata", 1), ("csp", 1),
                    ("emploi-territorial", 1), ("francetravail", 1)]
    assert "replica-secret" not in "".join(str(r) for r in db.query("select * from runs"))  # the fake's secret
    exported = json.loads((tmp_path / "out" / "offres.json").read_text(encoding="utf-8"))
    sources = [{s["source"] for s in o["sources"]} for o in exported["offers"]]
    assert exported["count"] == summary["open_digital"] == len(exported["offers"])
    both = sum(s == {"csp-opendata", "csp-unlisted"} for s in sources)  # file + board page: one offer
    assert 0.9 * fetched <= both <= fetched  # (a page may tell the classifier more: a few are not digital after all)
    assert not any("csp-unlisted" in s and "csp-opendata" not in s for s in sources)
    assert any(s == {"csp-opendata"} for s in sources) == (fetched < queued)  # the rest wait for the next crawl
    assert any({"csp", "emploi-territorial"} <= s for s in sources)
    relays = [r for r in db.query("select sources from offers") if {"csp", "francetravail"} <= {
        s["source"] for s in json.loads(r["sources"])}]
    assert len(relays) == 3  # France Travail relays three board offers: one offer each, open or not
    assert any(s == {"francetravail"} for s in sources)  # and has public employers' offers of its own
    assert all((tmp_path / "out" / name).is_file() for name in ("offres.jsonl", "offres.rss.xml", "offres.csv"))
