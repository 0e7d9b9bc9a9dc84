"""Scrapy item pipeline: raw postings into SQLite, run bookkeeping, health, lifecycle."""
from __future__ import annotations

import json
import re
import time

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from pipeline.crawl_state import ensure_table, mark_interrupted, save_states, touch_postings
from pipeline.health import (FIRST_RUN_FLOOR, WATCHED_FIELDS, CrawlSummary, assess, assess_check, fill_rates,
                             thresholds_from, warnings)
from pipeline.crawl_tally import COUNTED_FIELDS, TERRITORIAL_REF, kept_stats  # shared with cluster collect
from pipeline.sources import UNLISTED_SOURCE
from pipeline.lifecycle import rebuild_offers
from pipeline.progress import Progress
from pipeline.record import RawPosting
from pipeline.store import (finish_run, last_healthy_run, mark_gone, open_db, promote_run,
                            record_errors, start_run, utcnow, write_raw_postings, write_transaction)
from spiders.incremental import DetailPage
from spiders.reachability import unreachable

# A batch is written when it holds BATCH_SIZE postings or is FLUSH_SECONDS old: a crawl
# killed mid-way loses at most that (the next one does not fetch again what was stored).
BATCH_SIZE = 100
FLUSH_SECONDS = 0.5
# Below this many detail pages fetched, health judges the fill rates of every offer seen
# (the fetched ones and the stored records of those skipped): a handful is no sample.
MIN_SAMPLE = 30


class StorePipeline:
    """Buffers postings and writes them in batches; closes the run at the end."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = crawler.settings.get("OFFRES_DB")
        self.thresholds = thresholds_from(crawler.settings)
        # done/total of the offers, on a terminal only; OFFRES_PROGRESS=0 (-q) hides it
        self.progress = Progress("offers", enabled=crawler.settings.getbool("OFFRES_PROGRESS", True))
        self.buffer: list[RawPosting] = []
        self.states: list[dict] = []       # crawl_state rows of the pages in the batch
        self.touched: list[str] = []       # postings seen without being fetched (skipped, 304)
        self.flushed_at = time.monotonic()
        self.partial: set[str] = set()
        self.seen: set[str] = set()
        self.field_counts: dict[str, int] = dict.fromkeys(COUNTED_FIELDS + ("deadline_territorial",), 0)
        self.full = 0          # postings from a detail page (the denominator of fill rates)
        self.territorial = 0
        # the same counts over every offer seen, stored records of the pages not fetched included
        self.all_counts: dict[str, int] = dict(self.field_counts)
        self.all_full = 0
        self.all_territorial = 0
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
        ensure_table(self.db)
        mark_interrupted(self.db)  # under the crawl lock: an unfinished crawl run was killed
        self.run_id = start_run(self.db, "crawl", spider.name, base_url=spider.base_url,
                                parser_version=spider.parser_version)
        self.started = utcnow()

    def process_item(self, item, spider=None):
        if isinstance(item, DetailPage):
            self.process_page(item)
        elif isinstance(item, RawPosting) and item.source == UNLISTED_SOURCE:
            self.buffer.append(item)  # a page read outside the listing: stored, not part of its health
        else:
            posting = item if isinstance(item, RawPosting) else RawPosting.from_dict(ItemAdapter(item).asdict())
            self.process_posting(posting)
        spider = self.crawler.spider
        total = max(getattr(spider, "stated_total", None) or 0, getattr(spider, "listing_cards", 0) or 0)
        self.progress.update(len(self.seen), total=total or None)
        if len(self.buffer) >= BATCH_SIZE or time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()
        return item

    def process_page(self, page: DetailPage) -> None:
        """A card of the listing: its fetched page, its card alone, or a posting seen unfetched."""
        spider = self.crawler.spider
        state = {"url": page.url, "source": spider.name, "run_id": self.run_id}
        if page.outcome in ("skipped", "not_modified"):
            if page.posting_id in self.seen:
                self.stats.inc_value("offres/duplicate_in_listing")
                return
            self.seen.add(page.posting_id)
            self.touched.append(page.posting_id)
            self.count_filled(page.filled)
            if page.outcome == "not_modified":
                now = utcnow()
                self.states.append({**state, "fetched_at": now, "checked_at": now, "failed": 0,
                                    "etag": page.etag, "last_modified": page.last_modified})
            return
        filled = self.process_posting(page.posting)
        if filled is None:
            return
        if page.outcome == "failed":
            state.update(failed=1, checked_at=utcnow(), posting_id=page.posting_id)
        else:
            state.update(posting_id=page.posting_id, card_hash=page.card_hash, etag=page.etag,
                         last_modified=page.last_modified, fetched_at=page.posting.fetched_at,
                         checked_at=page.posting.fetched_at, failed=0, filled=filled,
                         parser_version=spider.parser_version)
        self.states.append(state)

    def process_posting(self, posting: RawPosting) -> list[str] | None:
        """Buffer a posting; returns the fields it fills (None for a duplicate)."""
        pid = posting.posting_id()
        if pid in self.seen:
            self.stats.inc_value("offres/duplicate_in_listing")
            return None
        self.seen.add(pid)
        filled: list[str] = []
        if "listing_only" in posting.extra:
            self.partial.add(pid)
            self.errors.append({"location": posting.url, "field": "*", "message": posting.extra["listing_only"]})
        else:  # a card alone says little: fill rates are those of detail pages
            filled = self.count_fields(posting)
        if "link_conflict" in posting.extra:  # a data-quality warning: recorded, not a failure
            self.warnings.append({"location": posting.url, "field": "url", "message": posting.extra["link_conflict"]})
        self.buffer.append(posting)
        return filled

    def count_fields(self, posting: RawPosting) -> list[str]:
        """Count every field of the raw record (health watches all of them); returns those filled."""
        filled = [name for name in COUNTED_FIELDS if getattr(posting, name)]
        for name in WATCHED_FIELDS:
            if not getattr(posting, name, None):
                self.stats.inc_value(f"offres/field_missing/{name}")
        if posting.reference and TERRITORIAL_REF.match(posting.reference):
            filled.append("territorial")
            if posting.deadline:
                filled.append("deadline_territorial")
        self.full += 1
        self.territorial += "territorial" in filled
        for name in filled:
            if name in self.field_counts:
                self.field_counts[name] += 1
        self.count_filled(filled)
        return filled

    def count_filled(self, filled: list[str]) -> None:
        """Add one offer's filled fields to the counts over every offer seen."""
        self.all_full += 1
        self.all_territorial += "territorial" in filled
        for name in filled:
            if name in self.all_counts:
                self.all_counts[name] += 1

    def flush(self) -> None:
        """Write the batch: postings, their pages' crawl state, the postings seen unfetched."""
        self.flushed_at = time.monotonic()
        if not (self.buffer or self.states or self.touched):
            return
        with write_transaction(self.db):  # one transaction: a kill leaves all of it or none
            # Untrusted until the crawl is judged healthy (see spider_closed).
            result = write_raw_postings(self.db, self.buffer, self.run_id, trusted=False,
                                        parser_version=self.crawler.spider.parser_version, partial_ids=self.partial)
            touch_postings(self.db, self.touched, self.run_id, utcnow())
            save_states(self.db, self.states)
        self.new += result.new_postings
        self.buffer, self.states, self.touched = [], [], []

    def kept_stats(self) -> dict:
        """The data-quality and fetch counters worth keeping with the run."""
        return kept_stats(self.stats.get_stats())

    def close_spider(self, spider=None) -> None:
        self.flush()

    def spider_closed(self, spider, reason: str) -> None:
        """Judge the crawl, close what it proves gone, rebuild the offers, record the run."""
        # Detail requests dropped silently (a middleware filtered them): their cards stay.
        unanswered = getattr(spider, "unanswered_pages", None) or getattr(spider, "unanswered_postings", list)
        for item in unanswered():
            self.process_item(item)
        errors = len(self.errors) + (self.stats.get_value("offres/listing_errors") or 0)
        # Fill rates over every offer seen are recorded (the next crawl's baseline); health judges
        # those of the pages fetched when they are a sample (a markup change shows there first).
        recorded = fill_rates(self.all_counts, self.all_full, {"deadline_territorial": self.all_territorial})
        rates = recorded
        if self.full >= MIN_SAMPLE:
            rates = fill_rates(self.field_counts, self.full, {"deadline_territorial": self.territorial})
        summary = CrawlSummary(complete=spider.listing_complete and not spider.listing_failed,
                               offers_seen=len(self.seen), errors=errors,
                               fill_rates=rates, finish_reason=reason)
        previous = last_healthy_run(self.db, spider.name, before_id=self.run_id)
        if previous:
            previous = {**previous, "fill_rates": json.loads(previous["fill_rates"] or "{}")}
        check_only = getattr(spider, "check_only", False)  # a between-crawls check (RSS): new offers only
        if check_only:
            healthy, notes = assess_check(summary)
        else:
            healthy, notes = assess(summary, previous, getattr(spider, "first_run_floors", FIRST_RUN_FLOOR),
                                    self.thresholds)
        warned = warnings(summary, previous, self.thresholds) if healthy and not check_only else []
        unreached = unreachable(self.stats.get_stats(), spider.pages, spider.base_url,
                                getattr(spider, "listing_problems", []))
        self.progress.close()
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
        rebuilt = rebuild_offers(self.db, run_id=self.run_id, progress=self.progress)
        self.progress.close()
        finish_run(self.db, self.run_id, pages=spider.pages, offers_seen=len(self.seen),
                   offers_new=rebuilt.new, offers_updated=rebuilt.updated, offers_closed=rebuilt.closed,
                   offers_reopened=rebuilt.reopened, errors=errors, finish_reason=reason,
                   complete=int(summary.complete), healthy=int(healthy), health_notes="; ".join(notes) or None,
                   fill_rates=json.dumps(recorded), stats=json.dumps(self.kept_stats(), default=str),
                   health_warnings="; ".join(warned) or None, unreachable=unreached)
        self.stats.set_value("offres/run_id", self.run_id)
        self.stats.set_value("offres/postings_gone", closed_postings)
