"""The Scrapyd nodes of a cluster and the sources each one owns.

From a TOML file (`--config`, `OFFRES_CLUSTER_CONFIG`, or `cluster.toml`):

    [nodes.alpha]
    url = "http://10.0.0.5:6800/"
    sources = ["csp"]
    username = "offres"                      # optional, basic auth
    password_env = "OFFRES_SCRAPYD_ALPHA_PASSWORD"

or from `OFFRES_SCRAPYD`: URLs separated by spaces or commas, each optionally
prefixed with the sources it owns (`csp+dinum-page=http://host:6800`). Passwords
come from the environment only (`password_env`, `OFFRES_SCRAPYD_PASSWORD`, or
the URL's user info in `OFFRES_SCRAPYD`); they never reach logs or the database.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_CONFIG = "cluster.toml"


class ClusterConfigError(ValueError):
    """The cluster configuration is missing or wrong (one line, no secret)."""


@dataclass(frozen=True)
class Node:
    """One Scrapyd service."""

    name: str
    url: str                      # without credentials, ends with /
    sources: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.username, self.password or "") if self.username else None


def clean_url(url: str) -> tuple[str, str | None, str | None]:
    """(URL without user info ending in /, username, password) of a node URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClusterConfigError(f"not an http(s) URL of a Scrapyd node: {redact(url)!r}")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, netloc, path, "", "")), parts.username, parts.password


def redact(url: str) -> str:
    """A URL fit for a message: its password replaced by ***."""
    return re.sub(r"//([^/@:]*):[^/@]*@", r"//\1:***@", url)


def nodes_from_env(value: str, env: dict) -> list[Node]:
    nodes = []
    for number, entry in enumerate(filter(None, re.split(r"[\s,]+", value.strip())), start=1):
        sources, sep, url = entry.rpartition("=")
        if not sep:
            sources, url = "", entry
        base, username, password = clean_url(url)
        username = username or env.get("OFFRES_SCRAPYD_USERNAME")
        password = password or env.get("OFFRES_SCRAPYD_PASSWORD")
        nodes.append(Node(f"node{number}", base, tuple(filter(None, sources.split("+"))), username, password))
    return nodes


def nodes_from_file(path: Path, env: dict) -> list[Node]:
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ClusterConfigError(f"{path}: not valid TOML ({exc})") from None
    nodes = []
    for name, entry in (config.get("nodes") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ClusterConfigError(f"{path}: node {name!r}: field url: missing or not a string")
        sources = entry.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise ClusterConfigError(f"{path}: node {name!r}: field sources: not a list of source names")
        base, username, password = clean_url(entry["url"])
        if password:
            raise ClusterConfigError(f"{path}: node {name!r}: field url: put no password in the file; "
                                     "use password_env")
        password_env = entry.get("password_env")
        password = env.get(password_env) if password_env else env.get("OFFRES_SCRAPYD_PASSWORD")
        if password_env and password is None:
            raise ClusterConfigError(f"{path}: node {name!r}: environment variable {password_env} is not set")
        nodes.append(Node(name, base, tuple(sources), entry.get("username") or username, password))
    if not nodes:
        raise ClusterConfigError(f"{path}: no [nodes.NAME] table")
    return nodes


def load_nodes(config: str | os.PathLike | None = None, env: dict | None = None) -> list[Node]:
    """The cluster's nodes: the config file if given or present, else `OFFRES_SCRAPYD`."""
    env = dict(os.environ if env is None else env)
    path = Path(config or env.get("OFFRES_CLUSTER_CONFIG") or DEFAULT_CONFIG)
    if config or path.exists():
        if not path.exists():
            raise ClusterConfigError(f"cluster config not found: {path}")
        return nodes_from_file(path, env)
    if env.get("OFFRES_SCRAPYD"):
        return nodes_from_env(env["OFFRES_SCRAPYD"], env)
    raise ClusterConfigError("no Scrapyd node: give --config FILE (cluster.toml) or set OFFRES_SCRAPYD")


def owner_of(source: str, nodes: list[Node]) -> Node:
    """The node that owns a source: the one listing it, else the first listing no source."""
    for node in nodes:
        if source in node.sources:
            return node
    free = [node for node in nodes if not node.sources]
    if free:
        return free[0]
    raise ClusterConfigError(f"no node owns source {source!r} "
                             f"(sources: {', '.join(s for n in nodes for s in n.sources)})")
