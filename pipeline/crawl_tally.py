"""What a crawl saw, counted posting by posting: the inputs of its health verdict.

Used by the local store pipeline and by `offres cluster collect`, so a job run on
a Scrapyd node is judged exactly like a local crawl.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from pipeline.health import WATCHED_FIELDS, fill_rates
from pipeline.record import RawPosting

COUNTED_FIELDS = tuple(f.name for f in dataclasses.fields(RawPosting)
                       if f.name not in ("source", "url", "extra", "fetched_at"))
TERRITORIAL_REF = re.compile(r"^[Oo]\d{15}$")
# The Scrapy stats a run keeps (runs.stats): data-quality counters and the transport's, not the engine's internals.
# Every request that produced no response shows here: offres/no_response/*, offsite/*,
# downloader/exception_type_count/*, httpcompression/* (size), robotstxt/forbidden...
KEPT_STATS = ("offres/", "retry/", "downloader/response_status_count/", "robotstxt/", "log_count/ERROR",
              "offsite/", "downloader/exception_type_count/", "downloader/exception_count", "httpcompression/",
              "scheduler/dequeued", "downloader/request_count", "downloader/response_count",
              "downloader/response_bytes", "item_scraped_count", "finish_reason", "elapsed_time_seconds")


def kept_stats(stats: dict) -> dict:
    """The stats of KEPT_STATS, sorted by name."""
    return {k: v for k, v in sorted(stats.items()) if k.startswith(KEPT_STATS)}


@dataclass
class CrawlTally:
    """Distinct postings seen, those known only from a listing card, field fill counts."""

    seen: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    field_counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(COUNTED_FIELDS + ("deadline_territorial",), 0))
    missing: dict[str, int] = field(default_factory=dict)  # watched fields absent, by name
    full: int = 0          # postings from a detail page (the denominator of fill rates)
    territorial: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def add(self, posting: RawPosting) -> bool:
        """Count one posting; False when the crawl already had it (a duplicate card)."""
        pid = posting.posting_id()
        if pid in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(pid)
        if "listing_only" in posting.extra:
            self.partial.add(pid)
            self.errors.append({"location": posting.url, "field": "*", "message": posting.extra["listing_only"]})
        else:  # a card alone says little: fill rates are those of detail pages
            self.count_fields(posting)
        if "link_conflict" in posting.extra:  # a data-quality warning: recorded, not a failure
            self.warnings.append({"location": posting.url, "field": "url", "message": posting.extra["link_conflict"]})
        return True

    def count_fields(self, posting: RawPosting) -> None:
        """Count every field of the raw record (health watches all of them)."""
        self.full += 1
        for name in COUNTED_FIELDS:
            if getattr(posting, name):
                self.field_counts[name] += 1
            elif name in WATCHED_FIELDS:
                self.missing[name] = self.missing.get(name, 0) + 1
        if posting.reference and TERRITORIAL_REF.match(posting.reference):
            self.territorial += 1
            self.field_counts["deadline_territorial"] += bool(posting.deadline)

    def fill_rates(self) -> dict[str, float]:
        return fill_rates(self.field_counts, self.full, {"deadline_territorial": self.territorial})
