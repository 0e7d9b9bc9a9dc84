"""On a Scrapyd node: log, as the job's last word, what the collector needs to judge it.

A node has no database, so what a local crawl's store pipeline judges on the
spot (was the listing complete, which cards had no detail page, the Scrapy
stats) travels in one log line: `OFFRES_NODE_SUMMARY {json}`. A job killed
before its end writes no such line, and the collector treats it as unhealthy.
"""
from __future__ import annotations

import json
import logging

from scrapy import signals
from scrapy.crawler import Crawler

MARKER = "OFFRES_NODE_SUMMARY"
logger = logging.getLogger(__name__)


class NodeRunSummary:
    """Scrapy extension: the spider's crawl verdict inputs and stats, logged at close."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "NodeRunSummary":
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason: str) -> None:
        unanswered = [posting.as_dict() for posting in getattr(spider, "unanswered_postings", list)()]
        summary = {
            "source": spider.name,
            "job": getattr(spider, "_job", None),
            "base_url": getattr(spider, "base_url", None),
            "parser_version": getattr(spider, "parser_version", None),
            "finish_reason": reason,
            "listing_complete": bool(getattr(spider, "listing_complete", False)),
            "listing_failed": bool(getattr(spider, "listing_failed", False)),
            "listing_problems": list(getattr(spider, "listing_problems", []))[:20],
            "pages": getattr(spider, "pages", 0),
            "items": self.crawler.stats.get_value("item_scraped_count", 0),
            "unanswered": unanswered,
            "stats": self.crawler.stats.get_stats(),
        }
        logger.warning("%s %s", MARKER, json.dumps(summary, ensure_ascii=False, default=str))
