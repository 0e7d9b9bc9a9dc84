"""Is a crawl trustworthy enough to close offers and to be exported?

A crawl that looks broken (incomplete pagination, far fewer offers than the
last healthy crawl, key fields suddenly empty, many page errors) is stored but
closes nothing, and the export keeps the previous file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WATCHED_FIELDS = ("employer", "location", "versant", "published", "category", "missions_html")  # always reported
# Fields the board always carries, for a source's first crawl (no healthy crawl to compare
# with). `deadline_territorial`: the deadline among territorial offers (O + 15 digits),
# which always state one; métier is missing from half the territorial and hospital offers.
FIRST_RUN_FLOOR = {"employer": 0.8, "location": 0.8, "versant": 0.8, "published": 0.8, "title": 0.95,
                   "category": 0.5, "metier": 0.2, "deadline_territorial": 0.8, "missions_html": 0.5}
MIN_SEEN_RATIO = 0.5      # at least half the offers of the last healthy crawl
MAX_FIELD_DROP = 0.3      # a fill rate may not fall by more than 30 points
MAX_ERROR_RATE = 0.1      # at most 10% of the offers may fail to fetch or parse
WARN_DROP = 0.2           # a drop of more than 20% is accepted, but warned about and recorded


@dataclass(frozen=True)
class Thresholds:
    """The health gate's limits; settings `OFFRES_HEALTH_*` (docs/storage.md, "Crawl health")."""

    min_seen_ratio: float = MIN_SEEN_RATIO
    warn_drop: float = WARN_DROP
    max_field_drop: float = MAX_FIELD_DROP
    max_error_rate: float = MAX_ERROR_RATE


THRESHOLD_SETTINGS = {"OFFRES_HEALTH_MIN_SEEN_RATIO": "min_seen_ratio", "OFFRES_HEALTH_WARN_DROP": "warn_drop",
                      "OFFRES_HEALTH_MAX_FIELD_DROP": "max_field_drop",
                      "OFFRES_HEALTH_MAX_ERROR_RATE": "max_error_rate"}


def thresholds_from(settings) -> Thresholds:
    """The thresholds named in a mapping of settings (Scrapy `Settings` or a dict); defaults elsewhere.

    Each is a ratio between 0 and 1; a bad value raises ValueError naming the setting."""
    values = {}
    for name, attribute in THRESHOLD_SETTINGS.items():
        raw = settings.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"setting {name}: not a number: {raw!r}") from None
        if not 0 <= value <= 1:
            raise ValueError(f"setting {name}: must be between 0 and 1, got {raw!r}")
        values[attribute] = value
    return Thresholds(**values)


@dataclass
class CrawlSummary:
    """What a crawl saw, as the store pipeline counted it."""

    complete: bool
    offers_seen: int
    errors: int = 0
    fill_rates: dict[str, float] = field(default_factory=dict)
    finish_reason: str = "finished"


def fill_rates(counts: dict[str, int], total: int, totals: dict[str, int] | None = None) -> dict[str, float]:
    """Share of records having each counted field (and each watched one, even if never filled).

    `totals` gives a field its own denominator (e.g. territorial offers for their deadline);
    a field whose denominator is 0 is left out."""
    rates = {}
    for name in sorted(set(counts) | set(WATCHED_FIELDS)):
        base = (totals or {}).get(name, total)
        if base or name in WATCHED_FIELDS:
            rates[name] = round(counts.get(name, 0) / base, 3) if base else 0.0
    return rates


def assess(summary: CrawlSummary, previous: dict | None,
           floors: dict[str, float] = FIRST_RUN_FLOOR, thresholds: Thresholds | None = None) -> tuple[bool, list[str]]:
    """(healthy, notes) for a crawl, against the last healthy crawl of the source.

    `previous` is that run's row with `offers_seen` and `fill_rates` (a dict);
    `floors` are the fill rates a source's first crawl must reach.
    """
    limits = thresholds or Thresholds()
    notes: list[str] = []
    if summary.finish_reason == "banned":
        notes.append("source banned this crawl (Retry-After over the allowed wait): stopped")
    elif summary.finish_reason != "finished":
        notes.append(f"crawl ended early ({summary.finish_reason})")
    if not summary.complete:
        notes.append("listing not crawled to its last page")
    if summary.offers_seen == 0:
        notes.append("no offer found")
    if summary.offers_seen and summary.errors > limits.max_error_rate * summary.offers_seen:
        notes.append(f"{summary.errors} errors for {summary.offers_seen} offers")
    if previous and previous.get("offers_seen"):
        before = previous["offers_seen"]
        if summary.offers_seen < limits.min_seen_ratio * before:
            notes.append(f"{summary.offers_seen} offers seen against {before} in run {previous.get('id')}")
        # Every field the last healthy crawl filled is watched, not a fixed list.
        fell = [(name, summary.fill_rates.get(name, 0.0), before)
                for name, before in sorted((previous.get("fill_rates") or {}).items())
                if before >= 0.2 and summary.fill_rates.get(name, 0.0) < before - min(limits.max_field_drop, before / 2)]
        for name, rate, before in fell:
            notes.append(f"field '{name}' filled for {rate:.0%} of offers against {before:.0%}")
    elif summary.offers_seen:
        for name, floor in floors.items():
            rate = summary.fill_rates.get(name)
            if rate is not None and rate < floor:
                notes.append(f"field '{name}' filled for only {rate:.0%} of offers")
    return not notes, notes


def warnings(summary: CrawlSummary, previous: dict | None, thresholds: Thresholds | None = None) -> list[str]:
    """What a crawl the gate lets through still deserves a word about: a drop over `warn_drop`."""
    limits = thresholds or Thresholds()
    before = (previous or {}).get("offers_seen")
    if not before or summary.offers_seen >= before * (1 - limits.warn_drop):
        return []
    drop = 1 - summary.offers_seen / before
    return [f"{summary.offers_seen} offers seen against {before} in run {previous.get('id')} "
            f"(-{drop:.0%}, warning above -{limits.warn_drop:.0%})"]


def assess_check(summary: CrawlSummary) -> tuple[bool, list[str]]:
    """(healthy, notes) for a between-crawls check (the RSS feed's new offers): it claims no
    completeness and closes nothing, so only how it ended and its error rate are judged."""
    notes: list[str] = []
    if summary.finish_reason == "banned":
        notes.append("source banned this crawl (Retry-After over the allowed wait): stopped")
    elif summary.finish_reason != "finished":
        notes.append(f"crawl ended early ({summary.finish_reason})")
    if summary.errors and summary.errors > MAX_ERROR_RATE * max(summary.offers_seen, 1):
        notes.append(f"{summary.errors} errors for {summary.offers_seen} offers")
    return not notes, notes
