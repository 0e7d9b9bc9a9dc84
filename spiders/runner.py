"""Run one crawl in this process (Scrapy's reactor runs once per process)."""
from __future__ import annotations

import os
from importlib import import_module

from sqlite_utils import Database

from spiders import registry
from spiders.registry import FETCHERS, SPIDERS  # noqa: F401 - the source registry, re-exported
from spiders.settings import crawl_settings


class CrawlFailed(RuntimeError):
    """The crawl could not run or did not record its run."""


class SourceUnreachable(CrawlFailed):
    """The source could not be reached or used at all (network, credentials missing or refused):
    its run is recorded when it started; `offres crawl` exits 5."""

    exit_code = 5


def spider_class(source: str):
    """The spider class of a source slug."""
    try:
        return registry.spider_class(source)
    except registry.UnknownSource as exc:
        raise CrawlFailed(exc.args[0]) from None


def run_crawl(source: str, db_path: str, base_url: str | None = None, max_pages: int | None = None,
              overrides: dict | None = None, verbose: bool = False) -> dict:
    """Crawl one source into the database; returns the `runs` row of the crawl."""
    if source in FETCHERS:
        return run_fetcher(source, db_path, base_url, overrides, verbose)
    cls = spider_class(source)
    missing = [name for name in getattr(cls, "required_environment", ()) if not os.environ.get(name)]
    if missing:
        raise SourceUnreachable(f"{source}: {' and '.join(missing)} not set in the environment "
                                f"(see docs/sources/{source}.md)")
    from scrapy.crawler import CrawlerProcess  # not for the fetchers: Scrapy is slow to import

    settings = crawl_settings(base_url, db_path, overrides)
    if verbose:
        settings["LOG_LEVEL"] = "INFO"
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(cls)
    kwargs = {"base_url": base_url}
    if max_pages:
        kwargs["max_pages"] = max_pages
    process.crawl(crawler, **kwargs)
    process.start()
    run_id = crawler.stats.get_value("offres/run_id")
    if run_id is None:
        raise CrawlFailed(f"the {source} crawl stopped before recording its run "
                          f"(finish reason: {crawler.stats.get_value('finish_reason')})")
    run = Database(db_path).table("runs").get(run_id)
    if getattr(crawler.spider, "auth_error", None):  # recorded as an unhealthy run; nothing closed
        raise SourceUnreachable(crawler.spider.auth_error)
    return {**run, "stats": crawler.stats.get_stats()}


def run_fetcher(source: str, db_path: str, base_url: str | None, overrides: dict | None, verbose: bool) -> dict:
    """A source read without Scrapy: its run, with its stats decoded."""
    import json
    import sys

    module, name = FETCHERS[source].split(":")
    fetch = getattr(import_module(module), name)
    unreachable = getattr(import_module(module), "OpenDataUnreachable", ())
    try:
        run = fetch(db_path, base_url=base_url, settings=overrides,
                    progress=(lambda m: print(m, file=sys.stderr, flush=True))
                    if verbose or (sys.stderr.isatty() and (overrides or {}).get("OFFRES_PROGRESS", True)) else None)
    except unreachable as exc:
        raise SourceUnreachable(f"{source} unreachable: {exc}") from None
    return {**run, "stats": json.loads(run.get("stats") or "{}")}
