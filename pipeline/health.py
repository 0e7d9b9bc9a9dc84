"""Is a crawl trustworthy enough to close offers and to be exported?

A crawl that looks broken (incomplete pagination, far fewer offers than the
last healthy crawl, key fields suddenly empty, many page errors) is stored but
closes nothing, and the export keeps the previous file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WATCHED_FIELDS = ("employer", "location", "versant", "published", "category", "missions_html")
FIRST_RUN_FLOOR = {"employer": 0.8, "location": 0.8, "versant": 0.8, "published": 0.8}
MIN_SEEN_RATIO = 0.5      # at least half the offers of the last healthy crawl
MAX_FIELD_DROP = 0.3      # a fill rate may not fall by more than 30 points
MAX_ERROR_RATE = 0.1      # at most 10% of the offers may fail to fetch or parse


@dataclass
class CrawlSummary:
    """What a crawl saw, as the store pipeline counted it."""

    complete: bool
    offers_seen: int
    errors: int = 0
    fill_rates: dict[str, float] = field(default_factory=dict)
    finish_reason: str = "finished"


def fill_rates(counts: dict[str, int], total: int) -> dict[str, float]:
    """Share of records having each watched field."""
    return {f: round(counts.get(f, 0) / total, 3) if total else 0.0 for f in WATCHED_FIELDS}


def assess(summary: CrawlSummary, previous: dict | None,
           floors: dict[str, float] = FIRST_RUN_FLOOR) -> tuple[bool, list[str]]:
    """(healthy, notes) for a crawl, against the last healthy crawl of the source.

    `previous` is that run's row with `offers_seen` and `fill_rates` (a dict);
    `floors` are the fill rates a source's first crawl must reach.
    """
    notes: list[str] = []
    if summary.finish_reason != "finished":
        notes.append(f"crawl ended early ({summary.finish_reason})")
    if not summary.complete:
        notes.append("listing not crawled to its last page")
    if summary.offers_seen == 0:
        notes.append("no offer found")
    if summary.offers_seen and summary.errors > MAX_ERROR_RATE * summary.offers_seen:
        notes.append(f"{summary.errors} errors for {summary.offers_seen} offers")
    if previous and previous.get("offers_seen"):
        before = previous["offers_seen"]
        if summary.offers_seen < MIN_SEEN_RATIO * before:
            notes.append(f"{summary.offers_seen} offers seen against {before} in run {previous.get('id')}")
        for name, rate_before in (previous.get("fill_rates") or {}).items():
            rate = summary.fill_rates.get(name, 0.0)
            if rate_before >= 0.5 and rate < rate_before - MAX_FIELD_DROP:
                notes.append(f"field '{name}' filled for {rate:.0%} of offers against {rate_before:.0%}")
    elif summary.offers_seen:
        for name, floor in floors.items():
            rate = summary.fill_rates.get(name, 0.0)
            if rate < floor:
                notes.append(f"field '{name}' filled for only {rate:.0%} of offers")
    return not notes, notes
