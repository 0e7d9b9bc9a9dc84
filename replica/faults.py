"""Seeded, switchable faults in front of the replica (``ReplicaServer(faults=Faults(...))``).

Each fault is a field of ``Faults``; rates are decided per (seed, path, n-th request of
that path), so a run is reproducible and a retry of a failed path may succeed. Set them
with ``python -m replica serve --error-rate 0.1 --block-from 3 ...`` or, while serving,
``POST /__replica__/faults?block_from=3`` (``reset=1`` clears them all first).
"""
from __future__ import annotations

import dataclasses
import gzip
import random
import threading
import time
from dataclasses import dataclass
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable

BLOCK_PAGE = (b"<!DOCTYPE html><html lang=\"fr\"><head><title>Acc\xc3\xa8s restreint</title></head>"
              b"<body><h1>Acc\xc3\xa8s temporairement restreint</h1><p>Trop de requ\xc3\xaates.</p></body></html>")
RELABEL = ((b"Date limite de candidature", b"Candidatures accept\xc3\xa9es jusqu'au"),
           ("Métier de référence".encode(), "Emploi de référence".encode()),
           (b'id="content_metier"', b'id="content_emploi_ref"'))
RENAME_CLASSES = ((b"fr-card--offer", b"fr-card--job"), (b"fr-card__title", b"fr-card__heading"))


@dataclass
class Faults:
    """Which faults the replica injects (all off by default)."""

    seed: int = 0
    error_rate: float = 0.0       # share of requests answered 503
    hang_rate: float = 0.0        # share of requests answered after hang_seconds
    hang_seconds: float = 30.0
    throttle_rate: float = 0.0    # share of requests answered 429
    retry_after: str = "1"        # 429's Retry-After: seconds, or "date:N" (an HTTP-date N s ahead)
    block_from: int = 0           # listing page K on: a 200 block page (no cards, no pagination)
    error_from: int = 0           # listing page K on: 503
    ban_all: bool = False         # every page (but robots.txt) is the 200 block page
    offsite_rate: float = 0.0     # share of detail pages redirected (302) to another host
    offsite_host: str = "localhost"
    relabel: bool = False         # deadline and métier labels reworded on detail pages
    rename_classes: bool = False  # the listing's card classes renamed
    truncate_rate: float = 0.0    # share of detail pages cut in half (connection closed early)
    bomb_rate: float = 0.0        # share of detail pages answered with a gzip bomb
    bomb_mb: int = 64             # its decompressed size

    def update(self, params: dict[str, str]) -> None:
        """Set fields from strings (the control endpoint's and the CLI's values)."""
        for f in dataclasses.fields(self):
            if f.name in params:
                raw = params[f.name]
                kind = type(getattr(self, f.name))
                value = raw.lower() in ("1", "true", "yes", "on") if kind is bool else kind(raw)
                setattr(self, f.name, value)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Answer:
    """What the server sends: status, body, headers; ``delay`` before it, ``cut`` bytes only."""

    status: int
    body: bytes
    headers: dict[str, str]
    delay: float = 0.0
    cut: int | None = None


@lru_cache(maxsize=2)
def gzip_bomb(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros, gzipped (about 1/1000 of that on the wire)."""
    return gzip.compress(b"\0" * (megabytes * 1024 * 1024), compresslevel=9)


class FaultInjector:
    """Applies ``Faults`` to the replica's normal answers."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.counts: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        # (time, path, status, not-before): every answer, and when a 429 allowed the next try
        self.history: list[tuple[float, str, int, float | None]] = []
        self._lock = threading.Lock()

    def _roll(self, path: str, kind: str) -> float:
        n = self.counts.get(path, 0)
        return random.Random(f"{self.faults.seed}:{kind}:{path}:{n}").random()

    def _hit(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def retry_after(self) -> tuple[str, float]:
        """The 429's Retry-After header and the epoch time before which a retry is too early."""
        value = self.faults.retry_after
        if value.startswith("date:"):
            when = (datetime.now(timezone.utc) + timedelta(seconds=float(value[5:]))).replace(microsecond=0)
            return format_datetime(when, usegmt=True), when.timestamp()
        return value, time.time() + float(value)

    def answer(self, path: str, listing_page: int | None, detail: bool, base_url: str,
               normal: Callable[[], Answer]) -> Answer:
        """The answer to a GET of ``path`` (``listing_page``: its page number if a listing page)."""
        with self._lock:
            result = self._answer(path, listing_page, detail, base_url, normal)
            not_before = result.headers.pop("X-Not-Before", None)
            self.history.append((time.time(), path, result.status, not_before))
        return result

    def _answer(self, path: str, listing_page: int | None, detail: bool, base_url: str,
               normal: Callable[[], Answer]) -> Answer:
        f = self.faults
        self.counts[path] = self.counts.get(path, 0) + 1
        html = {"Content-Type": "text/html; charset=UTF-8"}
        if path == "/robots.txt":
            return normal()
        if f.ban_all or (listing_page and f.block_from and listing_page >= f.block_from):
            self._hit("block")
            return Answer(200, BLOCK_PAGE, html)
        if listing_page and f.error_from and listing_page >= f.error_from:
            self._hit("error_from")
            return Answer(503, b"<html><body>Service indisponible</body></html>", html)
        if f.error_rate and self._roll(path, "5xx") < f.error_rate:
            self._hit("5xx")
            return Answer(503, b"<html><body>Service indisponible</body></html>", html)
        if f.throttle_rate and self._roll(path, "429") < f.throttle_rate:
            self._hit("429")
            header, not_before = self.retry_after()
            return Answer(429, b"<html><body>Too many requests</body></html>",
                          {**html, "Retry-After": header, "X-Not-Before": not_before})
        delay = 0.0
        if f.hang_rate and self._roll(path, "hang") < f.hang_rate:
            self._hit("hang")
            delay = f.hang_seconds
        if detail and f.offsite_rate and self._roll(path, "offsite") < f.offsite_rate:
            self._hit("offsite")
            port = base_url.rsplit(":", 1)[-1]
            return Answer(302, b"", {**html, "Location": f"http://{f.offsite_host}:{port}{path}"}, delay)
        if detail and f.bomb_rate and self._roll(path, "bomb") < f.bomb_rate:
            self._hit("bomb")
            return Answer(200, gzip_bomb(f.bomb_mb), {**html, "Content-Encoding": "gzip"}, delay)
        result = normal()
        result.delay = delay
        if result.status != 200:
            return result
        if detail and f.relabel:
            for old, new in RELABEL:
                result.body = result.body.replace(old, new)
        if listing_page and f.rename_classes:
            for old, new in RENAME_CLASSES:
                result.body = result.body.replace(old, new)
        if detail and f.truncate_rate and self._roll(path, "truncate") < f.truncate_rate:
            self._hit("truncate")
            result.cut = len(result.body) // 2
        return result
