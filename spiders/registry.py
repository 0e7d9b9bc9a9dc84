"""Source slugs -> spider classes, or fetch functions for sources read without Scrapy
(`offres crawl SOURCE`). Add a board here, nowhere else."""
from __future__ import annotations

from importlib import import_module

SPIDERS = {
    "csp": "spiders.csp:CspSpider",
    "dinum-page": "spiders.dinum_page:DinumPageSpider",
    "emploi-territorial": "spiders.emploi_territorial:EmploiTerritorialSpider",
    "francetravail": "spiders.francetravail:FranceTravailSpider",
}
# Sources read without Scrapy (one API call and one big file): source -> "module:function".
FETCHERS = {"csp-opendata": "spiders.csp_opendata:run_opendata"}


class UnknownSource(KeyError):
    """No spider for that source slug."""


def sources() -> list[str]:
    """The known source slugs (spiders and fetchers), sorted."""
    return sorted({**SPIDERS, **FETCHERS})


def spider_class(source: str):
    """The spider class of a source slug (imported on demand)."""
    try:
        module, name = SPIDERS[source].split(":")
    except KeyError:
        raise UnknownSource(f"unknown source {source!r}; known: {', '.join(sources())}") from None
    return getattr(import_module(module), name)
