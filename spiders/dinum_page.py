"""The DINUM "Rejoignez-nous" page: a hand-kept list of offers linking to the board.

One page; read by `parsers.curated_page`. Its entries join the board's postings
in the deduplication (same reference), so they never make a second offer.
"""
from __future__ import annotations

from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from parsers.curated_page import PARSER_VERSION, SOURCE, parse_curated_page
from pipeline.record import RawPosting
from pipeline.store import utcnow

DEFAULT_BASE_URL = "https://www.numerique.gouv.fr"
PAGE_PATH = "/rejoignez-nous/"


class DinumPageSpider(scrapy.Spider):
    """Fetches the page once and yields one raw posting per listed offer."""

    name = SOURCE
    parser_version = PARSER_VERSION
    first_run_floors = {"employer": 0.8, "location": 0.5}  # a hand-kept page gives no versant nor date

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("max_pages", None)
        super().__init__(**kwargs)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.allowed_domains = [urlsplit(self.base_url).hostname]
        self.pages = 0
        self.listing_complete = False
        self.listing_failed = False
        self.listing_problems: list[str] = []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.base_url + PAGE_PATH, callback=self.parse_page, errback=self.page_error)

    def parse_page(self, response: Response):
        self.pages = 1
        page = parse_curated_page(response.text, response.url)
        fetched = utcnow()
        self.listing_complete = bool(page["records"])
        for problem in page["problems"]:
            self.crawler.stats.inc_value("offres/link_conflict")
            self.logger.warning("%s: %s", problem["location"], problem["message"])
        for record in page["records"]:
            yield RawPosting.from_dict({**record, "fetched_at": fetched}, where=response.url)

    def page_error(self, failure) -> None:
        self.listing_failed = True
        self.crawler.stats.inc_value("offres/listing_errors")
        self.listing_problems.append(f"page failed: {failure.request.url} ({failure.getErrorMessage()})")
        self.logger.error("%s", self.listing_problems[-1])
