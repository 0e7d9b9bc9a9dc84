"""The ET replica's state (``TerritorialSite``) and server (``TerritorialServer``): the listing's
GET filters (family, 3-digit département, employer id, catégorie), paging, ``#nb-offres``, the
detail pages, ``/rss``, ``robots.txt``; the CSP replica's faults (``replica.faults``) apply."""
from __future__ import annotations

import dataclasses
import re
import threading
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from replica.faults import Answer, Faults
from replica.generator import NOW
from replica.server import ReplicaServer, ReplicaSite, _Handler

from . import pages
from .generator import EtOffer, generate_territorial

_DETAIL = re.compile(r"^/offre/(?P<ref>[oO]\d{15})(?:-(?P<slug>[^/]*))?/?$")


class TerritorialSite:
    """The offers the ET replica currently publishes."""

    def __init__(self, offers: list[EtOffer] | None = None, *, today: date | None = None, seed: int = 0) -> None:
        self._offers: dict[str, EtOffer] = {o.reference: o for o in offers or []}
        self.today = today or NOW.date()
        self.seed = seed
        self._added = 0
        self.listing_cap: int | None = None  # a truncated listing: rows stop there, the total does not
        self.ignore_paging = False  # a broken pager: every page number answers page 1
        self._lock = threading.RLock()

    @property
    def offers(self) -> list[EtOffer]:
        """Current offers, newest first."""
        with self._lock:
            return sorted(self._offers.values(), key=lambda o: (o.published, o.reference), reverse=True)

    def get(self, reference: str) -> EtOffer | None:
        with self._lock:
            return self._offers.get(reference.upper())

    def add(self, offers: list[EtOffer]) -> None:
        with self._lock:
            self._offers.update({o.reference: o for o in offers})

    def add_generated(self, n: int) -> list[EtOffer]:
        """``n`` new offers of ET only, published today."""
        with self._lock:
            self._added += 1
            fresh = [dataclasses.replace(o, published=self.today,
                                         reference=f"{o.reference[:4]}{self.today:%y%m%d}{o.reference[10:]}",
                                         deadline=self.today + timedelta(days=30) if o.deadline else None)
                     for o in generate_territorial(n, self.seed, start=1000 * self._added, today=self.today)]
            fresh = [o for o in fresh if o.reference not in self._offers]
            self.add(fresh)
            return fresh

    def edit(self, reference: str, **changes: object) -> EtOffer:
        with self._lock:
            old = self._offers[reference]
            new = dataclasses.replace(old, **changes, version=old.version + 1)
            self._offers[reference] = new
            return new

    def remove(self, reference: str) -> EtOffer:
        with self._lock:
            return self._offers.pop(reference)

    def search(self, params: dict[str, str]) -> list[EtOffer]:
        """The offers a listing query selects (a 2-digit département matches nothing, as on the real site)."""
        out = self.offers
        if params.get("search-fam-metier"):
            out = [o for o in out if o.family_code == params["search-fam-metier"]]
        if params.get("search-dept"):
            out = [o for o in out if o.dept_code3 == params["search-dept"]]
        if params.get("search-col"):
            out = [o for o in out if o.employer_id == params["search-col"]]
        if params.get("search-cat"):
            out = [o for o in out if params["search-cat"] in o.categories]
        return out

    def render_listing(self, params: dict[str, str]) -> bytes:
        page = int(params.get("page") or 1) if (params.get("page") or "1").isdigit() else 1
        page = 1 if self.ignore_paging else page
        selected = self.search(params)
        shown = selected[: self.listing_cap] if self.listing_cap is not None else selected
        rows = shown[(page - 1) * pages.PER_PAGE: page * pages.PER_PAGE]
        query = "&".join(f"{k}={v}" for k, v in params.items() if k != "page")
        return pages.listing_page(rows, page, len(selected), query).encode()


class _EtHandler(_Handler):
    def do_GET(self, head: bool = False) -> None:  # the query matters here: pass the whole target
        owner = self.owner
        owner._log(self.path)
        answer = owner.faulty_answer(self.path) if owner.faults is not None else Answer(
            *owner.respond_full(self.path))
        if answer.delay:
            import time
            time.sleep(answer.delay)
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


class TerritorialServer(ReplicaServer):
    """Serves a ``TerritorialSite`` on loopback (context manager), with optional ``Faults``."""

    handler = _EtHandler
    thread_name = "et-replica"

    def __init__(self, site: TerritorialSite, host: str = "127.0.0.1", port: int = 0,
                 faults: Faults | None = None) -> None:
        super().__init__(ReplicaSite([]), host, port, faults)
        self.site = site  # type: ignore[assignment]

    def respond_full(self, target: str) -> tuple[int, bytes, dict[str, str]]:
        """(status, body, headers) for a GET of ``target`` (path and query)."""
        parts = urlsplit(target)
        path = parts.path
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        html = {"Content-Type": "text/html; charset=UTF-8"}
        if path == "/robots.txt":
            return 200, pages.robots_txt().encode(), {"Content-Type": "text/plain; charset=utf-8"}
        if path in ("/emploi-mobilite/", "/emploi-mobilite"):
            return 200, self.site.render_listing(params), html
        if path in ("/rss", "/rss/"):
            return 200, pages.rss_feed(self.site.offers, self.base_url).encode(), {
                "Content-Type": "application/rss+xml; charset=UTF-8"}
        match = _DETAIL.match(path)
        offer = self.site.get(match.group("ref")) if match else None
        if offer is not None:
            if path != offer.path:
                return 301, b"", {**html, "Location": self.base_url + offer.path}
            return 200, pages.detail_page(offer).encode(), html
        return 404, pages.not_found_page().encode(), html

    def faulty_answer(self, target: str) -> Answer:
        parts = urlsplit(target)
        params = parse_qs(parts.query)
        listing = parts.path.startswith("/emploi-mobilite")
        page = int((params.get("page") or ["1"])[-1]) if listing else None

        def normal() -> Answer:
            return Answer(*self.respond_full(target))
        return self.faults.answer(target if listing else parts.path, page, bool(_DETAIL.match(parts.path)),
                                  self.base_url, normal)

    def admin_action(self, path: str, params: dict[str, str]) -> tuple[int, object] | None:
        """edit (the title), truncate (the listing cap), then those of every replica."""
        site = self.site
        if path == "/__replica__/edit":
            site.edit(params["ref"], title=params["title"])
            return 200, {"edited": params["ref"]}
        if path == "/__replica__/truncate":
            site.listing_cap = int(params["rows"]) if params.get("rows") else None
            return 200, {"listing_cap": site.listing_cap}
        return super().admin_action(path, params)
