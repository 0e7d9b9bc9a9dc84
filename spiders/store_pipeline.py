"""Scrapy item pipeline: raw postings into SQLite, run bookkeeping, health, lifecycle."""
from __future__ import annotations

import dataclasses
import json
import re
import sys

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from pipeline.health import FIRST_RUN_FLOOR, WATCHED_FIELDS, CrawlSummary, assess, assess_check, fill_rates
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import (finish_run, last_healthy_run, mark_gone, open_db, promote_run,
                            record_errors, start_run, utcnow, write_raw_postings)

BATCH_SIZE = 100
# Every request that produced no response shows here: offres/no_response/*, offsite/*,
# downloader/exception_type_count/*, httpcompression/* (size), robotstxt/forbidden...
KEPT_STATS = ("offres/", "retry/", "downloader/response_status_count/", "robotstxt/", "log_count/ERROR",
              "offsite/", "downloader/exception_type_count/", "downloader/exception_count", "httpcompression/",
              "scheduler/dequeued", "downloader/request_count", "downloader/response_count")
COUNTED_FIELDS = tuple(f.name for f in dataclasses.fields(RawPosting) if f.name not in ("source", "url", "extra",
                                                                                          "fetched_at"))
TERRITORIAL_REF = re.compile(r"^[Oo]\d{15}$")


class StorePipeline:
    """Buffers postings and writes them in batches; closes the run at the end."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = crawler.settings.get("OFFRES_DB")
        self.progress = crawler.settings.getbool("OFFRES_PROGRESS", True)
        self.buffer: list[RawPosting] = []
        self.partial: set[str] = set()
        self.seen: set[str] = set()
        self.field_counts: dict[str, int] = dict.fromkeys(COUNTED_FIELDS + ("deadline_territorial",), 0)
        self.full = 0          # postings from a detail page (the denominator of fill rates)
        self.territorial = 0
        self.errors: list[dict] = []
        self.warnings: list[dict] = []
        self.new = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        pipeline = cls(crawler)
        # Item pipelines close before Scrapy knows why the crawl ended: the run is
        # judged on `spider_closed`, which carries the reason.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider=None) -> None:
        spider = spider or self.crawler.spider
        self.db = open_db(self.db_path)
        self.run_id = start_run(self.db, "crawl", spider.name, base_url=spider.base_url,
                                parser_version=spider.parser_version)
        self.started = utcnow()

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        posting = item if isinstance(item, RawPosting) else RawPosting.from_dict(adapter.asdict())
        pid = posting.posting_id()
        if pid in self.seen:
            self.stats.inc_value("offres/duplicate_in_listing")
            return item
        self.seen.add(pid)
        if "listing_only" in posting.extra:
            self.partial.add(pid)
            self.errors.append({"location": posting.url, "field": "*", "message": posting.extra["listing_only"]})
        else:  # a card alone says little: fill rates are those of detail pages
            self.count_fields(posting)
        if "link_conflict" in posting.extra:  # a data-quality warning: recorded, not a failure
            self.warnings.append({"location": posting.url, "field": "url", "message": posting.extra["link_conflict"]})
        self.buffer.append(posting)
        if len(self.buffer) >= BATCH_SIZE:
            self.flush()
        return item

    def count_fields(self, posting: RawPosting) -> None:
        """Count every field of the raw record (health watches all of them)."""
        self.full += 1
        for name in COUNTED_FIELDS:
            if getattr(posting, name):
                self.field_counts[name] += 1
            elif name in WATCHED_FIELDS:
                self.stats.inc_value(f"offres/field_missing/{name}")
        if posting.reference and TERRITORIAL_REF.match(posting.reference):
            self.territorial += 1
            self.field_counts["deadline_territorial"] += bool(posting.deadline)

    def flush(self) -> None:
        if not self.buffer:
            return
        # Untrusted until the crawl is judged healthy (see close_spider).
        result = write_raw_postings(self.db, self.buffer, self.run_id, trusted=False,
                                    parser_version=self.crawler.spider.parser_version, partial_ids=self.partial)
        self.new += result.new_postings
        self.buffer = []
        if self.progress:
            print(f"  {len(self.seen)} offers stored ({self.new} new)", file=sys.stderr, flush=True)

    def kept_stats(self) -> dict:
        """The data-quality and fetch counters worth keeping with the run."""
        return {k: v for k, v in sorted(self.stats.get_stats().items()) if k.startswith(KEPT_STATS)}

    def close_spider(self, spider=None) -> None:
        self.flush()

    def spider_closed(self, spider, reason: str) -> None:
        """Judge the crawl, close what it proves gone, rebuild the offers, record the run."""
        # Detail requests dropped silently (a middleware filtered them): their cards stay.
        for posting in getattr(spider, "unanswered_postings", list)():
            self.process_item(posting)
        errors = len(self.errors) + (self.stats.get_value("offres/listing_errors") or 0)
        rates = fill_rates(self.field_counts, self.full, {"deadline_territorial": self.territorial})
        summary = CrawlSummary(complete=spider.listing_complete and not spider.listing_failed,
                               offers_seen=len(self.seen), errors=errors,
                               fill_rates=rates, finish_reason=reason)
        previous = last_healthy_run(self.db, spider.name, before_id=self.run_id)
        if previous:
            previous = {**previous, "fill_rates": json.loads(previous["fill_rates"] or "{}")}
        if getattr(spider, "check_only", False):  # a between-crawls check (RSS): new offers only
            healthy, notes = assess_check(summary)
        else:
            healthy, notes = assess(summary, previous, getattr(spider, "first_run_floors", FIRST_RUN_FLOOR))
        notes = list(getattr(spider, "listing_problems", [])[:5]) + notes
        reasons = sorted({re.sub(r"\S+://\S+|'[^']*'", "…", e["message"])[:80] for e in self.errors})
        if reasons and not healthy:
            notes.append("detail pages not seen: " + ", ".join(reasons)[:300])
        self.flush()
        record_errors(self.db, self.run_id, spider.name, self.errors + self.warnings)
        closed_postings = 0
        if healthy:  # versions from a crawl that looks broken are kept, but replace no good one
            promote_run(self.db, self.run_id)
            if summary.complete:  # a check that saw only new offers proves nothing gone
                closed_postings = mark_gone(self.db, spider.name, self.seen, self.started)
        # the verdict is recorded before the rebuild, which reads the board's latest healthy crawl
        self.db.table("runs").update(self.run_id, {"complete": int(summary.complete), "healthy": int(healthy)})
        rebuilt = rebuild_offers(self.db, run_id=self.run_id)
        finish_run(self.db, self.run_id, pages=spider.pages, offers_seen=len(self.seen),
                   offers_new=rebuilt.new, offers_updated=rebuilt.updated, offers_closed=rebuilt.closed,
                   offers_reopened=rebuilt.reopened, errors=errors, finish_reason=reason,
                   complete=int(summary.complete), healthy=int(healthy), health_notes="; ".join(notes) or None,
                   fill_rates=json.dumps(summary.fill_rates), stats=json.dumps(self.kept_stats(), default=str))
        self.stats.set_value("offres/run_id", self.run_id)
        self.stats.set_value("offres/postings_gone", closed_postings)
