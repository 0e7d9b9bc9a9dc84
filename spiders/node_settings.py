"""Scrapy settings of the spiders on a Scrapyd node (the egg's settings module).

The same polite settings as a local crawl; no database: Scrapyd's FEEDS write
each job's raw postings as JSON lines, and `NodeRunSummary` logs what the
central collector needs to judge the job (docs/cluster.md).
"""
from spiders.settings import POLITE, extensions_base

globals().update(POLITE)

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
ITEM_PIPELINES: dict = {}  # no database on a node: the feed is the output
EXTENSIONS_BASE = extensions_base()  # no console into a node's job either
EXTENSIONS = {"spiders.node_summary.NodeRunSummary": 900}
FEED_EXPORT_ENCODING = "utf-8"
OFFRES_PROGRESS = False
LOG_LEVEL = "INFO"
