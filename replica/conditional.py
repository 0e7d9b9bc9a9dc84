"""Conditional GETs on the replica: detail pages carry validators, a matching request gets a 304.

The real board's answers decide whether the crawler can use them; the replica sends both
an ETag (a hash of the page) and a Last-Modified (the offer's modification date), and
answers `If-None-Match` first, else `If-Modified-Since`, like RFC 9110 says.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timezone
from email.utils import format_datetime, parsedate_to_datetime


def validators(modified: date, body: bytes) -> dict[str, str]:
    """ETag and Last-Modified headers of a page whose content is `body`."""
    when = datetime.combine(modified, time(6, 0), tzinfo=timezone.utc)
    return {"ETag": '"%s"' % hashlib.md5(body).hexdigest()[:20], "Last-Modified": format_datetime(when, usegmt=True)}


def not_modified(request_headers, page_validators: dict[str, str]) -> bool:
    """Whether a conditional GET matches the page's validators (If-None-Match first)."""
    etag, modified = page_validators.get("ETag"), page_validators.get("Last-Modified")
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        return bool(etag) and (if_none_match.strip() == "*" or
                               etag in [t.strip() for t in if_none_match.split(",")])
    since = request_headers.get("If-Modified-Since")
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
