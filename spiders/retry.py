"""Retries with exponential backoff (Scrapy's RetryMiddleware retries at once).

A server's `Retry-After` (seconds or an HTTP-date) is honoured: the retry is never sent
earlier (jitter only adds). A `Retry-After` beyond `OFFRES_MAX_RETRY_AFTER` is a ban:
the source is stopped for this run (finish reason "banned"), not slept on.
"""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked by a `Retry-After` header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Waits base * 2**(attempt-1) seconds (capped), or longer when the server asks, before a retry."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 5.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.max_retry_after = settings.getfloat("OFFRES_MAX_RETRY_AFTER", 300.0)
        self.crawler = None
        self.banned = False

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    def delay_for(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before sending `request` (a retry) again."""
        attempt = request.meta.get("retry_times", 1)
        delay = min(self.cap, self.base * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
        asked = retry_after_seconds(response.headers.get(b"Retry-After")) if response is not None else None
        if asked is not None:  # never earlier than asked: +0-10% only
            delay = max(delay, asked * random.uniform(1.0, 1.1))
        return delay

    def ban(self, request: Request, asked: float) -> None:
        """Stop this source for this run: close the spider with reason "banned"."""
        if self.crawler is not None:
            self.crawler.stats.inc_value("offres/banned")
            self.crawler.stats.set_value("offres/banned_retry_after", asked)
        if not self.banned and self.crawler is not None and self.crawler.engine is not None:
            self.banned = True
            engine = self.crawler.engine
            if hasattr(engine, "close_spider_async"):
                asyncio.ensure_future(engine.close_spider_async(reason="banned"))
            else:  # Scrapy < 2.14
                engine.close_spider(self.crawler.spider, reason="banned")
        raise IgnoreRequest(f"banned: Retry-After {asked:.0f} s (over {self.max_retry_after:.0f} s)")

    async def process_response(self, request, response, spider=None):
        if self.banned:
            raise IgnoreRequest("banned: source stopped for this run")
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if response.status in self.retry_http_codes and asked is not None and asked > self.max_retry_after:
            self.ban(request, asked)
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self.delay_for(result, response))
        return result

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self.delay_for(result))
        return result
