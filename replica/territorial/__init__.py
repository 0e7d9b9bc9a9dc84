"""A local replica of emploi-territorial.fr (ET) for tests, the demo and benchmarks.

    from replica.territorial import TerritorialServer, TerritorialSite, generate_territorial
    with TerritorialServer(TerritorialSite(generate_territorial(100, seed=1))) as server:
        crawl(server.base_url + "/emploi-mobilite/?search-fam-metier=A7&page=1")
"""
from .generator import EtOffer, employer_id, from_csp, generate_territorial
from .pages import PER_PAGE
from .server import TerritorialServer, TerritorialSite

__all__ = ["EtOffer", "employer_id", "from_csp", "generate_territorial", "PER_PAGE",
           "TerritorialServer", "TerritorialSite"]
