"""The replica's state (``ReplicaSite``) and its threaded HTTP server (``ReplicaServer``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import pages
from .conditional import not_modified, validators
from .faults import Answer, FaultInjector, Faults
from .generator import DOMAIN, NOW, Offer, generate_offers, site_slug

_DETAIL = re.compile(r"^/offre-emploi/(?:(?P<slug>.*)-reference-)?(?P<ref>[A-Za-z0-9_\-]+)/?$")
_LISTING = re.compile(r"^/nos-offres/filtres/domaine/(?P<domain>\d+)/(?:page/(?P<page>\d+)/?)?$")


class ReplicaSite:
    """The offers the replica currently publishes, with a cache of rendered pages."""

    def __init__(self, offers: list[Offer] | None = None, *, today: date | None = None, seed: int = 0) -> None:
        self._offers: dict[str, Offer] = {o.reference: o for o in offers or []}
        self._seq: dict[str, int] = {}  # publication order of offers added later (newer first)
        self.today = today or NOW.date()
        self.seed = seed
        self._generated = len(self._offers)
        self._lock = threading.RLock()
        self._cache: dict[tuple, bytes] = {}
        self._ordered: list[Offer] | None = None

    # -- state -------------------------------------------------------------------------
    @property
    def offers(self) -> list[Offer]:
        """Current offers of the Numérique domain, newest first (the listing order). Offers of
        other domains are published too (their pages answer) but not listed."""
        with self._lock:
            if self._ordered is None:
                self._ordered = sorted((o for o in self._offers.values() if o.domain == DOMAIN), reverse=True,
                                       key=lambda o: (o.published, self._seq.get(o.reference, 0), o.reference))
            return list(self._ordered)

    def get(self, reference: str) -> Offer | None:
        """The offer with this reference (case-insensitive), if published."""
        with self._lock:
            found = self._offers.get(reference)
            if found is None:
                found = next((o for r, o in self._offers.items() if r.lower() == reference.lower()), None)
            return found

    def _changed(self) -> None:
        self._cache.clear()
        self._ordered = None

    def add(self, offers: list[Offer]) -> None:
        """Publish ``offers`` (replacing any with the same reference)."""
        with self._lock:
            for o in offers:
                self._seq.setdefault(o.reference, len(self._seq) + 1)
                self._offers[o.reference] = o
            self._changed()

    def add_generated(self, n: int) -> list[Offer]:
        """Generate and publish ``n`` new offers dated ``today`` (the newest); returns them."""
        with self._lock:
            fresh = [o for o in generate_offers(n * 2, self.seed, start=self._generated + 1000)
                     if o.reference not in self._offers][:n]
            self._generated += n
            taken: set[str] = set()
            for i, o in enumerate(fresh):
                fresh[i] = self._redate(o, taken)
                taken.add(fresh[i].reference)
            self.add(fresh)
            return fresh

    def _redate(self, o: Offer, taken: set[str]) -> Offer:
        """``o`` published today (territorial references embed the publication date)."""
        ref = o.reference
        if o.territorial:
            ref = f"{ref[:4]}{self.today:%y%m%d}{ref[10:]}"
            while ref in self._offers or ref in taken:
                ref = f"{ref[:10]}{(int(ref[10:]) + 1) % 1000000:06d}"
        swap = (lambda text: text.replace(o.reference.lower(), ref.lower()))
        return dataclasses.replace(
            o, reference=ref, published=self.today, modified=self.today,
            deadline=self.today + timedelta(days=30) if o.deadline else None,
            original_url=swap(o.original_url) if o.original_url else None, missions_html=swap(o.missions_html))

    def edit(self, reference: str, **changes: object) -> Offer:
        """Change fields of an offer; bumps its modification date (and version). The slug is kept
        unless ``slug`` is given, like the real site (URLs are stable)."""
        with self._lock:
            old = self._offers[reference]
            modified = changes.pop("modified", None) or max(old.modified + timedelta(days=1), self.today)
            new = dataclasses.replace(old, **changes, modified=modified, version=old.version + 1)
            self._offers[reference] = new
            self._changed()
            return new

    def remove(self, reference: str) -> Offer:
        """Unpublish an offer (its pages answer 404 from now on)."""
        with self._lock:
            old = self._offers.pop(reference)
            self._changed()
            return old

    # -- rendering ---------------------------------------------------------------------
    def recommended(self, offer: Offer) -> list[Offer]:
        """3 to 6 other offers shown at the bottom of ``offer``'s page (deterministic)."""
        ordered = self.offers
        others = [o for o in ordered if o.reference != offer.reference]
        if not others:
            return []
        h = int(hashlib.md5(offer.reference.encode()).hexdigest(), 16)
        k = min(len(others), 3 + h % 4)
        start = h % len(others)
        return [others[(start + i * 7) % len(others)] for i in range(k)] if len(others) > 7 * k else others[:k]

    def last_page(self) -> int:
        """Number of listing pages (at least 1)."""
        return max(1, -(-len(self.offers) // pages.PER_PAGE))

    def render_listing(self, base: str, page: int) -> bytes | None:
        """Listing page ``page`` or ``None`` when beyond the last page."""
        with self._lock:
            key = ("list", base, page)
            if key not in self._cache:
                last = self.last_page()
                if page < 1 or page > last:
                    return None
                listed = self.offers
                chunk = listed[(page - 1) * pages.PER_PAGE: page * pages.PER_PAGE]
                self._cache[key] = pages.listing_page(chunk, base, page, last, len(listed)).encode()
            return self._cache[key]

    def render_empty_listing(self, base: str) -> bytes:
        """A listing with no result (other domains)."""
        return pages.listing_page([], base, 1, 1, 0).encode()

    def render_detail(self, base: str, offer: Offer) -> bytes:
        """Detail page of ``offer`` (cached until the next change of the site)."""
        with self._lock:
            key = ("offer", base, offer.reference, offer.version)
            if key not in self._cache:
                self._cache[key] = pages.detail_page(offer, base, self.recommended(offer)).encode()
            return self._cache[key]


class _Handler(BaseHTTPRequestHandler):
    server_version = "Apache"

    def version_string(self) -> str:
        return self.server_version
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs cap keep-alive clients at ~25 requests/s

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence
        pass

    @property
    def owner(self) -> "ReplicaServer":
        return self.server.owner  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=UTF-8",
              location: str | None = None, head: bool = False, headers: dict[str, str] | None = None,
              count: bool = True) -> None:
        if headers and self.owner.not_modified(self.headers, headers):
            status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if count:
            self.owner._count(status, len(body))
        if not head:
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        owner = self.owner
        path = urlsplit(self.path).path
        if path == "/__replica__/counters":  # the replica's own request counters (not counted)
            self._send(200, json.dumps(owner.counters()).encode(), "application/json", head=head, count=False)
            return
        owner._log(path)
        if owner.faults is None:
            status, body, ctype, location = owner.respond(path)
            self._send(status, body, ctype, location, head, owner.validators(path, status, body))
            return
        answer = owner.faulty_answer(path)
        if answer.delay:
            time.sleep(answer.delay)
        if owner.not_modified(self.headers, answer.headers):
            answer = dataclasses.replace(answer, status=304, body=b"", cut=None)
        owner._count(answer.status, len(answer.body))
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        if answer.cut is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(answer.body if answer.cut is None else answer.body[:answer.cut])

    def do_POST(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode() if length else ""
        params = {k: v[-1] for k, v in parse_qs(parts.query + "&" + form).items()}
        status, payload = owner.admin(parts.path, params)
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json", count=False)


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-answer (a crawl killed) is not an error of the replica."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ReplicaServer:
    """Serves a ``ReplicaSite`` on ``host:port`` from a background thread (context manager).

    ``base_url`` is ``http://HOST:PORT``; ``requests`` counts the paths served (the admin API
    ``/__replica__/`` is not counted); ``counters()`` sums them up by kind of page. Detail pages
    carry validators (ETag, Last-Modified) and a conditional GET that matches them gets a 304."""

    handler: type = _Handler
    thread_name = "replica"

    def __init__(self, site: ReplicaSite, host: str = "127.0.0.1", port: int = 0,
                 faults: Faults | None = None) -> None:
        self.site = site
        self.faults = FaultInjector(faults) if faults is not None else None
        self.host = host
        self.port = port
        self.requests: Counter[str] = Counter()
        self.log: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.bytes_sent = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _log(self, path: str) -> None:
        with self._log_lock:
            self.requests[path] += 1
            self.log.append(path)

    def _count(self, status: int, size: int) -> None:
        with self._log_lock:
            self.statuses[status] += 1
            self.bytes_sent += size

    def counters(self) -> dict:
        """Requests served so far: total, by kind of page, by status, and body bytes sent."""
        with self._log_lock:
            kinds: Counter[str] = Counter()
            for path, n in self.requests.items():
                kind = ("listing" if _LISTING.match(path) else "detail" if _DETAIL.match(path)
                        else "robots" if path == "/robots.txt" else "other")
                kinds[kind] += n
            return {"requests": sum(self.requests.values()), "by_kind": dict(kinds),
                    "by_status": {str(k): v for k, v in sorted(self.statuses.items())},
                    "not_modified": self.statuses.get(304, 0), "bytes": self.bytes_sent}

    def reset_counters(self) -> None:
        """Forget the requests counted so far."""
        with self._log_lock:
            self.requests.clear()
            self.log.clear()
            self.statuses.clear()
            self.bytes_sent = 0

    def validators(self, path: str, status: int, body: bytes) -> dict[str, str]:
        """ETag and Last-Modified of a detail page answered 200 (none for other pages)."""
        m = _DETAIL.match(path)
        offer = self.site.get(m.group("ref")) if status == 200 and m else None
        return validators(offer.modified, body) if offer is not None else {}

    not_modified = staticmethod(not_modified)

    def respond(self, path: str) -> tuple[int, bytes, str, str | None]:
        """(status, body, content type, location) for a GET of ``path``."""
        base, site = self.base_url, self.site
        html = "text/html; charset=UTF-8"
        if path == "/robots.txt":
            return 200, pages.robots_txt(base).encode(), "text/plain; charset=utf-8", None
        m = _LISTING.match(path)
        if m:
            page = int(m.group("page") or 1)
            if m.group("domain") != "3522":
                return 200, site.render_empty_listing(base), html, None
            if m.group("page") and page == 1:
                return 301, b"", html, pages.listing_url(base, 1)
            body = site.render_listing(base, page)
            if body is None:
                return 404, pages.not_found_page(base).encode(), html, None
            return 200, body, html, None
        m = _DETAIL.match(path)
        if m:
            offer = site.get(m.group("ref"))
            if offer is not None:
                if path != offer.path:  # short form /offre-emploi/<REF>/ or stale slug
                    return 301, b"", html, base + offer.path
                return 200, site.render_detail(base, offer), html, None
        if path in ("/nos-offres", "/nos-offres/"):
            return 301, b"", html, pages.listing_url(base, 1)
        return 404, pages.not_found_page(base).encode(), html, None

    def faulty_answer(self, path: str) -> Answer:
        """The answer to ``path`` with the faults applied (see ``replica.faults``)."""
        def normal() -> Answer:
            status, body, ctype, location = self.respond(path)
            return Answer(status, body, {"Content-Type": ctype, **({"Location": location} if location else {}),
                                         **self.validators(path, status, body)})
        listing = _LISTING.match(path)
        page = int(listing.group("page") or 1) if listing else None
        return self.faults.answer(path, page, bool(_DETAIL.match(path)), self.base_url, normal)

    def admin(self, path: str, params: dict[str, str]) -> tuple[int, object]:
        """The ``POST /__replica__/...`` admin API: `admin_action`, its errors answered."""
        try:
            answer = self.admin_action(path, params)
        except KeyError as exc:
            return 404, {"error": f"unknown offer or missing parameter: {exc}"}
        except (TypeError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return answer or (404, {"error": "unknown admin action"})

    def admin_action(self, path: str, params: dict[str, str]) -> tuple[int, object] | None:
        """faults, add, remove, edit, counters, offers; None for another path."""
        site = self.site
        if path == "/__replica__/faults":
            if self.faults is None or params.pop("reset", None):
                self.faults = FaultInjector(Faults())
            self.faults.faults.update(params)
            return 200, {"faults": self.faults.faults.as_dict(), "injected": self.faults.injected}
        if path == "/__replica__/add":
            added = site.add_generated(int(params.get("n", "1")))
            return 200, {"added": [o.reference for o in added]}
        if path == "/__replica__/remove":
            site.remove(params["ref"])
            return 200, {"removed": params["ref"]}
        if path == "/__replica__/edit":
            ref = params.pop("ref")
            fields = {f.name for f in dataclasses.fields(Offer)} - {"reference", "version", "published",
                                                                    "modified", "deadline"}
            changes: dict[str, object] = {k: (v or None) if k in ("category", "metier", "remote") else v
                                          for k, v in params.items() if k in fields}
            if "deadline" in params:  # ISO date, empty for none
                changes["deadline"] = date.fromisoformat(params["deadline"]) if params["deadline"] else None
            new = site.edit(ref, **changes)
            return 200, {"edited": ref, "modified": new.modified.isoformat()}
        if path == "/__replica__/counters":
            if params.get("reset"):
                self.reset_counters()
            return 200, self.counters()
        if path == "/__replica__/offers":
            return 200, {"offers": [{"reference": o.reference, "url": self.base_url + o.path, "title": o.title}
                                    for o in site.offers]}
        return None

    def start(self) -> "ReplicaServer":
        """Bind and serve in a daemon thread."""
        self._httpd = _QuietServer((self.host, self.port), self.handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


from .static import rewrite_links, serve_static  # noqa: E402 (re-exported)

__all__ = ["ReplicaSite", "ReplicaServer", "serve_static", "rewrite_links", "site_slug"]
