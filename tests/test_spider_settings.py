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


def test_no_console_into_a_crawl():
    """Neither the telnet console nor Scrapy's RemoteControl (which runs the Python code it is sent
    over a local port) is built, on a machine crawl or a Scrapyd node; RemoteControl's module
    is not even imported."""
    from scrapy.utils.conf import build_component_list

    from spiders import node_settings

    node = Settings()
    node.setmodule(node_settings)
    for settings in (Settings(crawl_settings("https://choisirleservicepublic.gouv.fr", "x.db")), node):
        enabled = build_component_list(settings.getwithbase("EXTENSIONS"))
        assert not [e for e in enabled if "remote_control" in str(e) or "telnet" in str(e)]
        assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
        assert "scrapy.extensions.corestats.CoreStats" in [str(e) for e in enabled]  # the others stay
    assert "spiders.node_summary.NodeRunSummary" in [str(e) for e in build_component_list(node.getwithbase("EXTENSIONS"))]


def imported_once_built(components: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with `prefixes` that a fresh interpreter has imported once it has
    loaded every one of a crawl's `components` (EXTENSIONS, DOWNLOADER_MIDDLEWARES)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from scrapy.settings import Settings\n"
            "from scrapy.utils.misc import load_object\n"
            "from spiders.settings import crawl_settings\n"
            "settings = Settings(crawl_settings('https://choisirleservicepublic.gouv.fr', 'x.db'))\n"
            f"for path in settings.get_component_priority_dict_with_base({components!r}):\n"
            "    load_object(path)\n"
            f"print('\\n'.join(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_consoles_are_not_imported_when_the_extensions_are_built():
    assert imported_once_built("EXTENSIONS", ("aiohttp", "scrapy.extensions.remote", "scrapy.extensions.telnet")) == []


def test_with_cookies_off_their_middleware_is_neither_built_nor_imported_and_an_override_keeps_it():
    from scrapy.utils.conf import build_component_list

    cookies = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
    off = Settings(crawl_settings("https://choisirleservicepublic.gouv.fr", "x.db"))
    built = [str(m) for m in build_component_list(off.getwithbase("DOWNLOADER_MIDDLEWARES"))]
    assert cookies not in built and "scrapy.downloadermiddlewares.redirect.RedirectMiddleware" in built
    assert "spiders.retry.BackoffRetryMiddleware" in built  # the project's own stay
    for value in (True, "True", "1"):
        on = Settings(crawl_settings("https://choisirleservicepublic.gouv.fr", "x.db", {"COOKIES_ENABLED": value}))
        assert cookies in [str(m) for m in build_component_list(on.getwithbase("DOWNLOADER_MIDDLEWARES"))]
    assert imported_once_built("DOWNLOADER_MIDDLEWARES", ("tldextract", "scrapy.downloadermiddlewares.cookies")) == []
    loaded = imported_once_built("DOWNLOADER_MIDDLEWARES", ("scrapy.downloadermiddlewares",))
    assert "scrapy.downloadermiddlewares.redirect" in loaded
