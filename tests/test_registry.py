"""The source registry (spiders/registry.py)."""
from __future__ import annotations

import pytest

from spiders.registry import SPIDERS, UnknownSource, sources, spider_class
from spiders.runner import CrawlFailed, spider_class as runner_spider_class


def test_every_source_resolves_to_a_spider_named_like_it():
    for name in SPIDERS:
        assert spider_class(name).name == name
    assert "emploi-territorial" in sources()


def test_unknown_source():
    with pytest.raises(UnknownSource):
        spider_class("nope")
    with pytest.raises(CrawlFailed, match="known: csp, csp-opendata, dinum-page, emploi-territorial, francetravail"):
        runner_spider_class("nope")
