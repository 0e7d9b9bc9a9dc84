"""``python -m replica serve --offers 250 --seed 1 --port 8000``: serve the CSP replica."""

from __future__ import annotations

import argparse
import sys
import time

from .generator import generate_offers
from .pages import LISTING_PATH
from .server import ReplicaServer, ReplicaSite


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m replica", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the replica until interrupted")
    serve.add_argument("--offers", type=int, default=250, help="number of generated offers")
    serve.add_argument("--seed", type=int, default=1, help="generation seed")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)

    site = ReplicaSite(generate_offers(args.offers, args.seed), seed=args.seed)
    with ReplicaServer(site, args.host, args.port) as server:
        print(server.base_url, flush=True)
        print(f"listing: {server.base_url}{LISTING_PATH}  ({args.offers} offers, seed {args.seed})",
              file=sys.stderr, flush=True)
        print("admin: POST /__replica__/add?n=5 | /__replica__/edit?ref=REF&title=... | "
              "/__replica__/remove?ref=REF | /__replica__/offers", file=sys.stderr, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
