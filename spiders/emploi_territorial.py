"""emploi-territorial.fr: the "Informatique et système d'information" family (A7) listing to
its end, proved by the total the board states, then each offer's page.

Crawling only; the pages are read by the pure functions of `parsers.emploi_territorial`.
With `-s OFFRES_ET_RSS_CHECK=1`, a cheap between-crawls check instead: the RSS feed's offers
not stored yet are fetched; such a run is never complete and closes nothing.
Incremental: an offer whose listing row is unchanged since its last stored detail page,
fetched less than `OFFRES_DETAIL_MAX_AGE_DAYS` ago, is not fetched again (its stored record
is seen again). See docs/sources/emploi_territorial.md.
"""
from __future__ import annotations

import hashlib
import json
from email.utils import parsedate_to_datetime
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from parsers.emploi_territorial import PARSER_VERSION, SOURCE, ParseError, parse_listing, parse_offer, parse_rss
from pipeline.normalize.text import fold
from pipeline.record import RawPosting
from pipeline.store import open_db, utcnow
from spiders.listing_checks import mark_listing_short, short_of

DEFAULT_BASE_URL = "https://www.emploi-territorial.fr"
LISTING_PATH = "/emploi-mobilite/"
FAMILY = "A7"  # Informatique et système d'information
FAMILY_LABEL = "informatique et systeme d'information"  # its label on detail pages (folded)
RSS_PATH = "/rss"
PER_PAGE = 20
ROW_ONLY = ("employer_id", "filiere", "location_area", "category")  # what only the listing row says
ROW_FILLS = ("reference", "title", "employer", "published", "deadline", "post_status")
SIGNATURE = ("title", "employer", "published", "deadline", "category", "location_area")
FIRST_RUN_FLOOR = {"employer": 0.8, "location": 0.8, "published": 0.8, "title": 0.95, "category": 0.5,
                   "missions_html": 0.5}


def published_at(value: str | None, iso: bool = False) -> datetime | None:
    """A feed's RFC 822 date (or an ISO one), timezone-aware; None when unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value) if iso else parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def row_signature(row: dict) -> str:
    """What a listing row says of its offer (title, employer, dates, catégories, département), hashed."""
    payload = json.dumps([row.get(k) or None for k in SIGNATURE], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def listing_url(base_url: str, page: int, family: str = FAMILY) -> str:
    """The listing page URL, as the board builds it."""
    return f"{base_url}{LISTING_PATH}?{urlencode({'search-fam-metier': family, 'page': page})}"


class EmploiTerritorialSpider(scrapy.Spider):
    """Crawls the A7 listing page by page to the stated total, and every offer in it."""

    name = SOURCE
    parser_version = PARSER_VERSION
    first_run_floors = FIRST_RUN_FLOOR

    def __init__(self, base_url: str | None = None, max_pages: int | str = 2000, family: str = FAMILY,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.host = urlsplit(self.base_url).hostname
        self.allowed_domains = [self.host]
        self.max_pages = int(max_pages)
        self.family = family
        self.pages = 0
        self.listing_complete = False
        self.listing_failed = False
        self.listing_rows = 0
        self.listed: set[str] = set()  # references listed so far
        self.stated_total: int | None = None
        self.listing_problems: list[str] = []
        self.pending: dict[str, dict] = {}
        self.known: dict[str, tuple[dict, str]] = {}
        self.check_only = False  # the RSS check: new offers only, proves nothing gone

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.known = self.stored_records()
        if self.settings.getbool("OFFRES_ET_RSS_CHECK", False):
            self.check_only = True
            yield scrapy.Request(f"{self.base_url}{RSS_PATH}?{urlencode({'search-fam-metier': self.family})}",
                                 callback=self.parse_feed, errback=self.listing_error, priority=10)
            return
        yield self.listing_request(1)

    def parse_feed(self, response: Response):
        """The RSS check: the detail page of each item not stored yet (the feed spans every family:
        an offer is kept only when its page files it under the crawled family)."""
        self.pages += 1
        items = parse_rss(response.text, response.url)
        self.crawler.stats.inc_value("offres/rss_items", len(items))
        stored, since = self.stored_ids(), self.last_run_start()
        for item in items:
            if RawPosting.from_dict(item, where=item["url"]).posting_id() in stored:
                continue
            published = published_at(item.get("pub_date"))
            if since and published and published < since - timedelta(days=1):
                self.crawler.stats.inc_value("offres/rss_older_than_last_crawl")  # seen then, outside the family
                continue
            self.crawler.stats.inc_value("offres/rss_new")
            if urlsplit(item["url"]).hostname != self.host:
                self.crawler.stats.inc_value("offres/offsite_link")
                continue
            self.pending[item["url"]] = item
            yield scrapy.Request(item["url"], callback=self.parse_offer_page, errback=self.offer_error,
                                 cb_kwargs={"row": item})

    def last_run_start(self) -> datetime | None:
        """When the last healthy run of this board started (a feed item older than that was seen then)."""
        path = self.settings.get("OFFRES_DB")
        row = next(open_db(path).query("select started_at from runs where kind = 'crawl' and source = ? and "
                                       "healthy = 1 order by id desc limit 1", [SOURCE]), None) if path else None
        return published_at(row["started_at"], iso=True) if row else None

    def stored_ids(self) -> set[str]:
        """Every stored posting id of this board that is not gone."""
        path = self.settings.get("OFFRES_DB")
        if not path:
            return set()
        return {r["id"] for r in open_db(path).query(
            "select id from postings where source = ? and gone_at is null", [SOURCE])}

    def stored_records(self) -> dict[str, tuple[dict, str]]:
        """{posting id: (record, fetched_at)} of this board's stored detail pages (the incremental rule)."""
        path = self.settings.get("OFFRES_DB")
        if not path or not self.settings.getbool("OFFRES_INCREMENTAL", True):
            return {}
        db = open_db(path)
        rows = db.query("select p.id, r.record, r.fetched_at from postings p join raw_postings r on r.id = p.raw_id "
                        "where p.source = ? and p.gone_at is null", [SOURCE])
        out = {}
        for row in rows:
            record = json.loads(row["record"])
            if "listing_only" not in (record.get("extra") or {}):  # a card alone is no proof of an unchanged page
                out[row["id"]] = (record, row["fetched_at"])
        return out

    def listing_request(self, page: int) -> scrapy.Request:
        return scrapy.Request(listing_url(self.base_url, page, self.family), callback=self.parse_listing_page,
                              errback=self.listing_error, priority=10, cb_kwargs={"page": page})

    def parse_listing_page(self, response: Response, page: int):
        self.pages += 1
        self.crawler.stats.inc_value("offres/listing_pages")
        parsed = parse_listing(response.text, response.url)
        rows = [r for r in parsed["rows"] if r["reference"].upper() not in self.listed]
        self.crawler.stats.inc_value("offres/listing_cards", len(parsed["rows"]))
        self.listed.update(r["reference"].upper() for r in rows)
        self.listing_rows = len(self.listed)  # distinct offers: a page served twice proves nothing
        if parsed["total"] is not None:
            self.stated_total = parsed["total"]
        for row in rows:
            yield from self.follow(row)
        if parsed["rows"] and not rows:
            self.listing_failed = True  # the page brought nothing new: the board ignores the page number
            self.crawler.stats.inc_value("offres/pagination_loop")
            self.listing_problems.append(f"listing page {page} repeats offers already listed: pagination broken, "
                                         f"{self.listing_rows} of {self.stated_total} offers seen")
            self.logger.error("%s", self.listing_problems[-1])
            self.finish_listing(page)
        elif not rows and not parsed["no_result"] and not parsed["is_listing"]:
            # A 200 that is not a listing page (a block page, a redesign): an error, not the end.
            self.listing_failed = True
            self.crawler.stats.inc_value("offres/listing_errors")
            self.crawler.stats.inc_value("offres/listing_not_a_listing")
            self.listing_problems.append(f"listing page {page} ({response.url}) has no offer row, no result "
                                         "count and no 'no result' marker")
            self.logger.error("%s", self.listing_problems[-1])
        elif rows and self.stated_total is not None and self.listing_rows < self.stated_total:
            if self.pages >= self.max_pages:
                self.logger.warning("stopped after %d listing pages (max_pages)", self.pages)
                self.crawler.stats.inc_value("offres/max_pages_reached")
            else:
                yield self.listing_request(page + 1)
        else:
            self.finish_listing(page)

    def finish_listing(self, page: int) -> None:
        """The listing ended: complete only when the rows seen reach the total the board states."""
        self.listing_complete = not self.listing_failed
        if self.stated_total is None:
            mark_listing_short(self, f"listing ended at page {page} without a stated result count "
                                     "(#nb-offres): completeness not proved")
        elif short_of(self.listing_rows, self.stated_total):
            mark_listing_short(self, f"listing ended after {self.listing_rows} rows, the board states "
                                     f"{self.stated_total} offers")

    def follow(self, row: dict):
        """The detail request of a row, or its stored record when the incremental rule allows."""
        if urlsplit(row["url"]).hostname != self.host:
            self.crawler.stats.inc_value("offres/offsite_link")
            yield self.card_posting(row, reason=f"offer link outside {self.host}: not followed")
            return
        stored = self.unchanged_record(row)
        if stored is not None:
            self.crawler.stats.inc_value("offres/detail_skipped_unchanged")
            yield RawPosting.from_dict({**stored, "fetched_at": utcnow()}, where=row["url"])
            return
        self.pending[row["url"]] = row
        yield scrapy.Request(row["url"], callback=self.parse_offer_page, errback=self.offer_error,
                             cb_kwargs={"row": row})

    def unchanged_record(self, row: dict) -> dict | None:
        """The stored record of an offer whose row says the same and whose page is recent enough."""
        posting_id = RawPosting.from_dict(row, where=row["url"]).posting_id()
        found = self.known.get(posting_id)
        if found is None:
            return None
        record, fetched_at = found
        if (record.get("extra") or {}).get("row_signature") != row_signature(row):
            return None  # the row changed since the page was fetched (or the page came from the feed)
        max_age = timedelta(days=self.settings.getfloat("OFFRES_DETAIL_MAX_AGE_DAYS", 7.0))
        try:
            fetched = datetime.fromisoformat(fetched_at)
        except (TypeError, ValueError):
            return None
        fetched = fetched if fetched.tzinfo else fetched.replace(tzinfo=timezone.utc)
        return record if datetime.now(timezone.utc) - fetched < max_age else None

    def listing_error(self, failure: Failure):
        self.listing_failed = True
        self.crawler.stats.inc_value("offres/listing_errors")
        self.listing_problems.append(f"listing page failed: {failure.request.url} ({failure.getErrorMessage()})")
        self.logger.error("%s", self.listing_problems[-1])

    def parse_offer_page(self, response: Response, row: dict):
        self.pending.pop(row["url"], None)
        try:
            page = parse_offer(response.text, response.url)
        except ParseError as exc:
            self.crawler.stats.inc_value(f"offres/parse_error/{exc.field}")
            yield self.card_posting(row, reason=str(exc))
            return
        if self.check_only and not fold(page.get("domain") or "").startswith(FAMILY_LABEL):
            self.crawler.stats.inc_value("offres/rss_other_family")  # not listed under the family
            return
        record = {**page, **{k: row[k] for k in ROW_ONLY if row.get(k)}}
        for name in ROW_FILLS:  # the row fills what the page lacks
            if not record.get(name) and row.get(name):
                record[name] = row[name]
                self.crawler.stats.inc_value(f"offres/filled_from_card/{name}")
        record["url"] = row["url"] if urlsplit(response.url).path == urlsplit(row["url"]).path else record["url"]
        record["row_signature"] = row_signature(row)
        record["fetched_at"] = utcnow()
        yield RawPosting.from_dict(record, where=response.url)

    def offer_error(self, failure: Failure):
        row = failure.request.cb_kwargs["row"]
        self.pending.pop(row["url"], None)
        self.crawler.stats.inc_value("offres/offer_errors")
        self.crawler.stats.inc_value(f"offres/no_response/{failure.type.__name__}")
        yield self.card_posting(row, reason=f"detail page failed: {failure.getErrorMessage()}")

    def unanswered_postings(self) -> list[RawPosting]:
        """Rows whose detail request was dropped without response or error: kept, never taken as gone."""
        postings = []
        for row in self.pending.values():
            self.crawler.stats.inc_value("offres/offer_errors")
            self.crawler.stats.inc_value("offres/no_response/dropped")
            postings.append(self.card_posting(row, reason="detail request dropped without response"))
        self.pending.clear()
        return postings

    def card_posting(self, row: dict, reason: str) -> RawPosting:
        """What the listing row alone says, when the detail page cannot be had."""
        posting = RawPosting.from_dict({**row, "fetched_at": utcnow()}, where=row["url"])
        posting.extra["listing_only"] = reason
        return posting
