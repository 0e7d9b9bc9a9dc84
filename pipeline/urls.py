"""URL canonicalisation: one matching key per posting URL.

`canonical_url` turns the many spellings of one posting's address into one string:
tracking parameters and fragments dropped, scheme and host lower-cased (http and https
treated alike), `www.` dropped, the board's old domain mapped to the new one, and the
detail pages of the boards whose URL carries the reference keyed on that reference
(the slug is decoration: the site resolves the short form too). The result is still a
URL that resolves; it is meant for comparison, not for display.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

CSP_HOST = "choisirleservicepublic.gouv.fr"
ET_HOST = "emploi-territorial.fr"
#: Old or alternative hosts of the same site -> the host used in keys.
HOST_ALIASES = {
    "place-emploi-public.gouv.fr": CSP_HOST,
}

#: Query parameters that only track the visit (exact names, lower-cased).
TRACKING_PARAMS = frozenset({
    "xtor", "xts", "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "wt.mc_id",
    "spm", "s_cid", "cmpid", "ncid", "trk", "origine", "from",
})
#: Query parameter prefixes that only track the visit.
TRACKING_PREFIXES = ("utm_", "at_", "mtm_", "pk_", "matomo_", "piwik_", "oly_", "vero_", "hsa_")

# /offre-emploi/<slug>-reference-<REF>/ or /offre-emploi/<REF>/
_CSP_DETAIL = re.compile(r"^/offre-emploi/(?:(?P<slug>.*)-reference-)?(?P<ref>[^/]+)/?$", re.IGNORECASE)
# /offre/o056261001001569-slug (current) or /offre/o09261-198718-slug (older numbering)
_ET_DETAIL = re.compile(r"^/offre/(?P<ref>o\d{15}|o\d{5}-\d{6})(?:[-/].*)?$", re.IGNORECASE)
_MULTISLASH = re.compile(r"/{2,}")
# Fast paths for the common detail URLs (same keys as the general path, without urlsplit).
_FAST_CSP = re.compile(r"^https?://(?:www\.)?(?:choisirleservicepublic|place-emploi-public)\.gouv\.fr/offre-emploi/"
                       r"(?:[^/?#%]*-reference-)?([A-Za-z0-9_.-]+)/?(?:[?#].*)?$", re.IGNORECASE)
_FAST_ET = re.compile(r"^https?://(?:www\.)?emploi-territorial\.fr/offre/(o\d{15}|o\d{5}-\d{6})(?:[-/?#][^%]*)?$",
                      re.IGNORECASE)


_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$"
                       r"|^\[[0-9a-f:.]+\]$", re.IGNORECASE)
_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"]")  # never in an address as a page or a feed gives it


def url_problem(url: str) -> str | None:
    """Why `url` is not a well-formed http(s) address to store and publish (None when it is):
    no scheme or host, a space, a control or markup character, credentials, a bad port."""
    if not url.lower().startswith(("http://", "https://")):
        return "not an http(s) URL"
    bad = _UNSAFE.search(url)
    if bad:
        return f"character {bad.group()!r} at position {bad.start()}"
    try:
        parts = urlsplit(url)
        parts.port  # ValueError when out of range or not a number
    except ValueError as exc:
        return f"malformed: {exc}"
    if "@" in parts.netloc:
        return "credentials in the URL"
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    try:
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not host or not _HOSTNAME.match(host):
        return f"no valid host name: {parts.netloc[:60]!r}"
    return None


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].lower()
    if host.endswith(":80") or host.endswith(":443"):
        host = host.rsplit(":", 1)[0]
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return HOST_ALIASES.get(host, host)


def _detail_ref(host: str, raw_path: str) -> str | None:
    path = _MULTISLASH.sub("/", unquote(raw_path))
    if host == CSP_HOST:
        match = _CSP_DETAIL.match(path)
    elif host == ET_HOST:
        match = _ET_DETAIL.match(path)
    else:
        return None
    ref = match.group("ref").strip() if match else ""
    return ref.upper() or None


def board_reference(url: str | None) -> str | None:
    """The reference a known board's detail URL carries (upper-cased), or None."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    return _detail_ref(_host(parts.netloc), parts.path)


def canonical_url(url: str) -> str:
    """The matching key of `url` (see the module docstring); '' for an empty URL."""
    if not url or not url.strip():
        return ""
    raw = url.strip()
    fast = _FAST_CSP.match(raw)
    if fast:
        return f"https://{CSP_HOST}/offre-emploi/{fast.group(1).upper()}/"
    fast = _FAST_ET.match(raw)
    if fast:
        return f"https://{ET_HOST}/offre/{fast.group(1).lower()}"
    if "://" not in raw and not raw.startswith("//"):
        raw = "https://" + raw.lstrip("/")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", ""):
        scheme = "https"
    host = _host(parts.netloc)
    ref = _detail_ref(host, parts.path)
    if ref is not None and host == CSP_HOST:
        return f"https://{CSP_HOST}/offre-emploi/{quote(ref, safe='-_.~')}/"
    if ref is not None and host == ET_HOST:
        return f"https://{ET_HOST}/offre/{ref.lower()}"
    path = _MULTISLASH.sub("/", quote(unquote(parts.path), safe="/-_.~!$&'()*+,;=:@%"))
    if host == CSP_HOST:
        path = path if path.endswith("/") else path + "/"
    elif len(path) > 1:
        path = path.rstrip("/")
    if not path:
        path = "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


_DETAIL_PREFIXES = (f"https://{CSP_HOST}/offre-emploi/", f"https://{ET_HOST}/offre/")


def url_key(url: str) -> str:
    """Stage-2 matching key: `ref:<reference>` for a known board's detail page (so the CSP and
    emploi-territorial pages of one territorial reference agree), else the canonical URL."""
    canonical = canonical_url(url)
    for prefix in _DETAIL_PREFIXES:
        if canonical.startswith(prefix):
            return "ref:" + unquote(canonical[len(prefix):].rstrip("/")).casefold()
    return canonical
