"""choisirleservicepublic.gouv.fr: the Numérique listing, then each offer's page.

Crawling only; the pages are read by the pure functions of `parsers.csp`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from parsers.csp import PARSER_VERSION, SOURCE, ParseError, parse_listing, parse_offer
from pipeline.crawl_state import load_state
from pipeline.record import RawPosting
from pipeline.store import open_db, utcnow
from spiders.csp_unlisted import UnlistedPages
from spiders.incremental import DetailPage, Policy, card_hash, conditional_headers
from spiders.listing_checks import mark_listing_short, short_of

DEFAULT_BASE_URL = "https://choisirleservicepublic.gouv.fr"
LISTING_PATH = "/nos-offres/filtres/domaine/3522/"
CARD_FIELDS = ("title", "employer", "versant", "published")


class CspSpider(UnlistedPages, scrapy.Spider):
    """Crawls the Numérique domain listing page by page, and every offer in it; then, within
    a budget, the pages of digital offers the open-data file found outside it (spiders.csp_unlisted)."""

    name = SOURCE
    parser_version = PARSER_VERSION

    def __init__(self, base_url: str | None = None, max_pages: int | str = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.host = urlsplit(self.base_url).hostname
        self.allowed_domains = [self.host]  # a mirror's links never lead to the real site
        self.max_pages = int(max_pages)
        self.pages = 0
        self.listing_complete = False
        self.listing_failed = False
        self.visited: set[str] = set()
        self.listing_cards = 0
        self.stated_total: int | None = None      # "N offres d'emploi", when the board says it
        self.stated_last_page: int | None = None  # the "Dernière page" link
        self.listing_problems: list[str] = []
        self.pending: dict[str, dict] = {}  # detail pages asked for and not answered yet: their cards
        self.known: dict[str, dict] = {}    # what the store knows of each offer URL (crawl_state)
        self.incremental = False

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.policy = Policy.from_settings(self.settings, self.parser_version)
        self.now = datetime.now(timezone.utc)
        db_path = self.settings.get("OFFRES_DB")
        # Without a database (a Scrapyd node writing a feed) the crawl is a full one and its
        # items are plain raw postings; with one, DetailPage items carry the crawl state too.
        self.incremental = bool(db_path)
        unlisted: list[str] = []
        if db_path:
            db = open_db(db_path)
            self.known = load_state(db, SOURCE)
            unlisted = self.unlisted_due(db)
            db.close()
        yield self.listing_request(self.base_url + LISTING_PATH)
        for request in self.unlisted_requests(unlisted):
            yield request

    def closed(self, reason: str) -> None:
        self.save_unlisted_outcomes(self.settings.get("OFFRES_DB"))

    def listing_request(self, url: str) -> scrapy.Request:
        self.visited.add(url)
        return scrapy.Request(url, callback=self.parse_listing_page, errback=self.listing_error, priority=10)

    def parse_listing_page(self, response: Response):
        self.pages += 1
        self.crawler.stats.inc_value("offres/listing_pages")
        page = parse_listing(response.text, response.url)
        cards = page["cards"]
        self.crawler.stats.inc_value("offres/listing_cards", len(cards))
        self.listing_cards += len(cards)
        if page["total"] is not None:
            self.stated_total = page["total"]
        if page["last_page"] is not None:
            self.stated_last_page = max(self.stated_last_page or 0, page["last_page"])
        for card in cards:
            if urlsplit(card["url"]).hostname != self.host:
                self.crawler.stats.inc_value("offres/offsite_link")
                yield self.card_posting(card, reason=f"offer link outside {self.host}: not followed")
                continue
            yield self.emit(self.detail_request(card))
        next_url = page["next_url"]
        if not cards and not page["no_result"] and not page["has_pagination"]:
            # A 200 that is not a listing page (a block page, a redesign): an error, not the end.
            self.listing_failed = True
            self.crawler.stats.inc_value("offres/listing_errors")
            self.crawler.stats.inc_value("offres/listing_not_a_listing")
            self.listing_problems.append(f"listing page {self.pages} ({response.url}) has no offer card, "
                                         "no 'no result' marker and no pagination")
            self.logger.error("%s", self.listing_problems[-1])
        elif not cards or not next_url:
            self.listing_complete = self.pages > 0 and not self.listing_failed
            if not cards and not page["no_result"]:
                self.listing_problems.append(f"listing page {self.pages} has no offer card: markup changed?")
                self.logger.warning("%s", self.listing_problems[-1])
                self.listing_complete = False
            self.check_stated_size()
        elif next_url in self.visited:
            self.logger.warning("pagination loops back to %s: listing left incomplete", next_url)
            self.crawler.stats.inc_value("offres/pagination_loop")
        elif self.pages >= self.max_pages:
            self.logger.warning("stopped after %d listing pages (max_pages)", self.pages)
            self.crawler.stats.inc_value("offres/max_pages_reached")
        else:
            yield self.listing_request(next_url)

    def detail_request(self, card: dict) -> scrapy.Request | DetailPage:
        """The card's detail request, or a `skipped` DetailPage when the stored one is fresh."""
        url, digest = card["url"], card_hash(card)
        card["card_hash"] = digest
        state = self.known.get(url)
        reason = self.policy.decide(url, digest, state, self.now)
        if reason is None:
            self.crawler.stats.inc_value("offres/detail_skipped/fresh")
            return DetailPage(url, "skipped", "fresh", digest, posting_id=state["posting_id"],
                              filled=state["filled"])
        self.crawler.stats.inc_value(f"offres/detail_fetched/{reason}")
        self.pending[url] = card
        headers, meta = {}, {"reason": reason}
        if reason == "refresh":
            headers = conditional_headers(state)
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(url, callback=self.parse_offer_page, errback=self.offer_error, headers=headers,
                              meta=meta, cb_kwargs={"card": card})

    def check_stated_size(self) -> None:
        """A listing that ends before the page count or result count it stated is incomplete."""
        if self.stated_last_page and self.pages < self.stated_last_page:
            mark_listing_short(self, f"listing ended at page {self.pages}, the board states "
                                     f"{self.stated_last_page} pages")
        elif self.stated_total and short_of(self.listing_cards, self.stated_total):
            mark_listing_short(self, f"listing ended after {self.listing_cards} cards, the board states "
                                     f"{self.stated_total} offers")

    def listing_error(self, failure: Failure):
        self.listing_failed = True
        self.crawler.stats.inc_value("offres/listing_errors")
        self.listing_problems.append(f"listing page failed: {failure.request.url} ({failure.getErrorMessage()})")
        self.logger.error("%s", self.listing_problems[-1])

    def parse_offer_page(self, response: Response, card: dict):
        self.pending.pop(card["url"], None)
        reason = response.meta.get("reason", "new")
        headers = response.headers
        etag, modified = headers.get(b"ETag"), headers.get(b"Last-Modified")
        page = DetailPage(card["url"], "fetched", reason, card["card_hash"],
                          etag=etag.decode("latin-1") if etag else None,
                          last_modified=modified.decode("latin-1") if modified else None)
        if response.status == 304:  # the stored version is the page's: seen, nothing to store
            state = self.known[card["url"]]
            self.crawler.stats.inc_value("offres/detail_not_modified")
            page.outcome, page.posting_id, page.filled = "not_modified", state["posting_id"], state["filled"]
            page.etag, page.last_modified = page.etag or state["etag"], page.last_modified or state["last_modified"]
            yield self.emit(page)
            return
        try:
            record = parse_offer(response.text, response.url)
        except ParseError as exc:
            self.crawler.stats.inc_value(f"offres/parse_error/{exc.field}")
            yield self.emit(self.failed_page(card, reason=str(exc)))
            return
        for name in CARD_FIELDS:  # the card fills what the page lacks
            if not record.get(name) and card.get(name):
                record[name] = card[name]
                self.crawler.stats.inc_value(f"offres/filled_from_card/{name}")
        if not record.get("location") and card.get("location_area"):
            record["location"] = card["location_area"]
        record["fetched_at"] = utcnow()
        page.posting = RawPosting.from_dict(record, where=response.url)
        page.posting_id = page.posting.posting_id()
        yield self.emit(page)

    def offer_error(self, failure: Failure):
        card = failure.request.cb_kwargs["card"]
        self.pending.pop(card["url"], None)
        self.crawler.stats.inc_value("offres/offer_errors")
        self.crawler.stats.inc_value(f"offres/no_response/{failure.type.__name__}")
        yield self.emit(self.failed_page(card, reason=f"detail page failed: {failure.getErrorMessage()}"))

    def emit(self, item):
        """The item to yield: a DetailPage for the store, or its bare posting (no database)."""
        if self.incremental or not isinstance(item, DetailPage):
            return item
        return item.posting

    def unanswered_pages(self) -> list[DetailPage]:
        """Cards whose detail request was dropped without response or error (a middleware
        filtered it silently): kept as postings, never taken as gone."""
        pages = []
        for card in self.pending.values():
            self.crawler.stats.inc_value("offres/offer_errors")
            self.crawler.stats.inc_value("offres/no_response/dropped")
            pages.append(self.failed_page(card, reason="detail request dropped without response"))
        self.pending.clear()
        return pages

    def unanswered_postings(self) -> list[RawPosting]:
        """The card postings of `unanswered_pages` (what a node's summary reports)."""
        return [page.posting for page in self.unanswered_pages()]

    def failed_page(self, card: dict, reason: str) -> DetailPage:
        """A detail page that could not be had: the card's posting, to be fetched next time."""
        posting = self.card_posting(card, reason)
        state = self.known.get(card["url"])
        return DetailPage(card["url"], "failed", reason, card.get("card_hash"), posting=posting,
                          posting_id=state["posting_id"] if state else posting.posting_id())

    def card_posting(self, card: dict, reason: str) -> RawPosting:
        """What the listing card alone says, when the detail page cannot be had."""
        record = {k: v for k, v in card.items() if k not in ("tags", "card_hash")}
        record.update(source=SOURCE, fetched_at=utcnow(),
                      domain=card["tags"][0] if card.get("tags") else None,
                      location=card.get("location_area"))
        posting = RawPosting.from_dict(record, where=card["url"])
        posting.extra["listing_only"] = reason
        return posting
