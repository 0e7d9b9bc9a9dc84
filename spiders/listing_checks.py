"""What proves a listing complete: the count the board states, reached (with slack).

Only a complete listing may close offers (docs/crawling.md). Shared by the spiders whose
boards state a page count or a result count.
"""
from __future__ import annotations

from typing import Any

# Offers published or withdrawn during the crawl shift the pages: 2% slack.
SLACK = 0.98


def short_of(seen: int, stated: int | None) -> bool:
    """Whether `seen` cards or rows fall short of the `stated` total (with the slack)."""
    return stated is not None and seen < stated * SLACK


def mark_listing_short(spider: Any, problem: str) -> None:
    """Record why the listing is not complete: a health problem, a stats counter, an error line."""
    spider.listing_problems.append(problem)
    spider.crawler.stats.inc_value("offres/listing_short")
    spider.logger.error("%s", problem)
    spider.listing_complete = False
