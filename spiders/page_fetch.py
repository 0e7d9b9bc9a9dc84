"""One polite fetch of one page (for `offres audit URL`): robots.txt obeyed, identifying
User-Agent, a timeout, a size cap, http(s) only. Not a crawl: one request (plus robots.txt)."""
from __future__ import annotations

import urllib.error
import urllib.request
import urllib.robotparser
from urllib.parse import urljoin, urlsplit

from spiders.settings import USER_AGENT

MAX_BYTES = 5 * 1024 * 1024  # the DINUM page weighs about 60 kB
TIMEOUT = 30.0


class FetchError(Exception):
    """The page could not be fetched (the message says why)."""


def allowed_by_robots(url: str, timeout: float = TIMEOUT, user_agent: str = USER_AGENT) -> bool:
    """Whether the site's robots.txt lets our User-Agent fetch `url` (no robots.txt: allowed)."""
    robots_url = urljoin(url, "/robots.txt")
    request = urllib.request.Request(robots_url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            lines = response.read(512 * 1024).decode("utf-8", "replace").splitlines()
    except urllib.error.HTTPError as exc:
        return exc.code != 401 and exc.code != 403  # as robotparser: 4xx other than these is "allowed"
    except (urllib.error.URLError, TimeoutError, OSError):
        return True
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(lines)
    return parser.can_fetch(user_agent, url)


def fetch_page(url: str, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
               user_agent: str = USER_AGENT) -> tuple[str, str]:
    """(text, final URL) of one page; FetchError when refused, failing, too large or not text."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched")
    if not allowed_by_robots(url, timeout, user_agent):
        raise FetchError(f"{url}: disallowed by the site's robots.txt for {user_agent!r}")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "text/html,*/*;q=0.5"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            final = response.geturl()
            if urlsplit(final).scheme not in ("http", "https"):
                raise FetchError(f"{url}: redirected to {final}")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{url}: {length} bytes, more than the {max_bytes} bytes allowed")
            body = response.read(max_bytes + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > max_bytes:
        raise FetchError(f"{url}: more than the {max_bytes} bytes allowed")
    try:
        return body.decode(charset, "replace"), final
    except LookupError:
        return body.decode("utf-8", "replace"), final
