"""A local replica of choisirleservicepublic.gouv.fr (CSP) for tests, the demo and benchmarks.

    from replica import ReplicaServer, ReplicaSite, generate_offers
    with ReplicaServer(ReplicaSite(generate_offers(250, seed=1))) as server:
        crawl(server.base_url + LISTING_PATH)
"""

from .generator import NOW, Offer, generate_offers, site_slug
from .pages import LISTING_PATH, PER_PAGE, listing_url
from .faults import Faults
from .server import ReplicaServer, ReplicaSite, rewrite_links, serve_static

__all__ = [
    "NOW", "Offer", "generate_offers", "site_slug", "LISTING_PATH", "PER_PAGE", "listing_url",
    "ReplicaServer", "ReplicaSite", "rewrite_links", "serve_static", "Faults",
]
