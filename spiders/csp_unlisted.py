"""The CSP spider's second task: pages of digital offers filed outside the Numérique listing.

The open-data file queues them (`pipeline.detail_queue`); each crawl fetches at most
`OFFRES_UNLISTED_BUDGET` of them by the board's short URL `/offre-emploi/<REF>/` (which
redirects to the canonical page), after the listing and its offers (lower priority),
with the crawl's politeness. A page becomes a posting of source `csp-unlisted`: it is
not counted in the listing's health and its absence from the listing closes nothing.
"""
from __future__ import annotations

from urllib.parse import quote

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from parsers.csp import ParseError, parse_offer
from pipeline.detail_queue import DEFAULT_BUDGET, SOURCE, due, record_outcomes
from pipeline.record import RawPosting
from pipeline.store import open_db, utcnow

PRIORITY = -10  # after the listing pages (10) and the listed offers (0)
GONE_STATUSES = [404, 410]


class UnlistedPages:
    """Mixin of CspSpider: requests for queued references, their parse, their outcomes."""

    base_url: str
    crawler: scrapy.crawler.Crawler

    def unlisted_due(self, db) -> list[str]:
        """The references to fetch this run (the budget from the settings)."""
        budget = self.settings.getint("OFFRES_UNLISTED_BUDGET", DEFAULT_BUDGET)
        self.unlisted_outcomes: list[dict] = []
        return due(db, budget) if budget > 0 else []

    def unlisted_requests(self, references: list[str]) -> list[scrapy.Request]:
        """One request per reference, by the board's short URL."""
        self.crawler.stats.set_value("offres/unlisted/due", len(references))
        return [scrapy.Request(f"{self.base_url}/offre-emploi/{quote(ref, safe='')}/", priority=PRIORITY,
                               callback=self.parse_unlisted_page, errback=self.unlisted_error,
                               meta={"handle_httpstatus_list": GONE_STATUSES}, cb_kwargs={"reference": ref})
                for ref in references]

    def parse_unlisted_page(self, response: Response, reference: str):
        stats = self.crawler.stats
        if response.status in GONE_STATUSES:
            stats.inc_value("offres/unlisted/missing")
            self.unlisted_outcome(reference, "missing", message=f"HTTP {response.status} at {response.url}")
            return
        try:
            record = parse_offer(response.text, response.url)
        except ParseError as exc:
            stats.inc_value(f"offres/unlisted/parse_error/{exc.field}")
            self.unlisted_outcome(reference, "failed", message=str(exc))
            return
        found = (record.get("reference") or "").strip()
        if found.lower() != reference.strip().lower():
            stats.inc_value("offres/unlisted/mismatch")
            self.unlisted_outcome(reference, "mismatch", message=f"{response.url} shows reference {found or 'none'}")
            return
        record.update(source=SOURCE, fetched_at=utcnow())
        posting = RawPosting.from_dict(record, where=response.url)
        stats.inc_value("offres/unlisted/fetched")
        self.unlisted_outcome(reference, "fetched", posting_id=posting.posting_id())
        yield posting

    def unlisted_error(self, failure: Failure):
        reference = failure.request.cb_kwargs["reference"]
        self.crawler.stats.inc_value("offres/unlisted/errors")
        self.unlisted_outcome(reference, "failed", message=f"no answer: {failure.getErrorMessage()}"[:300])

    def unlisted_outcome(self, reference: str, outcome: str, **extra: str) -> None:
        self.unlisted_outcomes.append({"reference": reference, "outcome": outcome, **extra})

    def save_unlisted_outcomes(self, db_path: str | None) -> None:
        """Write the outcomes to the queue (a page that got none stays due)."""
        outcomes = getattr(self, "unlisted_outcomes", None)
        if not db_path or not outcomes:
            return
        db = open_db(db_path)
        try:
            record_outcomes(db, outcomes, utcnow())
        finally:
            db.close()
