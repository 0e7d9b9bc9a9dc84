"""Normalisation throughput: full records per second through `normalize_posting` on one core,
against a baseline that only parses the same records' dates with plain `dateparser.parse`."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from parsers.samples import SAMPLES_DIR, iter_samples
from pipeline.normalize import normalize_posting

NOW = datetime(2026, 10, 6, 6, 0, tzinfo=timezone.utc)
DATE_KEYS = ("published", "modified", "deadline")
TARGET = 20_000


def records(copies: int = 25) -> list[dict]:
    """The sample records, repeated; each copy gets its own reference and URL (as new postings would)."""
    base = [record for _, record in iter_samples()]
    out = []
    for k in range(copies):
        for i, record in enumerate(base):
            varied = dict(record)
            varied["url"] = f"{record['url'].rstrip('/')}-{k}-{i}/"
            if record.get("reference"):
                varied["reference"] = f"{record['reference']}{k}"
            out.append(varied)
    return out


def clear_caches() -> None:
    """Empty the per-string lru_caches of the normalisers (reference tables, zero-argument loaders, stay loaded)."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith(("pipeline.normalize", "pipeline.sanitize")):
            for value in vars(module).values():
                wrapped = getattr(value, "__wrapped__", None)
                if hasattr(value, "cache_clear") and getattr(wrapped, "__code__", None) and wrapped.__code__.co_argcount:
                    value.cache_clear()


def _rate(func, items: list, min_seconds: float = 1.0) -> float:
    done, start = 0, time.perf_counter()
    while True:
        for item in items:
            func(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def _dateparser_only(record: dict) -> None:
    import dateparser

    for name in DATE_KEYS:
        value = record.get(name)
        if value:
            dateparser.parse(value, languages=["fr"], settings={"DATE_ORDER": "DMY", "RELATIVE_BASE": NOW.replace(tzinfo=None)})


def run() -> list[str]:
    """Report lines: cold and warm records/s, the dateparser baseline and the ratio."""
    items = records()
    normalize_posting(items[0], NOW)  # imports and table loading out of the measurement
    clear_caches()
    first = items[: len(items) // 25]
    start = time.perf_counter()
    for item in first:
        normalize_posting(item, NOW)
    cold = len(first) / (time.perf_counter() - start)
    start = time.perf_counter()
    for item in items:
        normalize_posting(item, NOW)
    varied = len(items) / (time.perf_counter() - start)
    warm = _rate(lambda r: normalize_posting(r, NOW), items)
    base_items = items[: len(items) // 25]
    baseline = _rate(_dateparser_only, base_items, min_seconds=1.0)
    return [
        f"{len(items)} records ({len(items) // 25} sample offers x 25, unique reference/url per copy; "
        f"{'from ' + str(SAMPLES_DIR) if SAMPLES_DIR.exists() else 'from the small subsets in tests/fixtures/normalize'})",
        f"normalize_posting, string caches empty ({len(first)} distinct records once): {cold:,.0f} records/s",
        f"normalize_posting, one pass over the 25 varied copies: {varied:,.0f} records/s",
        f"normalize_posting steady state: {warm:,.0f} records/s (target {TARGET:,}: {'met' if warm >= TARGET else 'NOT met'})",
        f"baseline, dates only via dateparser.parse: {baseline:,.0f} records/s",
        f"ratio normalize_posting (all fields) / dateparser (dates only): {warm / baseline:,.1f}x",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
