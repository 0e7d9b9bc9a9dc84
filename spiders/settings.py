"""Scrapy settings: polite by default on real sites, fast on a loopback replica."""
from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

CONSOLES = ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")
COOKIES = ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware",)
CONTACT_URL = os.environ.get("OFFRES_CONTACT_URL", "https://www.numerique.gouv.fr/rejoignez-nous/")
USER_AGENT = f"offres/0.1 (+{CONTACT_URL}; digital public-sector job offers aggregator)"

POLITE = {
    "BOT_NAME": "offres",
    "USER_AGENT": USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 4,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": 2.0,
    "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50% around the delay
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 2.0,
    "AUTOTHROTTLE_MAX_DELAY": 60.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 3,
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "RETRY_BACKOFF_BASE": 5.0,
    "RETRY_BACKOFF_MAX": 120.0,
    # A Retry-After longer than this is a ban: the source is stopped for this run.
    "OFFRES_MAX_RETRY_AFTER": 300.0,
    "DOWNLOAD_TIMEOUT": 60,
    # Real Numérique listing pages weigh about 4.5 MB (facets); the cap leaves room.
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 12 * 1024 * 1024,
    # Items are stored synchronously in batches: Scrapy's default of 100 concurrent items
    # spawned 100 asyncio tasks per response for nothing (a quarter of the crawl's CPU).
    "CONCURRENT_ITEMS": 4,
    # Scrapy re-reads and re-parses (ast) a generator callback's source on every response to
    # warn about `return value` in it: its cache is keyed by bound methods, which die at once.
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    "COOKIES_ENABLED": False,
    # No console into a cron crawl. Scrapy 2.19's RemoteControl serves, on a local port, an
    # endpoint that runs the Python it is sent (its token in a job file of the user's profile):
    # off, and not even imported (aiohttp: 0.19 s of every crawl's start), like the telnet console
    # (`extensions_base`, added by `crawl_settings` and the node's settings).
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "spiders.retry.BackoffRetryMiddleware": 550,
        "spiders.middlewares.OffHostRedirectMiddleware": 650,  # sees redirects before RedirectMiddleware
    },
    "ITEM_PIPELINES": {"spiders.store_pipeline.StorePipeline": 300},
    # Incremental crawl (spiders/incremental.py): a stored detail page is fetched again after
    # the refresh window (spread over it), never within the freshness window; OFFRES_FULL: all.
    "OFFRES_REFRESH_DAYS": 7.0,
    "OFFRES_FRESH_HOURS": 6.0,
    "OFFRES_FULL": False,
    # Pages of digital offers the open-data file found outside the Numérique listing
    # (pipeline/detail_queue.py): at most this many per CSP crawl; 0 turns it off.
    "OFFRES_UNLISTED_BUDGET": 100,
}

# A replica or mirror on this machine: no delay, no throttling, quick retries.
LOOPBACK = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_BACKOFF_BASE": 0.05,
    "RETRY_BACKOFF_MAX": 0.5,
    "DOWNLOAD_TIMEOUT": 20,
}


def is_loopback(url: str | None) -> bool:
    """True when the URL's host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def extensions_base() -> dict[str, int]:
    """Scrapy's base extensions without the consoles (`CONSOLES`). Naming one in EXTENSIONS, even
    as None, imports it (Scrapy loads the keys it is given): the base list leaves them out instead."""
    from scrapy.settings import default_settings  # here: importing Scrapy costs 0.5 s a command that only reads

    return {path: order for path, order in default_settings.EXTENSIONS_BASE.items() if path not in CONSOLES}


def crawl_settings(base_url: str | None, db_path: str, overrides: dict | None = None) -> dict:
    """The settings of one crawl: polite defaults, loopback relaxations, then overrides."""
    settings = dict(POLITE)
    settings["EXTENSIONS_BASE"] = extensions_base()
    if is_loopback(base_url):
        settings.update(LOOPBACK)
    settings["OFFRES_DB"] = db_path
    # health thresholds (pipeline.health.THRESHOLD_SETTINGS) from the environment; -s wins
    settings.update({k: v for k, v in os.environ.items() if k.startswith("OFFRES_HEALTH_")})
    settings.update(overrides or {})
    from scrapy.settings import BaseSettings

    if not BaseSettings(settings).getbool("COOKIES_ENABLED", True):  # Scrapy's own reading of the value
        settings["DOWNLOADER_MIDDLEWARES_BASE"] = middlewares_base(COOKIES)
    return settings


def middlewares_base(left_out: tuple[str, ...]) -> dict[str, int]:
    """Scrapy's base downloader middlewares without `left_out`: with cookies off, their
    middleware (it only raises NotConfigured) is not imported either (tldextract: 30-75 ms
    of every crawl's start). A `-s COOKIES_ENABLED=True` keeps it: the check runs after the overrides."""
    from scrapy.settings import default_settings

    return {path: order for path, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items() if path not in left_out}
