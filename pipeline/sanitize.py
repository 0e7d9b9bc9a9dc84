"""Sanitising third-party HTML fragments before we republish them (nh3)."""
from __future__ import annotations

import re

import nh3

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u", "a",
                "h3", "h4", "h5", "blockquote", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
EMPTY_RE = re.compile(r"<(p|span|li|ul|ol|strong|em|b|i)>\s*</\1>")
BLANKS_RE = re.compile(r"\s*\n\s*")

CLEANER = nh3.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", strip_comments=True)


def sanitize_html(html: str | None) -> str | None:
    """Keep text and simple structure only: no script, style, event handler or foreign URL scheme."""
    if not html:
        return None
    cleaned = CLEANER.clean(html)
    for _ in range(3):
        cleaned = EMPTY_RE.sub("", cleaned)
    cleaned = BLANKS_RE.sub("\n", cleaned).strip()
    return cleaned or None
