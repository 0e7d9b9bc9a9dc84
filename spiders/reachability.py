"""Could the source be reached at all? (connection refused, DNS, TLS, timeouts on every request)

A crawl that got no HTTP answer to any request but robots.txt, and failed with network
errors, did not find a broken site: it found none. `offres crawl` exits 5 for it.
"""
from __future__ import annotations

REASONS = (  # exception class name (as in Scrapy's downloader/exception_type_count/*) -> why
    ("ConnectionRefusedError", "connection refused"),
    ("DNSLookupError", "DNS lookup failed"),
    ("CannotResolveHost", "DNS lookup failed"),
    ("TimeoutError", "timed out"),
    ("TCPTimedOutError", "timed out"),
    ("SSL", "TLS handshake failed"),
    ("TLS", "TLS handshake failed"),
    ("NoRouteError", "no route to host"),
    ("ConnectionLost", "connection lost"),
    ("ResponseNeverReceived", "no response"),
    ("ConnectError", "connection failed"),
)


def network_reasons(stats: dict) -> list[str]:
    """The reasons of the network failures counted in a crawl's stats, most frequent first."""
    prefix = "downloader/exception_type_count/"
    counts: dict[str, int] = {}
    for key, value in stats.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        reason = next((why for marker, why in REASONS if marker in name), name.rsplit(".", 1)[-1])
        counts[reason] = counts.get(reason, 0) + int(value)
    return sorted(counts, key=lambda r: -counts[r])


def unreachable(stats: dict, pages: int, url: str, problems: list[str] | tuple = ()) -> str | None:
    """"why: what failed (URL and the network's message)" when the source could not be reached, else None.

    `pages` is how many listing pages were read; `problems` the spider's listing
    problems (their first one names the failing URL and the network's own message).
    """
    responses = (stats.get("downloader/response_count") or 0) - (stats.get("robotstxt/response_count") or 0)
    reasons = network_reasons(stats)
    if pages or responses > 0 or not reasons:
        return None
    detail = next((p for p in problems if "failed" in p), None)
    return f"{', '.join(reasons)}: {detail or url}"
