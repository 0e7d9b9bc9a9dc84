"""Which detail pages an incremental crawl fetches, and the item that reports each one.

The listing is always crawled in full. A card's detail page is fetched when:

- `new`: no page of that URL is stored yet;
- `failed`: the last attempt failed (error, off-host redirect, parse error, dropped);
- `changed`: the card's own fields (title, employer, location, publication date) changed;
- `parser`: the stored record was read by another parser version;
- `refresh`: the stored version is older than the refresh window (OFFRES_REFRESH_DAYS,
  default 7). Each URL has its own phase within the window (a hash of the URL), so each
  daily crawl refreshes about a seventh of the board; a refresh sends the page's
  validators (If-None-Match / If-Modified-Since) and a 304 confirms the stored version;
- `full`: `offres crawl --full` (OFFRES_FULL) refetches everything.

Else it is skipped (`fresh`): counted as seen, its stored data kept. A page fetched
less than OFFRES_FRESH_HOURS ago (default 6) is never refreshed, so a crawl restarted
after a kill does not fetch again what the killed one stored.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.record import RawPosting

CARD_KEYS = ("title", "employer", "location_area", "published")
REFRESH_DAYS = 7.0
FRESH_HOURS = 6.0


def card_hash(card: dict) -> str:
    """A hash of the card's own fields: it changes when the board edits them."""
    text = "\x1f".join(" ".join((card.get(k) or "").split()) for k in CARD_KEYS)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def phase(url: str) -> float:
    """A URL's place in the refresh window, in [0, 1) (deterministic)."""
    return int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big") / 2 ** 64


def refresh_due(url: str, fetched_at: datetime, now: datetime, window: timedelta, fresh: timedelta) -> bool:
    """Whether the URL's refresh time came between its last fetch and now.

    Refresh times are `phase(url) * window + k * window`: every page is refreshed once a
    window, and the pages' refresh times are spread evenly over the window."""
    if now - fetched_at < fresh:
        return False
    span = window.total_seconds()
    offset = phase(url) * span
    return (now.timestamp() - offset) // span > (fetched_at.timestamp() - offset) // span


@dataclass
class Policy:
    """The incremental crawl's settings."""

    full: bool = False
    window: timedelta = timedelta(days=REFRESH_DAYS)
    fresh: timedelta = timedelta(hours=FRESH_HOURS)
    parser_version: str | None = None

    @classmethod
    def from_settings(cls, settings, parser_version: str | None = None) -> "Policy":
        return cls(full=settings.getbool("OFFRES_FULL", False),
                   window=timedelta(days=settings.getfloat("OFFRES_REFRESH_DAYS", REFRESH_DAYS)),
                   fresh=timedelta(hours=settings.getfloat("OFFRES_FRESH_HOURS", FRESH_HOURS)),
                   parser_version=parser_version)

    def decide(self, url: str, digest: str, state: dict | None, now: datetime) -> str | None:
        """Why the card's page must be fetched (a reason), or None to skip it."""
        if state is None:
            return "new"
        if self.full:
            return "full"
        if state.get("failed") or not state.get("fetched_at"):
            return "failed"
        if state.get("card_hash") != digest:
            return "changed"
        if self.parser_version and state.get("parser_version") != self.parser_version:
            return "parser"
        if refresh_due(url, datetime.fromisoformat(state["fetched_at"]), now, self.window, self.fresh):
            return "refresh"
        return None


def conditional_headers(state: dict | None) -> dict[str, str]:
    """The validators of a stored page, as conditional request headers."""
    headers = {}
    if state and state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state and state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


@dataclass
class DetailPage:
    """One card of the listing as this crawl dealt with it: the unit of the store's batches.

    `outcome`: `fetched` (with its posting), `not_modified` (a 304), `skipped`, or
    `failed` (with the card's own posting); `reason`: why it was fetched or skipped."""

    url: str
    outcome: str
    reason: str
    card_hash: str | None = None
    posting: RawPosting | None = None
    posting_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    filled: list[str] = field(default_factory=list)
