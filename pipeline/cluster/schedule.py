"""The Scrapy settings a scheduled job gets on top of the node's own."""
from __future__ import annotations

import json

from spiders.settings import LOOPBACK, is_loopback


def job_settings(base_url: str | None, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Loopback relaxations for a local replica (as a local crawl gets them), then overrides."""
    settings = dict(LOOPBACK) if is_loopback(base_url) else {}
    settings.update(overrides or {})
    return {name: value if isinstance(value, str) else json.dumps(value) for name, value in settings.items()}
