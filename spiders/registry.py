"""Source slugs -> spider classes (`offres crawl SOURCE`). Add a board here, nowhere else."""
from __future__ import annotations

from importlib import import_module

SPIDERS = {
    "csp": "spiders.csp:CspSpider",
    "dinum-page": "spiders.dinum_page:DinumPageSpider",
    "emploi-territorial": "spiders.emploi_territorial:EmploiTerritorialSpider",
}


class UnknownSource(KeyError):
    """No spider for that source slug."""


def sources() -> list[str]:
    """The known source slugs, sorted."""
    return sorted(SPIDERS)


def spider_class(source: str):
    """The spider class of a source slug (imported on demand)."""
    try:
        module, name = SPIDERS[source].split(":")
    except KeyError:
        raise UnknownSource(f"unknown source {source!r}; known: {', '.join(sources())}") from None
    return getattr(import_module(module), name)
