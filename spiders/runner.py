"""Run one crawl in this process (Scrapy's reactor runs once per process)."""
from __future__ import annotations

import os
from importlib import import_module

from scrapy.crawler import CrawlerProcess
from sqlite_utils import Database

from spiders.settings import crawl_settings

SPIDERS = {"csp": "spiders.csp:CspSpider", "dinum-page": "spiders.dinum_page:DinumPageSpider",
           "francetravail": "spiders.francetravail:FranceTravailSpider"}


class CrawlFailed(RuntimeError):
    """The crawl could not run or did not record its run."""


class SourceUnreachable(CrawlFailed):
    """The source could not be used at all (credentials missing or refused): exit code 5."""

    exit_code = 5


def spider_class(source: str):
    """The spider class of a source slug."""
    try:
        module, name = SPIDERS[source].split(":")
    except KeyError:
        raise CrawlFailed(f"unknown source {source!r}; known: {', '.join(sorted(SPIDERS))}") from None
    return getattr(import_module(module), name)


def run_crawl(source: str, db_path: str, base_url: str | None = None, max_pages: int | None = None,
              overrides: dict | None = None, verbose: bool = False) -> dict:
    """Crawl one source into the database; returns the `runs` row of the crawl."""
    cls = spider_class(source)
    missing = [name for name in getattr(cls, "required_environment", ()) if not os.environ.get(name)]
    if missing:
        raise SourceUnreachable(f"{source}: {' and '.join(missing)} not set in the environment "
                                f"(see docs/sources/{source}.md)")
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
