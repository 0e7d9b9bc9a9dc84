"""`offres explain`: which postings form an offer and why, and what was not merged."""
from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from pipeline import normalized as store_n
from pipeline.dedupe import Posting, dedupe, explain, reference_key
from pipeline.lifecycle import NOT_ON_BOARD
from pipeline.sources import BOARD_SOURCES, OFFICIAL_SOURCE
from pipeline.rebuild_groups import closure
from pipeline.reports import find_offer
from pipeline.urls import canonical_url

OFFER_KEYS = ("id", "reference", "title", "employer", "status", "status_reason", "digital", "family",
              "classification_reason", "first_seen_at", "last_seen_at", "closed_at", "reopened_at", "url")


def explain_offer(db: Database, needle: str, now: datetime | None = None) -> dict | None:
    """The offer matching an id, reference or posting id, with its dedup explanation."""
    offer = find_offer(db, needle)
    rows_by_id, result = group_of(db, offer, needle.strip())
    query = offer["canonical_posting_id"] if offer else needle
    report = explain(result, query)
    if offer is None and not report.get("found"):
        return filtered_out(db, needle)
    for posting in report.get("postings", []):
        row = rows_by_id.get(posting["posting_id"]) or {}
        posting.update(last_seen_at=row.get("last_seen_at"), gone_at=row.get("gone_at"), source=row.get("source"),
                       deadline=row.get("deadline"))
        kept_by = row.get("public_employer")
        if kept_by:  # a source that filters employers (francetravail): the rule that kept it
            posting["kept_by"] = kept_by
    summary = {k: offer.get(k) for k in OFFER_KEYS} if offer else None
    if summary:
        summary["status_decided_by"] = status_decided_by(summary, report.get("postings", []))
    return {"offer": summary, **report}


def status_decided_by(offer: dict, postings: list[dict]) -> str:
    """Which source's evidence gave the offer its status (the postings as in the report)."""
    reason = offer.get("status_reason") or ""
    if reason.startswith("deadline "):
        stated = reason.split()[1]
        who = sorted({p["source"] for p in postings if p.get("deadline") == stated and p.get("source")})
        return f"the deadline stated by {', '.join(who) or 'its canonical posting'}"
    if reason.startswith("absent from the complete crawl of "):
        return reason.split(" at ")[0].replace("absent from ", "")
    if reason == NOT_ON_BOARD:
        return f"the complete crawl of {OFFICIAL_SOURCE} (the offer is only on the curated page)"
    listed = sorted({p["source"] for p in postings if p.get("source") in BOARD_SOURCES and not p.get("gone_at")})
    if listed:
        return f"listed by {', '.join(listed)}"
    return "no source shows it gone or past its deadline (" + ", ".join(
        sorted({p["source"] for p in postings if p.get("source")})) + ")"


def _seeds(db: Database, offer: dict | None, needle: str) -> set[str]:
    """The postings an explanation starts from: the offer's, or those the needle names."""
    if offer:
        return {r[0] for r in db.execute("select posting_id from merges where offer_id = ?", [offer["id"]])}
    ids = {r[0] for r in db.execute("select posting_id from normalized where posting_id = ?", [needle])}
    if (key := reference_key(needle)):
        ids |= store_n.sharing(db, "ref_key", [key])
    if "/" in needle:
        wanted = canonical_url(needle)
        ids |= {r[0] for r in db.execute("select id, url from postings") if r[1] and canonical_url(r[1]) == wanted}
    return ids


def group_of(db: Database, offer: dict | None, needle: str):
    """(posting rows by id, dedup result) of the group the offer or needle belongs to: the
    postings linked to it by shared keys, plus those with its employer and title in other
    departments (the notes of `explain`), each with its own group. The clusters, merges and
    rejections of this group are those a deduplication of every posting gives."""
    store_n.ensure_table(db)
    ids = closure(db, _seeds(db, offer, needle), set())
    names = {r[0] for batch in store_n.chunks(ids) for r in db.execute(
        f"select distinct name_key from normalized where name_key is not null and posting_id in "
        f"({store_n.marks(len(batch))})", batch)}
    more = store_n.sharing(db, "name_key", names) - ids
    if more:
        ids = closure(db, ids | more, set())
    rows_by_id, postings = {}, []
    for row, fields in store_n.load(db, ids):
        rows_by_id[row["id"]] = {**row, "deadline": fields.get("deadline")}
        postings.append(Posting.from_offer_fields(row["id"], row["source"], row["first_seen_at"], fields))
    return rows_by_id, dedupe(postings)


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
        lines.append(f"  status: {offer['status']}" + (f" ({offer['status_reason']})" if offer["status_reason"] else "")
                     + (f", decided by {offer['status_decided_by']}" if offer.get("status_decided_by") else ""))
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
