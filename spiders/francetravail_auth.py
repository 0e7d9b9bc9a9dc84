"""Downloader middleware of the France Travail spider: OAuth2 token and request pacing.

- Every API request gets `Authorization: Bearer <token>`. The token (client credentials
  from the environment) is fetched before the first call and again `FRANCETRAVAIL_TOKEN_MARGIN`
  seconds (60) before it expires; a 401 on an API call (a token revoked early) fetches a new
  one and sends the request again, once.
- Requests are spaced so that no second holds more than `FRANCETRAVAIL_MAX_RPS` (3) of them,
  whatever the download delay or concurrency (retries after a 429 too).
- The credentials and the token are never logged, stored or put in a URL: they travel in the
  token request's form body and the Authorization header only. A refused token request closes
  the spider with reason "auth_failed" and one line in `spider.auth_error`.
"""
from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future

from spiders.retry import retry_after_seconds

SCOPE = "api_offresdemploiv2 o2dsoffre"
AUTH_RETRIES = 2  # a request refused with fresh tokens this many times: the credentials no longer work


class AuthFailed(Exception):
    """The token endpoint refused the credentials, or answered something unreadable."""


class FranceTravailAuthMiddleware:
    """Adds the bearer token (refreshed before expiry) and paces requests (<= N a second)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.max_rps = settings.getfloat("FRANCETRAVAIL_MAX_RPS", 3.0)
        self.margin = settings.getfloat("FRANCETRAVAIL_TOKEN_MARGIN", 60.0)
        # 15% under the limit: a callback holding the event loop delays one send and not the
        # next; the slack keeps even then no more than the limit in any second
        self.spacing = 1.0 / self.max_rps * 1.15 if self.max_rps > 0 else 0.0
        self.last_sent = 0.0
        self.hold_until = 0.0
        self.gate = asyncio.Lock()
        self.token: str | None = None
        self.expires_at = 0.0
        self.lock = asyncio.Lock()
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler) -> "FranceTravailAuthMiddleware":
        return cls(crawler)

    async def pace(self) -> None:
        """Let requests through one at a time, `spacing` seconds apart, none during a 429's hold."""
        async with self.gate:
            while True:
                wait = max(self.hold_until, self.last_sent + self.spacing) - time.monotonic()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self.last_sent = time.monotonic()

    async def fetch_token(self) -> None:
        spider = self.crawler.spider
        client_id, client_secret = spider.credentials()
        body = urlencode({"grant_type": "client_credentials", "client_id": client_id,
                          "client_secret": client_secret, "scope": SCOPE})
        request = Request(spider.token_url, method="POST", body=body, dont_filter=True,
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          meta={"ft_token": True, "dont_redirect": True})
        engine = self.crawler.engine
        if hasattr(engine, "download_async"):
            response = await engine.download_async(request)
        else:  # Scrapy < 2.14
            response = await maybe_deferred_to_future(engine.download(request))
        self.crawler.stats.inc_value("offres/ft/token_requests")
        if response.status != 200:
            try:
                error = json.loads(response.body).get("error") or ""
            except (ValueError, AttributeError):
                error = ""
            raise AuthFailed(f"the token endpoint refused the credentials (HTTP {response.status}"
                             f"{' ' + error if error else ''})")
        try:
            data = json.loads(response.body)
            token, lifetime = str(data["access_token"]), float(data.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError):
            raise AuthFailed("the token endpoint answered without a readable access_token") from None
        self.token = token
        self.expires_at = time.monotonic() + lifetime
        if lifetime <= self.margin * 2:  # a short-lived token: refresh at four fifths of its life
            self.expires_at = time.monotonic() + lifetime * 0.8 + self.margin

    async def ensure_token(self, stale: str | None = None) -> bool:
        """Fetch a token when there is none, it is near expiry, or it is `stale` (refused); True if fetched."""
        async with self.lock:
            if self.failed:
                raise IgnoreRequest("france travail: authentication failed")
            if self.token and self.token != stale and time.monotonic() < self.expires_at - self.margin:
                return False
            try:
                await self.fetch_token()
            except AuthFailed as exc:
                self.fail(str(exc))
                raise IgnoreRequest("france travail: authentication failed") from None
            if stale is not None:
                self.crawler.stats.inc_value("offres/ft/token_refreshed_after_401")
            return True

    def fail(self, message: str) -> None:
        """One line for the operator; the spider closes (reason auth_failed), nothing closed."""
        self.failed = True
        spider = self.crawler.spider
        spider.auth_error = f"francetravail: {message}"
        self.crawler.stats.set_value("offres/ft/auth_failed", 1)
        spider.logger.error("%s", spider.auth_error)
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):
            asyncio.ensure_future(engine.close_spider_async(reason="auth_failed"))
        else:  # Scrapy < 2.14
            engine.close_spider(spider, reason="auth_failed")

    async def process_request(self, request: Request, spider=None):
        await self.pace()
        if request.meta.get("ft_api") and not request.meta.get("ft_token"):
            if await self.ensure_token():  # the token request took the next slot: wait for another
                await self.pace()
            request.headers["Authorization"] = f"Bearer {self.token}"
            request.meta["ft_token_used"] = self.token
        return None

    def hold(self, response) -> None:
        """A 429: no request at all before its Retry-After (not only the retried one)."""
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None:
            self.hold_until = max(self.hold_until, time.monotonic() + asked * 1.05)
            self.crawler.stats.inc_value("offres/ft/held_for_retry_after")

    async def process_response(self, request: Request, response, spider=None):
        if response.status == 429:
            self.hold(response)
        if response.status != 401 or not request.meta.get("ft_api"):
            return response
        tries = request.meta.get("ft_auth_retries", 0)
        if tries >= AUTH_RETRIES:
            self.fail(f"the API refused {tries} fresh tokens in a row (HTTP 401 on {request.url.split('?')[0]})")
            raise IgnoreRequest("france travail: authentication failed")
        await self.ensure_token(stale=request.meta.get("ft_token_used"))
        retry = request.replace(dont_filter=True)
        retry.meta["ft_auth_retries"] = tries + 1
        return retry
