"""choisirleservicepublic.gouv.fr: the Numérique listing, then each offer's page.

Crawling only; the pages are read by the pure functions of `parsers.csp`.
"""
from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from parsers.csp import PARSER_VERSION, SOURCE, ParseError, parse_listing, parse_offer
from pipeline.record import RawPosting
from pipeline.store import utcnow

DEFAULT_BASE_URL = "https://choisirleservicepublic.gouv.fr"
LISTING_PATH = "/nos-offres/filtres/domaine/3522/"
CARD_FIELDS = ("title", "employer", "versant", "published")


class CspSpider(scrapy.Spider):
    """Crawls the Numérique domain listing page by page, and every offer in it."""

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

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.listing_request(self.base_url + LISTING_PATH)

    def listing_request(self, url: str) -> scrapy.Request:
        self.visited.add(url)
        return scrapy.Request(url, callback=self.parse_listing_page, errback=self.listing_error, priority=10)

    def parse_listing_page(self, response: Response):
        self.pages += 1
        self.crawler.stats.inc_value("offres/listing_pages")
        page = parse_listing(response.text, response.url)
        cards = page["cards"]
        self.crawler.stats.inc_value("offres/listing_cards", len(cards))
        for card in cards:
            if urlsplit(card["url"]).hostname != self.host:
                self.crawler.stats.inc_value("offres/offsite_link")
                yield self.card_posting(card, reason=f"offer link outside {self.host}: not followed")
                continue
            yield scrapy.Request(card["url"], callback=self.parse_offer_page, errback=self.offer_error,
                                 cb_kwargs={"card": card})
        next_url = page["next_url"]
        if not cards or not next_url:
            self.listing_complete = self.pages > 0 and not self.listing_failed
            if not cards and self.pages == 1:
                self.logger.warning("first listing page has no offer card: markup changed?")
                self.listing_complete = False
        elif next_url in self.visited:
            self.logger.warning("pagination loops back to %s: listing left incomplete", next_url)
            self.crawler.stats.inc_value("offres/pagination_loop")
        elif self.pages >= self.max_pages:
            self.logger.warning("stopped after %d listing pages (max_pages)", self.pages)
            self.crawler.stats.inc_value("offres/max_pages_reached")
        else:
            yield self.listing_request(next_url)

    def listing_error(self, failure: Failure):
        self.listing_failed = True
        self.crawler.stats.inc_value("offres/listing_errors")
        self.logger.error("listing page failed: %s (%s)", failure.request.url, failure.getErrorMessage())

    def parse_offer_page(self, response: Response, card: dict):
        try:
            record = parse_offer(response.text, response.url)
        except ParseError as exc:
            self.crawler.stats.inc_value(f"offres/parse_error/{exc.field}")
            yield self.card_posting(card, reason=str(exc))
            return
        for name in CARD_FIELDS:  # the card fills what the page lacks
            if not record.get(name) and card.get(name):
                record[name] = card[name]
                self.crawler.stats.inc_value(f"offres/filled_from_card/{name}")
        if not record.get("location") and card.get("location_area"):
            record["location"] = card["location_area"]
        record["fetched_at"] = utcnow()
        yield RawPosting.from_dict(record, where=response.url)

    def offer_error(self, failure: Failure):
        card = failure.request.cb_kwargs["card"]
        self.crawler.stats.inc_value("offres/offer_errors")
        yield self.card_posting(card, reason=f"detail page failed: {failure.getErrorMessage()}")

    def card_posting(self, card: dict, reason: str) -> RawPosting:
        """What the listing card alone says, when the detail page cannot be had."""
        record = {k: v for k, v in card.items() if k != "tags"}
        record.update(source=SOURCE, fetched_at=utcnow(),
                      domain=card["tags"][0] if card.get("tags") else None,
                      location=card.get("location_area"))
        posting = RawPosting.from_dict(record, where=card["url"])
        posting.extra["listing_only"] = reason
        return posting
