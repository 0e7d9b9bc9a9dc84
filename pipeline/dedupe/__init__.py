"""Cross-source deduplication: postings -> clusters, one cluster per offer.

One-way flow, each module importing only those before it:

- `keys`: the `Posting` the matcher sees, reference/URL/block index keys;
- `near`: stage 3, near-duplicates inside a block (scores, rejections);
- `cluster`: the staged matcher (`dedupe`), union-find, clusters and their members;
- `explain`: why a posting ended up in its cluster.

See docs/deduplication.md.
"""
from __future__ import annotations

from pipeline.dedupe.keys import Posting, block_key, index_keys, reference_key
from pipeline.sources import OFFICIAL_SOURCE
from pipeline.dedupe.near import Rejection
from pipeline.dedupe.cluster import Cluster, DedupeResult, Member, dedupe
from pipeline.dedupe.explain import explain

__all__ = ["OFFICIAL_SOURCE", "Posting", "Member", "Cluster", "Rejection", "DedupeResult",
           "dedupe", "reference_key", "block_key", "index_keys", "explain"]
