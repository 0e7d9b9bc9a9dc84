"""The audit of a hand-kept page of offers (the DINUM "Rejoignez-nous" page) against the database.

Input: the page as `parsers.curated_page.parse_curated_page` reads it (the caller parses). Findings:
- `mislinked`: panels whose title link and button link carry different references;
- `closed`: offers the page lists that are closed (with the reason: the board closed them, their
  deadline passed, or a complete crawl of the board no longer lists them);
- `missing`: open digital offers of the page's employer on the board that the page does not list;
- `labels`: category, place or remote work written on the page that disagree with the board.
`closed`, `missing` and `labels` need a complete, healthy crawl of the board: without one
they are not judged (nothing is reported from data that may be stale), and the report says so.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from pipeline.export.selection import Selection, select_offers
from pipeline.sources import CURATED_SOURCE, OFFICIAL_SOURCE
from pipeline.normalize import normalize_category, normalize_location, normalize_reference, reference_from_url
from pipeline.store import last_healthy_run

REMOTE_IN_PLACE = re.compile(r"\(\s*t[ée]l[ée]-?travail[^)]*\)", re.IGNORECASE)


@dataclass
class AuditReport:
    """What is wrong on the page; `to_fix` is the number of findings."""

    page: str
    panels: int
    board_run: int | None
    mislinked: list[dict] = field(default_factory=list)
    closed: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def to_fix(self) -> int:
        return len(self.mislinked) + len(self.closed) + len(self.missing) + len(self.labels)

    def as_dict(self) -> dict:
        return {**asdict(self), "to_fix": self.to_fix}


def canonical_reference(value: str | None) -> str | None:
    """A reference in the board's canonical form."""
    return normalize_reference(value)["reference"] if value else None


def mislinked(records: list[dict]) -> list[dict]:
    """Panels whose two links disagree: title, both references, what the page reader kept."""
    out = []
    for record in records:
        if not record.get("link_conflict"):
            continue
        out.append({"title": record.get("title"), "theme": record.get("theme"),
                    "title_link_reference": reference_from_url(record.get("title_url")),
                    "button_link_reference": reference_from_url(record.get("button_url")),
                    "title_url": record.get("title_url"), "button_url": record.get("button_url"),
                    "message": record["link_conflict"]})
    return out


def page_references(record: dict) -> set[str]:
    """Every board reference a page entry points at (both links of a mislinked panel)."""
    refs = {record.get("reference"), reference_from_url(record.get("title_url")), reference_from_url(record.get("button_url")),
            reference_from_url(record.get("url"))}
    return {r for r in (canonical_reference(x) for x in refs if x) if r}


def offers_by_reference(db: Database) -> dict[str, dict]:
    """Every offer with a reference, and whether the board lists it (`on_board`: a posting of the official source)."""
    out = {}
    for row in db.query("select * from offers where reference is not null"):
        sources = json.loads(row["sources"] or "[]")
        out[row["reference"]] = {**row, "on_board": any(s.get("source") == OFFICIAL_SOURCE for s in sources)}
    return out


def place_disagreement(written: str, offer: dict) -> str | None:
    """Why the page's place disagrees with the board's, or None."""
    location = json.loads(offer["location"] or "{}")
    page = normalize_location(REMOTE_IN_PLACE.sub("", written).strip())
    for key in ("department_code", "city"):
        if page.get(key) and location.get(key) and page[key].casefold() != location[key].casefold():
            return f"the page says {written!r}, the board {location.get('label') or location.get(key)!r}"
    return None


def label_findings(record: dict, offer: dict) -> list[dict]:
    """The page's category, place and remote work against the board's offer."""
    found = []
    base = {"title": record.get("title"), "reference": offer["reference"], "url": offer["url"]}
    if record.get("category"):
        page_category = normalize_category(record["category"])["category"]
        if page_category and offer["category"] and page_category != offer["category"]:
            found.append({**base, "field": "category", "page": record["category"], "board": offer["category"]})
    place = record.get("location")
    if place:
        why = place_disagreement(place, offer)
        if why:
            found.append({**base, "field": "place", "page": place, "board": json.loads(offer["location"] or "{}").get("label"),
                          "message": why})
        page_remote = bool(REMOTE_IN_PLACE.search(place))
        if offer["remote"] is not None and page_remote != bool(offer["remote"]):
            found.append({**base, "field": "remote", "page": page_remote, "board": bool(offer["remote"])})
    return found


def audit_page(db: Database, page: dict, page_url: str, employer: str | None = "DINUM") -> AuditReport:
    """Compare a parsed hand-kept page with the database (see the module's docstring)."""
    records = page["records"]
    board = last_healthy_run(db, OFFICIAL_SOURCE)
    report = AuditReport(page=page_url, panels=sum(1 for r in records if r.get("theme")),
                         board_run=board["id"] if board else None, mislinked=mislinked(records))
    if board is None:
        report.notes.append("no complete, healthy crawl of the board in the database: closed offers, missing "
                            "offers and labels not checked (run `offres crawl csp` first)")
        return report
    offers = offers_by_reference(db)
    listed: set[str] = set()
    for record in records:
        refs = page_references(record)
        listed |= refs
        matched = [offers[r] for r in sorted(refs) if r in offers]
        if not matched:
            if refs:
                report.unknown.append({"title": record.get("title"), "references": sorted(refs)})
            continue
        for offer in matched:
            if offer["status"] == "closed":
                report.closed.append({"title": record.get("title"), "reference": offer["reference"], "url": offer["url"],
                                      "closed_at": offer["closed_at"], "reason": offer["status_reason"]})
        if not record.get("link_conflict") or record.get("reference"):
            offer = offers.get(canonical_reference(record.get("reference")) or "")
            if offer is not None and offer["on_board"] and offer["status"] == "open":
                report.labels.extend(label_findings(record, offer))
    if employer:
        for row in select_offers(db, Selection(employers=(employer,))):
            sources = {s.get("source") for s in json.loads(row["sources"] or "[]")}
            if row["reference"] in listed or sources <= {CURATED_SOURCE}:
                continue
            report.missing.append({"title": row["title"], "reference": row["reference"], "url": row["url"],
                                   "family": row["family"], "published_on": row["published_on"]})
    if report.unknown:
        report.notes.append(f"{len(report.unknown)} entries of the page are not on the board as crawled "
                            "(not counted as findings)")
    return report


def report_lines(report: AuditReport) -> list[str]:
    """The report as lines for a person (the page's editor)."""
    lines = [f"{report.page}: {report.panels} panels, {report.to_fix} thing(s) to fix"]
    for item in report.mislinked:
        lines.append(f"mislinked: '{item['title']}': title link {item['title_link_reference']}, "
                     f"button {item['button_link_reference']}")
    for item in report.closed:
        lines.append(f"closed on the board: '{item['title']}' ({item['reference']}): {item['reason']}")
    for item in report.missing:
        lines.append(f"not listed: '{item['title']}' ({item['reference']}) {item['url']}")
    for item in report.labels:
        lines.append(f"label: '{item['title']}' ({item['reference']}) {item['field']}: page {item['page']!r}, "
                     f"board {item['board']!r}")
    lines.extend(f"note: {note}" for note in report.notes)
    return lines
