"""Retries with exponential backoff (Scrapy's RetryMiddleware retries at once)."""
from __future__ import annotations

import asyncio
import random

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response


class BackoffRetryMiddleware(RetryMiddleware):
    """Waits base * 2**(attempt-1) seconds (or the server's Retry-After) before a retry."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 5.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    def delay_for(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before sending `request` (a retry) again."""
        attempt = request.meta.get("retry_times", 1)
        delay = self.base * 2 ** (attempt - 1)
        if response is not None:
            header = response.headers.get(b"Retry-After")
            if header and header.strip().isdigit():
                delay = max(delay, float(header.strip()))
        return min(self.cap, delay) * random.uniform(0.8, 1.2)

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self.delay_for(result, response))
        return result

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self.delay_for(result))
        return result
