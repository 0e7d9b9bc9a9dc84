"""Downloader middleware: a redirect off the crawled host is an error of that request.

Scrapy's redirect middleware follows it and the offsite filter then drops the new
request silently (no errback, no item): the offer would look gone. Placed after
RedirectMiddleware (a higher order sees the response first), this turns such a
redirect into an `IgnoreRequest` that reaches the request's errback.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest

REDIRECTS = {301, 302, 303, 307, 308}


class OffHostRedirectMiddleware:
    """Fails a request whose response redirects to another host (or scheme than http/https)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> "OffHostRedirectMiddleware":
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in REDIRECTS or b"Location" not in response.headers:
            return response
        target = urljoin(request.url, response.headers[b"Location"].decode("latin-1").strip())
        parts = urlsplit(target)
        host = getattr(self.crawler.spider, "host", None) or urlsplit(request.url).hostname
        if parts.scheme in ("http", "https") and parts.hostname == host:
            return response
        self.crawler.stats.inc_value("offres/no_response/offhost_redirect")
        raise IgnoreRequest(f"redirected off {host} to {target}")
