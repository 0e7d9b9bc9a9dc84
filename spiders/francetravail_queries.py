"""France Travail searches: query parameters, `range` pages, and splitting over the cap.

Pure (no network). A search reaches at most `cap` results (1,150 on the real API, some
say 3,150); its `Content-Range` total says how many exist. A query whose total is over
the cap is split: first by département (groups of at most 5, the API's limit, then one
département each), then by creation-date window (halves, down to one second). A split
whose parts do not add up to the parent's total (offers without a département) is
replaced by a date split of the parent, which partitions every offer.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

PAGE = 150
MAX_DEPARTMENTS = 5
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
GEO_DEPARTMENTS = Path(__file__).resolve().parents[1] / "data" / "geo" / "departments.csv"


@lru_cache(maxsize=1)
def departments() -> tuple[str, ...]:
    """Every département code the API knows (01..95, 2A, 2B, 971..976), from data/geo."""
    with GEO_DEPARTMENTS.open(encoding="utf-8", newline="") as fh:
        return tuple(sorted(row["code"] for row in csv.DictReader(fh, delimiter=";")))


@dataclass
class Query:
    """One search: ROME codes, optional départements and creation window; its paging state."""

    qid: int
    romes: tuple[str, ...]
    departments: tuple[str, ...] | None = None
    window: tuple[datetime, datetime] | None = None
    parent: int | None = None
    split_by: str | None = None          # how its parent was split: "departement" or "date"
    total: int | None = None             # the Content-Range total of its first page
    received: int = 0                    # offers received over its pages
    pages_pending: int = 0
    state: str = "new"                   # new, paging, split, done, failed
    children: list[int] = field(default_factory=list)

    def params(self) -> dict[str, str]:
        """The search parameters (without `range`)."""
        out = {"codeROME": ",".join(self.romes)}
        if self.departments:
            out["departement"] = ",".join(self.departments)
        if self.window:
            out["minCreationDate"] = self.window[0].strftime(DATE_FORMAT)
            out["maxCreationDate"] = self.window[1].strftime(DATE_FORMAT)
        return out

    def describe(self) -> str:
        """A short label for messages: the query's filters."""
        parts = [f"ROME {','.join(self.romes)}"]
        if self.departments:
            parts.append(f"départements {','.join(self.departments)}")
        if self.window:
            parts.append(f"created {self.window[0].strftime(DATE_FORMAT)}..{self.window[1].strftime(DATE_FORMAT)}")
        return " ".join(parts)


def ranges(total: int, cap: int, start: int = PAGE) -> list[tuple[int, int, int]]:
    """(first, last, skip) of the pages after the first one, up to `total` (never beyond the cap).

    The API refuses a first index over `cap - 150` (1000 for 1,150): a last page that would
    start beyond it starts there instead, and its first `skip` offers were on the previous page."""
    limit = min(total, cap)
    pages = []
    for a in range(start, limit, PAGE):
        first = min(a, cap - PAGE)
        pages.append((first, min(a + PAGE, limit) - 1, a - first))
    return pages


def split_parts(query: Query, now: datetime) -> tuple[str, list[dict]] | None:
    """(how, the parts' filters) to split a query over the cap; None when it cannot be split."""
    if query.departments is None and query.window is None:
        deps = departments()
        groups = [deps[i:i + MAX_DEPARTMENTS] for i in range(0, len(deps), MAX_DEPARTMENTS)]
        return "departement", [{"departments": g, "window": None} for g in groups]
    if query.departments and len(query.departments) > 1 and query.window is None:
        return "departement", [{"departments": (d,), "window": None} for d in query.departments]
    return date_parts(query, now)


def date_parts(query: Query, now: datetime) -> tuple[str, list[dict]] | None:
    """Two halves of the query's creation window (whole history up to `now` when it has none)."""
    low, high = query.window or (EARLIEST, now.replace(microsecond=0) + timedelta(seconds=1))
    if high - low < timedelta(seconds=2):
        return None
    middle = low + (high - low) / 2
    middle = middle.replace(microsecond=0)
    # Dates are whole seconds and creation times are not: the halves share their middle second
    # (an offer created within it may come twice; offers are counted once by id).
    return "date", [{"departments": query.departments, "window": (low, middle)},
                    {"departments": query.departments, "window": (middle, high)}]
