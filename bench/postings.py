"""N synthetic raw postings (the `offres ingest` JSON-lines form), from the replica's generator.

Each replica offer (`replica.generator.generate_offers`) becomes the CSP posting its detail
page would give; a share of them is also published elsewhere, as real offers are: the
territorial board (same reference, its own URL), the CSP open-data file (same reference, no
description) and, rarely, the curated DINUM page (no reference). Generated in chunks and
streamed, so writing 100,000 postings holds only one chunk in memory.

    python -m bench.postings N FILE.jsonl [--seed S]
"""
from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from typing import Iterator

from replica.generator import NOW, Offer, generate_offers

CHUNK = 2_000
CSP = "https://choisirleservicepublic.gouv.fr"
FETCHED = NOW.replace(microsecond=0)


def _date(value) -> str | None:
    return value.strftime("%d/%m/%Y") if value else None


def csp_record(offer: Offer, fetched_at: str) -> dict:
    """The raw record the CSP parser gives for an offer's detail page."""
    return {
        "source": "csp", "url": CSP + offer.path, "title": offer.title, "reference": offer.reference,
        "employer": offer.employer, "location": offer.location, "location_area": offer.department,
        "region": offer.region, "category": offer.category, "grades": offer.grades,
        "versant": offer.content_versant, "contract": offer.contract, "remote": offer.remote,
        "experience": offer.experience, "salary": offer.salary, "management": offer.management,
        "metier": offer.metier, "domain": offer.domain, "published": _date(offer.published),
        "modified": _date(offer.modified), "deadline": _date(offer.deadline),
        "missions_html": offer.missions_html, "profile_html": offer.profile_html,
        "about_html": offer.about_html, "conditions_html": offer.conditions_html,
        "extra_html": offer.extra_html, "original_url": offer.original_url, "fetched_at": fetched_at,
    }


def _copies(offer: Offer, record: dict, rng: random.Random) -> Iterator[dict]:
    if offer.original_url and rng.random() < 0.5:  # the territorial board's own page
        yield {**record, "source": "emploi-territorial", "url": offer.original_url,
               "reference": offer.reference.lower(), "original_url": None}
    if rng.random() < 0.15:  # the open-data file: no description, no URL of its own
        yield {k: record[k] for k in ("title", "reference", "employer", "location_area", "region", "category",
                                       "versant", "published", "deadline", "fetched_at")} | {
            "source": "csp-opendata", "url": f"{CSP}/offre-emploi/{offer.reference}/"}
    if rng.random() < 0.02:  # the curated page links to the board
        yield {"source": "dinum-page", "url": f"{CSP}/offre-emploi/{offer.reference}/?xtor=RSS-3",
               "title": offer.title, "employer": offer.employer, "fetched_at": record["fetched_at"]}


def synthetic_postings(n: int, seed: int = 11) -> Iterator[dict]:
    """`n` raw postings (dicts), deterministic for (n, seed), about 1.2 postings an offer."""
    rng = random.Random(seed)
    seen: set[str] = set()
    made = start = 0
    while made < n:
        for offer in generate_offers(CHUNK, seed, start=start):
            if offer.reference in seen:  # chunks draw references independently
                continue
            seen.add(offer.reference)
            fetched = (FETCHED - timedelta(seconds=rng.randint(0, 86_400 * 3))).isoformat() + "Z"
            record = csp_record(offer, fetched)
            for posting in (record, *_copies(offer, record, rng)):
                yield {k: v for k, v in posting.items() if v not in (None, "")}
                made += 1
                if made >= n:
                    return
        start += CHUNK


def edited(record: dict, k: int) -> dict:
    """A new version of a posting (an edited title and description), as a re-crawl would find it."""
    return {**record, "title": record["title"] + f" (H/F) {k}",
            "missions_html": (record.get("missions_html") or "") + f"<p>Mise à jour {k}.</p>",
            "fetched_at": (datetime.fromisoformat(record["fetched_at"].rstrip("Z")) + timedelta(days=1)).isoformat() + "Z"}


def write_jsonl(n: int, path: str, seed: int = 11) -> int:
    """Write `n` postings to `path`; returns how many."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for record in synthetic_postings(n, seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 11
    print(write_jsonl(int(args[0]), args[1], seed))
