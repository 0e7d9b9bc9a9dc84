"""The built geography kept between processes (`pipeline.user_cache`, kind `geography`).

Building the indexes from the COG files takes about 0.3 s, which every short command that
normalises a location paid (an ingest of five postings, the rebuild after a crawl, a weekly
file). The file is named by a digest of the COG files and of the code that reads them.
"""
from __future__ import annotations

import pathlib

from pipeline import user_cache
from pipeline.user_cache import KEEP  # noqa: F401  (how many files are kept, for callers)

KIND = "geography"


def sources_key(paths: list[pathlib.Path]) -> str:
    """A digest of the files the indexes are built from (their bytes and names) and of the Python."""
    return user_cache.sources_key(paths)


def load(key: str) -> dict | None:
    """The indexes kept under `key`, None when there are none or they cannot be read."""
    state = user_cache.load(KIND, key)
    return state if isinstance(state, dict) else None


def save(key: str, state: dict) -> None:
    """Keep the indexes under `key`; never raises on I/O."""
    user_cache.save(KIND, key, state)
