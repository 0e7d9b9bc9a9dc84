"""France Travail "Offres d'emploi v2": public employers' offers in the digital ROME codes.

The digital ROME codes come from the `referentiel/metiers` endpoint; searches over them are
paged with `range`, split when their total is over the result cap (`spiders.francetravail_queries`),
and each offer is read by `parsers.francetravail`. Only public employers' offers are kept
(`parsers.francetravail_public`); the others are recorded in `source_filtered` with the reason,
for `offres explain`. The crawl is complete only when every query received every offer its
`Content-Range` total announced. Token and pacing: `spiders.francetravail_auth`.
See docs/sources/francetravail.md.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from parsers.francetravail import PARSER_VERSION, SOURCE, ParseError, content_range, parse_offer, parse_results
from pipeline.classify import classify
from pipeline.record import RawPosting
from pipeline.store import open_db, utcnow, write_transaction
from spiders.francetravail_queries import PAGE, Query, date_parts, ranges, split_parts

DEFAULT_API = "https://api.francetravail.io"
DEFAULT_TOKEN_URL = "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
TOKEN_PATH = "/connexion/oauth2/access_token?realm=%2Fpartenaire"
API_PATH = "/partenaire/offresdemploi/v2"
CREDENTIALS = ("FRANCETRAVAIL_CLIENT_ID", "FRANCETRAVAIL_CLIENT_SECRET")
DIGITAL_ROME_PREFIX = "M18"  # ROME group "Systèmes d'information et de télécommunication"
COVERAGE_SLACK = 0.01        # offers added or withdrawn during the crawl


def digital_rome_codes(metiers: list[dict]) -> list[str]:
    """The digital ROME codes of the referential: the M18 group, and codes whose label the
    classifier finds digital (ROME 4.0 added and renamed codes)."""
    codes = []
    for item in metiers:
        if not isinstance(item, dict) or not re.fullmatch(r"[A-Z]\d{4}", str(item.get("code") or "")):
            continue
        if item["code"].startswith(DIGITAL_ROME_PREFIX) or classify(str(item.get("libelle") or "")).digital:
            codes.append(item["code"])
    return sorted(set(codes))


class FranceTravailSpider(scrapy.Spider):
    """Searches the API over the digital ROME codes; keeps public employers' offers."""

    name = SOURCE
    parser_version = PARSER_VERSION
    required_environment = CREDENTIALS
    # No versant nor category on this board; the place and the dates are always given.
    first_run_floors = {"location": 0.9, "published": 0.95, "title": 0.95, "missions_html": 0.8}

    def __init__(self, base_url: str | None = None, max_pages: int | str = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = (base_url or DEFAULT_API).rstrip("/")
        self.token_url = self.base_url + TOKEN_PATH if base_url else DEFAULT_TOKEN_URL
        self.host = urlsplit(self.base_url).hostname
        self.allowed_domains = sorted({self.host, urlsplit(self.token_url).hostname})
        self.max_pages = int(max_pages)
        self.pages = 0
        self.requested = 0  # search pages asked for (--max-pages bounds them)
        self.listing_complete = False
        self.listing_failed = False
        self.listing_problems: list[str] = []
        self.auth_error: str | None = None
        self.queries: dict[int, Query] = {}
        self.seen_ids: set[str] = set()
        self.filtered: dict[str, dict] = {}
        self.started = datetime.now(timezone.utc)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cap = crawler.settings.getint("FRANCETRAVAIL_RESULT_CAP", 1150)
        spider.rome_batch = crawler.settings.getint("FRANCETRAVAIL_ROME_BATCH", 20)
        crawler.signals.connect(spider.record_filtered, signal=signals.spider_closed)
        return spider

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares["spiders.francetravail_auth.FranceTravailAuthMiddleware"] = 560  # before retries see a 401
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        # At most 3 requests a second are allowed: more requests in flight would only wait,
        # holding tokens that may expire meanwhile.
        for name in ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN"):
            settings.set(name, min(settings.getint(name), 2), priority="spider")

    @staticmethod
    def credentials() -> tuple[str, str]:
        """(client id, client secret) from the environment; never stored, never logged."""
        return os.environ.get(CREDENTIALS[0], ""), os.environ.get(CREDENTIALS[1], "")

    # -- requests ------------------------------------------------------------------------
    def api_request(self, path: str, params: dict[str, str] | None, callback, **cb_kwargs) -> scrapy.Request:
        url = self.base_url + API_PATH + path + ("?" + urlencode(params, safe=",:") if params else "")
        return scrapy.Request(url, callback=callback, errback=self.api_error, cb_kwargs=cb_kwargs,
                              meta={"ft_api": True}, headers={"Accept": "application/json"}, dont_filter=True)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.api_request("/referentiel/metiers", None, self.parse_referential)

    def search_request(self, query: Query, start: int, end: int, skip: int = 0) -> scrapy.Request:
        query.pages_pending += 1
        self.requested += 1
        return self.api_request("/offres/search", {**query.params(), "range": f"{start}-{end}"},
                                self.parse_search, qid=query.qid, start=start, skip=skip)

    def new_query(self, romes: tuple[str, ...], parent: Query | None = None, how: str | None = None,
                  **filters) -> Query:
        query = Query(len(self.queries) + 1, romes, parent=parent.qid if parent else None, split_by=how, **filters)
        self.queries[query.qid] = query
        if parent:
            parent.children.append(query.qid)
        return query

    # -- answers -------------------------------------------------------------------------
    def parse_referential(self, response: Response):
        try:
            metiers = json.loads(response.body)
        except ValueError:
            metiers = None
        codes = digital_rome_codes(metiers) if isinstance(metiers, list) else []
        if not codes:
            self.problem(f"the métiers referential gave no digital ROME code ({response.url})", failed=True)
            return
        self.crawler.stats.set_value("offres/ft/rome_codes", len(codes))
        self.logger.info("digital ROME codes: %s", ", ".join(codes))
        for i in range(0, len(codes), self.rome_batch):
            query = self.new_query(tuple(codes[i:i + self.rome_batch]))
            yield self.search_request(query, 0, PAGE - 1)

    def parse_search(self, response: Response, qid: int, start: int, skip: int = 0):
        query = self.queries[qid]
        query.pages_pending -= 1
        self.pages += 1
        self.crawler.stats.inc_value("offres/listing_pages")
        header = response.headers.get(b"Content-Range")
        found = content_range(header.decode("latin-1") if header else None)
        if response.status == 204:
            offers = []
        else:
            try:
                offers = parse_results(response.body)
            except ParseError as exc:
                self.problem(f"search {query.describe()} range {start}: {exc}", failed=True)
                query.state = "failed"
                yield from self.settle(query)
                return
        if found is None:
            if response.status == 204 or (start == 0 and response.status == 200 and len(offers) < PAGE):
                found = (0, len(offers) - 1, len(offers))  # nothing, or everything in one page
            else:
                self.problem(f"search {query.describe()} range {start}: no readable Content-Range "
                             f"(HTTP {response.status}): completeness cannot be checked", failed=True)
                query.state = "failed"
        query.received += len(offers[skip:])  # a last page moved back under the cap repeats `skip` offers
        yield from self.postings(offers, response.url)
        if query.state == "failed":
            yield from self.settle(query)
            return
        if start == 0:
            query.total = found[2]
            self.crawler.stats.inc_value("offres/ft/queries")
            if query.total > self.cap:
                yield from self.split(query)
            else:
                query.state = "paging"
                for a, b, skip in ranges(query.total, self.cap):
                    if self.requested >= self.max_pages:
                        self.problem(f"stopped at {self.max_pages} pages (max_pages)", failed=True)
                        break
                    yield self.search_request(query, a, b, skip)
        yield from self.settle(query)

    def postings(self, offers: list[dict], url: str):
        fetched = utcnow()
        for offer in offers:
            oid = str(offer.get("id") or "")
            if oid and oid in self.seen_ids:
                self.crawler.stats.inc_value("offres/ft/seen_twice")
                continue
            self.seen_ids.add(oid)
            try:
                record = parse_offer(offer, fetched)
            except ParseError as exc:
                self.crawler.stats.inc_value(f"offres/parse_error/{exc.field}")
                self.crawler.stats.inc_value("offres/listing_errors")
                self.logger.error("francetravail offer %s (%s): %s", oid or "?", url.split("?")[0], exc)
                continue
            verdict = record["public_employer"]
            if not verdict["public"]:
                self.crawler.stats.inc_value("offres/ft/not_public")
                self.filtered[record["reference"]] = {
                    "source": SOURCE, "reference": record["reference"], "url": record["url"],
                    "title": record["title"], "employer": record.get("employer"), "naf": record.get("naf_code"),
                    "kept": 0, "rule": None, "reason": verdict["reason"], "seen_at": fetched}
                continue
            self.crawler.stats.inc_value(f"offres/ft/public_rule/{verdict['rule']}")
            yield RawPosting.from_dict(record, where=record["url"])

    def split(self, query: Query, how_first: str | None = None):
        """Children of a query over the cap (its own first page was kept)."""
        parts = date_parts(query, self.started) if how_first == "date" else split_parts(query, self.started)
        if parts is None:
            query.state = "failed"
            self.problem(f"search {query.describe()}: {query.total} offers over the cap of {self.cap} "
                         "and no finer split: truncated", failed=True)
            return
        how, filters = parts
        query.state = "split"
        self.crawler.stats.inc_value(f"offres/ft/split_by/{how}")
        for f in filters:
            child = self.new_query(query.romes, parent=query, how=how, **f)
            yield self.search_request(child, 0, PAGE - 1)

    def settle(self, query: Query) -> list[scrapy.Request]:
        """Mark a query done when its pages are in (or its children are done), then its parents;
        returns the requests of a re-split (a département split that left offers out)."""
        while query is not None:
            if query.state == "paging" and query.pages_pending == 0:
                if query.received < query.total * (1 - COVERAGE_SLACK):
                    self.problem(f"search {query.describe()}: {query.received} offers received, "
                                 f"the API announced {query.total}", failed=True)
                query.state = "done"
            elif query.state == "split":
                children = [self.queries[c] for c in query.children]
                if any(c.state not in ("done", "failed") for c in children):
                    return []
                covered = sum(c.total or 0 for c in children if c.state == "done")
                if covered < query.total and children[0].split_by == "departement" \
                        and not any(c.state == "failed" for c in children):
                    self.logger.warning("search %s: départements cover %d of %d offers: split by date instead",
                                        query.describe(), covered, query.total)
                    self.crawler.stats.inc_value("offres/ft/department_shortfall")
                    query.children = []
                    return list(self.split(query, how_first="date"))
                if covered < query.total * (1 - COVERAGE_SLACK) and not any(c.state == "failed" for c in children):
                    self.problem(f"search {query.describe()}: its parts cover {covered} of {query.total} offers",
                                 failed=True)
                query.state = "done"
            elif query.state != "failed":
                return []
            query = self.queries.get(query.parent) if query.parent else None
        self.update_completion()
        return []

    def update_completion(self) -> None:
        roots = [q for q in self.queries.values() if q.parent is None]
        self.listing_complete = bool(roots) and all(q.state == "done" for q in roots) and not self.listing_failed

    def problem(self, message: str, failed: bool = False) -> None:
        self.listing_problems.append(message)
        self.logger.error("%s", message)
        if failed:
            self.listing_failed = True
            self.listing_complete = False
            self.crawler.stats.inc_value("offres/listing_errors")

    def api_error(self, failure: Failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        why = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        if response is not None and response.status == 400:
            try:
                why += ": " + str(json.loads(response.body).get("message"))
            except (ValueError, AttributeError):
                pass
        qid = request.cb_kwargs.get("qid")
        if qid is not None:
            query = self.queries[qid]
            query.pages_pending -= 1
            query.state = "failed"
            self.problem(f"search {query.describe()} range {request.cb_kwargs.get('start')} failed: {why}",
                         failed=True)
            yield from self.settle(query)
        elif self.auth_error is None:
            self.problem(f"{request.url.split('?')[0]} failed: {why}", failed=True)
        if self.auth_error is not None:
            self.listing_failed = True

    def record_filtered(self, spider, reason: str) -> None:
        """The offers left out, and why, for `offres explain` (no secret, no contact)."""
        if spider is not self or not self.filtered:
            return
        db = open_db(self.crawler.settings.get("OFFRES_DB"))
        with write_transaction(db):
            db.table("source_filtered").upsert_all(self.filtered.values(), pk=("source", "reference"), alter=True)
