"""`offres explain`: which postings form an offer and why, and what was not merged."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlite_utils import Database

from pipeline.dedupe_explain import explain
from pipeline.lifecycle import RebuildStats, compute_clusters
from pipeline.reports import find_offer

OFFER_KEYS = ("id", "reference", "title", "employer", "status", "status_reason", "digital", "family",
              "classification_reason", "first_seen_at", "last_seen_at", "closed_at", "reopened_at", "url")


def explain_offer(db: Database, needle: str, now: datetime | None = None) -> dict | None:
    """The offer matching an id, reference or posting id, with its dedup explanation."""
    offer = find_offer(db, needle)
    rows_by_id, _, result = compute_clusters(db, now or datetime.now(timezone.utc), RebuildStats())
    query = offer["canonical_posting_id"] if offer else needle
    report = explain(result, query)
    if offer is None and not report.get("found"):
        return filtered_out(db, needle)
    for posting in report.get("postings", []):
        row = rows_by_id.get(posting["posting_id"]) or {}
        posting.update(last_seen_at=row.get("last_seen_at"), gone_at=row.get("gone_at"))
        kept_by = ((row.get("record") or {}).get("extra") or {}).get("public_employer")
        if kept_by:  # a source that filters employers (francetravail): the rule that kept it
            posting["kept_by"] = kept_by
    return {"offer": {k: offer.get(k) for k in OFFER_KEYS} if offer else None, **report}


def filtered_out(db: Database, needle: str) -> dict | None:
    """An offer a source left out (not a public employer's), with the reason; None if unknown."""
    if not db.table("source_filtered").exists():
        return None
    row = next(db.query("select * from source_filtered where upper(reference) = upper(?) or url = ? "
                        "order by seen_at desc limit 1", [needle.strip(), needle.strip()]), None)
    if row is None:
        return None
    return {"offer": None, "found": False, "filtered_out": row, "postings": [], "rejected": []}


def format_explanation(report: dict) -> str:
    """The explanation as text for the terminal."""
    lines = []
    dropped = report.get("filtered_out")
    if dropped:
        return (f"Not kept: {dropped['source']} offer {dropped['reference']}  {dropped['title']}\n"
                f"  employer: {dropped['employer']}, NAF {dropped['naf']}\n"
                f"  dropped by the public-employer filter: {dropped['reason']} (seen {dropped['seen_at']})\n"
                f"  {dropped['url']}")
    offer = report.get("offer")
    if offer:
        lines.append(f"Offer {offer['id']}  {offer['reference'] or ''}  {offer['title']}")
        lines.append(f"  status: {offer['status']}" + (f" ({offer['status_reason']})" if offer["status_reason"] else ""))
        lines.append(f"  digital: {bool(offer['digital'])}, family: {offer['family']} ({offer['classification_reason']})")
        lines.append(f"  first seen {offer['first_seen_at']}, last seen {offer['last_seen_at']}")
    postings = report.get("postings", [])
    lines.append(f"\nPostings ({len(postings)}):")
    for p in postings:
        mark = "*" if p["canonical"] else "-"
        gone = f", gone since {p['gone_at']}" if p.get("gone_at") else ""
        lines.append(f"  {mark} {p['posting_id']}  [{p['stage']}, score {p['score']:.2f}] {p['reason']}")
        lines.append(f"      {p['url']}  (first seen {p['first_seen_at']}{gone})")
        if p.get("kept_by"):
            lines.append(f"      kept as a public employer's offer by rule {p['kept_by']['rule']}: {p['kept_by']['reason']}")
    rejected = report.get("rejected", [])
    lines.append(f"\nNear-candidates not merged ({len(rejected)}):")
    for r in rejected:
        other = r.get("other_id") if r.get("posting_id") in {p["posting_id"] for p in postings} else r.get("posting_id")
        lines.append(f"  - {other} (offer {r.get('other_cluster_id')}): {r.get('reason')}")
    for rule in (report.get("rules") or {}).values():
        lines.append(f"\n{rule}")
    return "\n".join(lines)
