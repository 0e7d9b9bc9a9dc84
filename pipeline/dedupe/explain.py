"""`explain`: why a posting or reference ended up in its cluster (for `offres explain REF`)."""
from __future__ import annotations

from pipeline.dedupe.cluster import DedupeResult
from pipeline.dedupe.keys import reference_key
from pipeline.urls import canonical_url

CANONICAL_RULE = ("canonical posting: the official board's pages (sources 'csp' and 'csp-unlisted') first, then the most complete "
                  "record, then the earliest seen, then the smallest posting id")
CLUSTER_ID_RULE = ("cluster id: 'c' + blake2b-64 hex of the posting id of the earliest-seen member "
                   "(first_seen_at, then posting id): stable while postings are added")


def _lookup(result: DedupeResult, query: str) -> tuple[str | None, list[str]]:
    if query in result.postings:
        return "posting_id", [query]
    key = reference_key(query)
    if key:
        hits = [pid for pid, p in result.postings.items() if reference_key(p.reference) == key]
        if hits:
            return "reference", sorted(hits)
    if "/" in query:
        wanted = canonical_url(query)
        hits = [pid for pid, p in result.postings.items() if p.url and canonical_url(p.url) == wanted]
        if hits:
            return "url", sorted(hits)
    return None, []


def explain(result: DedupeResult, reference_or_posting_id: str) -> dict:
    """The cluster of a posting id, reference (any case) or URL: its postings with the stage,
    score and reason that attached each, and the rejected near-candidates with why."""
    query = reference_or_posting_id.strip()
    matched_by, hits = _lookup(result, query)
    out: dict = {"query": query, "found": bool(hits), "matched_by": matched_by,
                 "rules": {"canonical": CANONICAL_RULE, "cluster_id": CLUSTER_ID_RULE}}
    if not hits:
        return out
    clusters = []
    for pid in hits:
        cluster = result.cluster_of(pid)
        if cluster is not None and cluster not in clusters:
            clusters.append(cluster)
    cluster = clusters[0]
    postings = []
    for m in cluster.members:
        p = result.postings[m.posting_id]
        postings.append({
            "posting_id": p.posting_id, "source": p.source, "reference": p.reference, "url": p.url,
            "title_key": p.title_key, "employer_key": p.employer_key, "department_code": p.department_code,
            "published_on": p.published_on, "first_seen_at": p.first_seen_at, "completeness": p.completeness,
            "canonical": m.posting_id == cluster.canonical_id, "stage": m.stage, "score": m.score,
            "reason": m.reason, "via": m.via,
        })
    rejected = []
    for r in result.rejected_for(cluster.posting_ids):
        other = r.other_id if r.posting_id in cluster.posting_ids else r.posting_id
        other_cluster = result.cluster_of(other)
        entry = r.to_dict()
        entry["other_cluster_id"] = other_cluster.cluster_id if other_cluster else None
        entry["same_cluster"] = other_cluster is cluster
        rejected.append(entry)
    out.update({
        "cluster_id": cluster.cluster_id,
        "canonical_id": cluster.canonical_id,
        "postings": postings,
        "rejected": rejected,
        "other_clusters": [c.cluster_id for c in clusters[1:]],
    })
    return out
