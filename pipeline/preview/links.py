"""The board address an offer links to, also when it was crawled from a mirror.

A crawl of a mirror or of the local replica (`offres crawl --base-url`, `make demo`)
stores the mirror's addresses; the mirror reproduces the board's paths, so the
board's address is the same path on the board's host. The mirrors are the
`base_url`s the runs recorded; nothing else is rewritten.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlite_utils import Database

#: The public host of each source's board.
BOARD_HOSTS = {"csp": "choisirleservicepublic.gouv.fr", "dinum-page": "choisirleservicepublic.gouv.fr"}
#: Hosts whose offer pages are the board's own (what the preview may link to).
BOARD_DOMAINS = ("choisirleservicepublic.gouv.fr", "place-emploi-public.gouv.fr", "emploi-territorial.fr",
                 "francetravail.fr", "candidat.francetravail.fr", "beta.gouv.fr", "numerique.gouv.fr")


def mirrors(db: Database) -> dict[str, str]:
    """The base URLs crawled instead of a board (scheme://host[:port]) -> the board's host."""
    found: dict[str, str] = {}
    if not db.table("runs").exists():
        return found
    for row in db.query("select distinct source, base_url from runs where base_url is not null"):
        parts = urlsplit(row["base_url"])
        host = BOARD_HOSTS.get(row["source"])
        if host and parts.netloc and parts.hostname != host:
            found[f"{parts.scheme}://{parts.netloc}".lower()] = host
    return found


def board_url(url: str | None, mirror_hosts: dict[str, str]) -> str | None:
    """`url` itself, or the board's address of a mirror's URL (https, the board's host, same path)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = mirror_hosts.get(f"{parts.scheme}://{parts.netloc}".lower())
    if host is None:
        return url
    return urlunsplit(("https", host, parts.path, parts.query, ""))


def is_board_url(url: str | None) -> bool:
    """Whether an address is an https page of one of the known boards."""
    if not url:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(host == d or host.endswith("." + d) for d in BOARD_DOMAINS)
