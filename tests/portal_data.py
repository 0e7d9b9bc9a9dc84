"""Databases for the export-format tests: a demo-like one (the replica's generated offers, parsed
from its detail pages, no network) and one holding the DINUM page's offers (tests/fixtures/dinum_page)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from parsers.csp import parse_offer
from parsers.curated_page import parse_curated_page
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import finish_run, open_db, start_run, write_raw_postings
from replica.generator import generate_offers
from replica.pages import detail_page

BASE = "https://choisirleservicepublic.gouv.fr"
NOW = datetime(2026, 11, 20, 6, tzinfo=timezone.utc)
SEED_PAGE = Path(__file__).parent / "fixtures" / "dinum_page" / "input.html"
PAGE_URL = "https://www.numerique.gouv.fr/rejoignez-nous/"


def demo_records(count: int = 60, seed: int = 3) -> list[dict]:
    """Raw records of the replica's generated offers, read from their detail pages by the real parser."""
    offers = generate_offers(count, seed, now=NOW)
    records = []
    for offer in offers:
        url = BASE + offer.path
        record = parse_offer(detail_page(offer, BASE, []), url)
        records.append({**record, "source": "csp", "fetched_at": "2026-11-20T05:00:00+00:00"})
    return records


def crawl(db, source: str, records: list[dict], started_at: str = "2026-11-20T05:00:00+00:00",
          now: datetime = NOW) -> int:
    """Store records as one complete healthy run of `source`, then rebuild the offers."""
    run = start_run(db, "crawl", source, started_at=started_at)
    write_raw_postings(db, [RawPosting.from_dict(r) for r in records], run)
    finish_run(db, run, complete=1, healthy=1, finished_at=started_at)
    rebuild_offers(db, now=now, run_id=run)
    return run


def demo_db(path: str = ":memory:", count: int = 60):
    """A database holding the generated offers of one healthy crawl."""
    db = open_db(path)
    crawl(db, "csp", demo_records(count))
    return db


def seed_records() -> tuple[list[dict], list[dict]]:
    """(records, problems) of the DINUM page as the curated-page parser reads it."""
    page = parse_curated_page(SEED_PAGE.read_text(encoding="utf-8"), PAGE_URL)
    records = [{**r, "fetched_at": "2026-11-20T05:00:00+00:00"} for r in page["records"]]
    return records, page["problems"]


def seed_db(path: str = ":memory:"):
    """A database holding the DINUM page's offers (one crawl of the page)."""
    db = open_db(path)
    crawl(db, "dinum-page", seed_records()[0])
    return db
