"""The crawl benchmark's baseline: a bare Scrapy spider that downloads a list of URLs.

Same settings as `offres crawl` (spiders.settings.crawl_settings: robots.txt, retries,
middlewares, concurrency), but no parsing, no item, no database: what Scrapy itself
costs to fetch those pages. Run in its own process (one reactor per process):

    python -m bench.bare_spider URLS.txt     # prints "<pages> <seconds>"
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

from spiders.settings import crawl_settings


class BareSpider(scrapy.Spider):
    """Fetches every URL of the list and keeps nothing."""

    name = "bare"

    def __init__(self, urls: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.pages = 0

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        self.pages += 1
        return None


def main(path: str) -> int:
    urls = Path(path).read_text().split()
    settings = crawl_settings(urls[0], ":memory:")
    settings["ITEM_PIPELINES"] = {}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    start = time.perf_counter()
    process.crawl(crawler, urls=urls)
    process.start()
    print(crawler.spider.pages, f"{time.perf_counter() - start:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
