"""Fixed pages served on loopback (real captures), their links pointed at the local server."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from .server import ReplicaServer, ReplicaSite

REAL_BASE = "https://choisirleservicepublic.gouv.fr"
OLD_BASE = "https://place-emploi-public.gouv.fr"


def rewrite_links(content: str | bytes, base_url: str) -> bytes:
    """Point the real site's absolute URLs (and its old domain's) at ``base_url``."""
    text = content.decode() if isinstance(content, bytes) else content
    for old in (REAL_BASE, OLD_BASE):
        text = text.replace(old, base_url)
    return text.encode()


class _StaticServer(ReplicaServer):
    def __init__(self, mapping: dict[str, bytes | str], host: str, port: int, rewrite: bool) -> None:
        super().__init__(ReplicaSite([]), host, port)
        self.mapping = mapping
        self.rewrite = rewrite

    def respond(self, path: str) -> tuple[int, bytes, str, str | None]:
        if path not in self.mapping:
            return 404, b"<html><body><h1>Not found</h1></body></html>", "text/html; charset=UTF-8", None
        content = self.mapping[path]
        body = rewrite_links(content, self.base_url) if self.rewrite else (
            content.encode() if isinstance(content, str) else content)
        ctype = "text/plain; charset=utf-8" if path.endswith(".txt") else "text/html; charset=UTF-8"
        return 200, body, ctype, None


@contextmanager
def serve_static(mapping: dict[str, bytes | str], host: str = "127.0.0.1", port: int = 0,
                 rewrite: bool = True) -> Iterator[ReplicaServer]:
    """Serve fixed pages (path -> content) on loopback; any other path is 404.

    With ``rewrite`` (default) the real site's absolute URLs in the content are rewritten
    to the server's own ``base_url`` when served. ``mapping`` may be changed while serving."""
    server = _StaticServer(mapping, host, port, rewrite)
    with server:
        yield server
