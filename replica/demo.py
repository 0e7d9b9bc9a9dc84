"""`offres demo`: the whole pipeline, offline, against the local replicas.

Two crawls of both boards and of France Travail (a fake of its API) with a change of the
replicas in between, so the demo shows offers appearing, being updated and being closed;
between them, the board's weekly open-data file (a replica of data.gouv.fr) brings the
digital offers filed outside the Numérique listing, whose board pages the second crawl
fetches. Crawls run as child processes (Scrapy's reactor runs once per process); the
replicas serve from this one.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from pipeline.export import export_offers
from pipeline.reports import EVENT_KINDS, database_stats, recorded_events
from pipeline.store import open_db
from replica import ReplicaServer, ReplicaSite, generate_offers
from replica.datagouv import DataGouvReplica
from replica.datagouv_rows import OpenDataWeek
from replica.francetravail import FakeConfig, FakeFranceTravail
from replica.francetravail_data import generate as generate_francetravail, relay_of_csp
from replica.generator import filed_elsewhere
from replica.territorial import TerritorialServer, TerritorialSite, generate_territorial

PROJECT = Path(__file__).resolve().parent.parent
WEEKLY_ROWS = 25_000  # the real file holds about 260,000; above the first file's floors (20,000 rows, 10 MB)
BOARD = "https://choisirleservicepublic.gouv.fr"  # the address France Travail's relays give
FAKE = FakeConfig(max_rps=20)  # France Travail's fake: its own credentials (no secret), a fast pace
FRANCETRAVAIL = {"FRANCETRAVAIL_CLIENT_ID": FAKE.client_id, "FRANCETRAVAIL_CLIENT_SECRET": FAKE.client_secret}


def crawl(db_path: Path, base_url: str, echo: Callable[[str], None], source: str = "csp",
          *settings: str, env: dict[str, str] | None = None) -> int:
    """One `offres crawl SOURCE --base-url [-s ...]` in a child process; returns its exit code."""
    command = [sys.executable, "-m", "cli", "--db", str(db_path), "crawl", source, "--base-url", base_url, *settings]
    completed = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True,
                               env={**os.environ, **env} if env else None)
    for line in completed.stdout.splitlines():
        echo(f"  {line}")
    if completed.returncode not in (0, 3):
        raise RuntimeError(f"crawl failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    return completed.returncode


def francetravail(db_path: Path, fake: FakeFranceTravail, echo: Callable[[str], None]) -> int:
    """A crawl of the fake France Travail API, with the fake's credentials in the child's environment."""
    return crawl(db_path, fake.base_url, echo, "francetravail", "-s", f"FRANCETRAVAIL_MAX_RPS={FAKE.max_rps - 5}",
                 "-s", f"FRANCETRAVAIL_RESULT_CAP={FAKE.cap}", env=FRANCETRAVAIL)


def fresh_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def export_formats(db, output_dir: Path) -> dict[str, str]:
    """Every other export format of the open digital offers (the html page themes them all)."""
    from pipeline.export.formats import DEFAULT_NAMES, FormatOptions, export_as

    written = {}
    for fmt in ("jsonl", "changes", "jsonld", "rss", "atom", "csv", "html"):
        output = output_dir / DEFAULT_NAMES[fmt]
        export_as(db, fmt, output, options=FormatOptions(page_employer=""))
        written[fmt] = str(output)
    return written


def queued_pages(db) -> list[tuple[str, str]]:
    """(reference, title) of the digital offers the open-data file queued for their board pages."""
    return [(r["reference"], r["title"]) for r in db.query(
        "select q.reference, o.title from detail_queue q join offers o on o.reference = q.reference "
        "order by q.reference")] if db.table("detail_queue").exists() else []


def run_demo(output_dir: Path, count: int = 250, seed: int = 1, echo: Callable[[str], None] = print) -> dict:
    """Replicas -> crawl -> weekly file -> export -> change -> crawl -> export; returns the last stats."""
    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    db_path = output_dir / "demo.db"
    fresh_database(db_path)
    now = datetime.now(timezone.utc)
    site = ReplicaSite(generate_offers(count, seed, now=now), today=now.date(), seed=seed)
    # emploi-territorial.fr: the twins of CSP's territorial offers (same reference) and offers of its own
    et_site = TerritorialSite(generate_territorial(count // 5, seed, site.offers, today=now.date()),
                              today=now.date(), seed=seed)
    rng = random.Random(seed)  # France Travail: public and private employers' offers, three relaying the board's
    relayed = [relay_of_csp(90_000 + n, rng, o.reference, f"{BOARD}{o.path}", o.title, now=now)
               for n, o in enumerate(site.offers[10:13])]
    fake = FakeFranceTravail(generate_francetravail(count, seed, now=now) + relayed, FAKE)
    with ReplicaServer(site) as server, TerritorialServer(et_site) as et_server, fake, \
            tempfile.TemporaryDirectory(prefix="offres-demo-") as files, DataGouvReplica(Path(files)) as data:
        weekly = Path(files) / "weekly.csv"
        data.publish(weekly, OpenDataWeek(rows=WEEKLY_ROWS, seed=seed, today=now.date()).write(weekly))
        echo(f"1. Local replicas of choisirleservicepublic.gouv.fr at {server.base_url} ({count} offers, seed {seed}),")
        echo(f"   of emploi-territorial.fr at {et_server.base_url} ({len(et_site.offers)} offers)")
        echo(f"   of data.gouv.fr at {data.base_url} (the board's weekly file: {WEEKLY_ROWS:,} rows)")
        echo(f"   and a fake France Travail API at {fake.base_url} ({len(fake.offers())} offers, public and private)")
        echo("2. First crawl of both boards and of France Travail (its public employers' offers)")
        crawl(db_path, server.base_url, echo)
        crawl(db_path, et_server.base_url, echo, "emploi-territorial")
        francetravail(db_path, fake, echo)
        echo("3. The board's weekly open-data file: every offer, the classifier finds the digital ones")
        crawl(db_path, data.base_url, echo, "csp-opendata")
        db = open_db(db_path)
        queued = queued_pages(db)
        echo(f"   {len(queued)} digital offers filed outside the Numérique listing: their board pages queued")
        first = export_offers(db, output_dir / "offres.json")
        export_offers(db, output_dir / "offres-all.json", include_all=True)
        echo(f"4. Exported {first['count']} open digital offers to {output_dir / 'offres.json'}")
        offers = site.offers
        removed = [o.reference for o in offers[-4:]]
        edited = [o.reference for o in offers[5:8]]
        for reference in removed:
            site.remove(reference)
        for reference in edited:
            site.edit(reference, title=site.get(reference).title + " (poste modifié)")
        added = site.add_generated(5)
        et_only = [o.reference for o in et_site.offers if site.get(o.reference) is None and o.family_code == "A7"]
        for reference in et_only[-2:]:
            et_site.remove(reference)
        added += et_site.add_generated(3)
        templates = generate_offers(len(queued), seed + 1, now=now)  # their pages, filed under other domains
        site.add([filed_elsewhere(t, reference, title, deadline=None)  # open, as the file says
                  for t, (reference, title) in zip(templates, queued)])
        echo(f"5. Replicas changed: {len(added)} offers added, {len(edited)} edited, "
             f"{len(removed) + len(et_only[-2:])} removed; the board answers the {len(queued)} queued pages")
        echo("6. Second crawl of both boards (the queued pages too) and of France Travail")
        last_run = db.execute("select max(id) from runs").fetchone()[0]
        crawl(db_path, server.base_url, echo)
        crawl(db_path, et_server.base_url, echo, "emploi-territorial")
        francetravail(db_path, fake, echo)
    db = open_db(db_path)
    second = export_offers(db, output_dir / "offres.json")
    export_offers(db, output_dir / "offres-all.json", include_all=True)
    events = [e for (run_id,) in db.execute("select id from runs where id > ?", [last_run]).fetchall()
              for e in recorded_events(db, run_id=run_id)]  # both boards' second crawls
    fetched = db.execute("select count(*) from detail_queue where outcome = 'fetched'").fetchone()[0]
    echo(f"   {fetched} board pages of offers outside the listing fetched (source csp-unlisted)")
    echo(f"7. Exported {second['count']} open digital offers; changes of the second crawl: "
         + ", ".join(f"{sum(e['kind'] == kind for e in events)} {kind}" for kind in EVENT_KINDS))
    formats = export_formats(db, output_dir)
    echo("   Also written: " + ", ".join(Path(p).name for p in formats.values()))
    stats = database_stats(db)
    summary = {"formats": formats, "database": str(db_path), "export": str(output_dir / "offres.json"),
               "export_all": str(output_dir / "offres-all.json"), "offers": stats["offers"],
               "open_digital": second["count"], "by_family": stats["by_family"]}
    (output_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    echo("\nFiles:")
    for key in ("database", "export", "export_all"):
        echo(f"  {key:<10} {summary[key]}")
    if second["offers"]:
        sample = second["offers"][0]
        echo("\nFirst offer of the export:")
        echo(json.dumps({k: sample[k] for k in ("id", "reference", "title", "employer", "versant", "category",
                                                  "location", "family", "published_on", "url")},
                        ensure_ascii=False, indent=1))
    both = next((o for o in second["offers"] if len({s["source"] for s in o["sources"]}) > 1), None)
    if both:
        echo("\nOne offer from both boards (CSP's posting, emploi-territorial's employer):")
        echo(json.dumps({k: both[k] for k in ("reference", "title", "employer", "employer_category", "grades", "sources")},
                        ensure_ascii=False, indent=1))
    echo("\nTry: .venv/bin/offres --db " + str(db_path) + " stats | changes | explain <REF>")
    return summary
