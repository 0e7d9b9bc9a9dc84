"""``python -m replica serve --offers 250 --seed 1 --port 8000``: serve the CSP replica.

``python -m replica serve-territorial --offers 100 --csp-offers 250 --seed 1 --port 8001``: serve
the emploi-territorial.fr replica (the twins of the CSP replica's territorial offers, same seed).

``python -m replica serve-captures DIR``: serve real captured pages (a listing and detail
pages) at their own paths, their links pointed at the local server."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from .faults import Faults
from .generator import generate_offers
from .pages import LISTING_PATH
from .server import ReplicaServer, ReplicaSite, rewrite_links, serve_static

CANONICAL = re.compile(rb'<link rel="canonical" href="([^"]+)"')


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m replica", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the replica until interrupted")
    serve.add_argument("--offers", type=int, default=250, help="number of generated offers")
    serve.add_argument("--seed", type=int, default=1, help="generation seed")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    for f in dataclasses.fields(Faults):  # --error-rate 0.1 --block-from 3 --relabel ...
        flag = "--" + ("fault-seed" if f.name == "seed" else f.name.replace("_", "-"))
        if f.type in ("bool", bool):
            serve.add_argument(flag, dest=f"fault_{f.name}", action="store_true", help=f"fault: {f.name}")
        else:
            serve.add_argument(flag, dest=f"fault_{f.name}", default=None, help=f"fault: {f.name} ({f.default})")
    captures = sub.add_parser("serve-captures", help="serve real captured pages until interrupted")
    captures.add_argument("directory", type=Path, nargs="+",
                          help="folders of .html captures (e.g. tests/fixtures/csp/listing-numerique "
                               "tests/fixtures/csp/offer-state, or ../shared/real-pages/csp)")
    captures.add_argument("--host", default="127.0.0.1")
    captures.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    territorial = sub.add_parser("serve-territorial", help="serve the emploi-territorial.fr replica until interrupted")
    territorial.add_argument("--offers", type=int, default=100, help="offers of that board only")
    territorial.add_argument("--csp-offers", type=int, default=250,
                             help="size of the CSP replica (same seed) whose territorial offers are twinned")
    territorial.add_argument("--seed", type=int, default=1, help="generation seed")
    territorial.add_argument("--host", default="127.0.0.1")
    territorial.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    args = parser.parse_args(argv)
    if args.command == "serve-territorial":
        return serve_territorial(args)
    if args.command == "serve-captures":
        return serve_captures(args.directory, args.host, args.port)

    now = datetime.now(timezone.utc)  # dates relative to today, so deadlines are not all past
    site = ReplicaSite(generate_offers(args.offers, args.seed, now=now), today=now.date(), seed=args.seed)
    given = {k[6:]: str(v) for k, v in vars(args).items() if k.startswith("fault_") and v not in (None, False)}
    faults = None
    if given:
        faults = Faults()
        faults.update(given)
    with ReplicaServer(site, args.host, args.port, faults=faults) as server:
        print(server.base_url, flush=True)
        print(f"listing: {server.base_url}{LISTING_PATH}  ({args.offers} offers, seed {args.seed})",
              file=sys.stderr, flush=True)
        print("admin: POST /__replica__/add?n=5 | /__replica__/edit?ref=REF&title=... | "
              "/__replica__/remove?ref=REF | /__replica__/offers | /__replica__/faults?block_from=3", file=sys.stderr, flush=True)
        wait()
    return 0


def serve_territorial(args: argparse.Namespace) -> int:
    """Serve the emploi-territorial.fr replica until interrupted."""
    from .territorial import TerritorialServer, TerritorialSite, generate_territorial

    now = datetime.now(timezone.utc)
    csp = generate_offers(args.csp_offers, args.seed, now=now) if args.csp_offers else []
    site = TerritorialSite(generate_territorial(args.offers, args.seed, csp, today=now.date()),
                           today=now.date(), seed=args.seed)
    with TerritorialServer(site, args.host, args.port) as server:
        print(server.base_url, flush=True)
        print(f"listing: {server.base_url}/emploi-mobilite/?search-fam-metier=A7&page=1  "
              f"({len(site.offers)} offers, seed {args.seed}); feed: {server.base_url}/rss", file=sys.stderr, flush=True)
        print("admin: POST /__replica__/add?n=5 | /__replica__/edit?ref=REF&title=... | /__replica__/remove?ref=REF | "
              "/__replica__/truncate?rows=N | /__replica__/offers | /__replica__/faults?block_from=3",
              file=sys.stderr, flush=True)
        wait()
    return 0


def capture_paths(directory: Path | list[Path]) -> dict[str, bytes]:
    """Each capture (of one folder or several) at the path of its canonical link; a page of cards
    without one is the listing."""
    pages: dict[str, bytes] = {}
    folders = [directory] if isinstance(directory, Path) else list(directory)
    for path in sorted(p for folder in folders for p in folder.glob("*.html")):
        content = path.read_bytes()
        canonical = CANONICAL.search(content)
        if canonical:
            pages[urlsplit(canonical.group(1).decode()).path] = content
        elif b"fr-card--offer" in content:
            pages[LISTING_PATH] = content
    return pages


def serve_captures(directory: Path | list[Path], host: str, port: int) -> int:
    """Serve the captures until interrupted: the listing's links point at this server,
    detail pages are served as captured (their canonical link is the real one)."""
    pages = capture_paths(directory)
    with serve_static(pages, host=host, port=port, rewrite=False) as server:
        if LISTING_PATH in pages:
            pages[LISTING_PATH] = rewrite_links(pages[LISTING_PATH], server.base_url)
        print(server.base_url, flush=True)
        for page in pages:
            print(f"  {server.base_url}{page}", file=sys.stderr, flush=True)
        wait()
    return 0


def wait() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
