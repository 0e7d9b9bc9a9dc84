"""Politeness on real sites, speed on a loopback replica; retries with backoff."""
from scrapy.http import Request, Response
from scrapy.settings import Settings

from spiders.retry import BackoffRetryMiddleware
from spiders.settings import crawl_settings, is_loopback


def test_real_site_is_crawled_politely():
    settings = crawl_settings("https://choisirleservicepublic.gouv.fr", "x.db")
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] >= 1 and settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["RETRY_TIMES"] >= 2 and settings["RETRY_BACKOFF_BASE"] >= 1
    assert settings["DOWNLOAD_MAXSIZE"] > 4.5 * 1024 * 1024 * 4
    assert "offres/" in settings["USER_AGENT"] and "+http" in settings["USER_AGENT"]
    assert crawl_settings(None, "x.db")["DOWNLOAD_DELAY"] >= 1  # the default is the real site


def test_loopback_is_fast():
    settings = crawl_settings("http://127.0.0.1:8000", "x.db")
    assert settings["DOWNLOAD_DELAY"] == 0 and settings["AUTOTHROTTLE_ENABLED"] is False
    assert all(is_loopback(u) for u in ("http://127.0.0.1:1", "http://localhost", "http://[::1]:80", "http://127.2.3.4"))
    assert not any(is_loopback(u) for u in ("https://choisirleservicepublic.gouv.fr", "http://10.0.0.1", None))


def test_backoff_grows_and_honours_retry_after():
    middleware = BackoffRetryMiddleware(Settings({"RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 60.0}))
    delays = [middleware.delay_for(Request("https://x.fr", meta={"retry_times": n})) for n in (1, 2, 3)]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8 and 6.4 <= delays[2] <= 9.6
    response = Response("https://x.fr", status=429, headers={"Retry-After": "30"})
    assert 24 <= middleware.delay_for(Request("https://x.fr", meta={"retry_times": 1}), response) <= 36
    assert middleware.delay_for(Request("https://x.fr", meta={"retry_times": 12})) <= 72
