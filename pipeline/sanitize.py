"""Untrusted text before we republish it: HTML fragments sanitised with nh3, plain text
without markup, URLs checked (docs/export.md says which field is which).
"""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

import nh3

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u", "a",
                "h3", "h4", "h5", "blockquote", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
EMPTY_RE = re.compile(r"<(p|span|li|ul|ol|strong|em|b|i)>\s*</\1>")
BLANKS_RE = re.compile(r"\s*\n\s*")

#: An absolute http(s) URL, percent-encoded (RFC 3986 characters only, without quotes):
#: the same rule as `$defs/url` of docs/export-v1.schema.json.
PUBLIC_URL = re.compile(
    r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"(?:[/?#](?:[A-Za-z0-9._~!$&()*+,;=:@/?#-]|%[0-9A-Fa-f]{2})*)?$")
MAILTO = re.compile(r"^mailto:(?:[A-Za-z0-9._~!$&()*+,;=:@-]|%[0-9A-Fa-f]{2})+$")
# Characters percent-encoded when a board gives them unencoded (an IRI): every non-ASCII one.
_ASCII_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, properly percent-encoded, with no quote,
    angle bracket, backslash or whitespace; else None."""
    if not isinstance(url, str) or not PUBLIC_URL.match(url):
        return None
    return url


def encode_url(url: str | None) -> str | None:
    """A URL as a board gives it, trimmed, its non-ASCII characters percent-encoded (UTF-8);
    nothing else changed, so that a broken URL stays visibly broken for `safe_url`."""
    if url is None:
        return None
    text = str(url).strip()
    if text.isascii():
        return text
    return quote(text, safe=_ASCII_SAFE + " ")


def _link_filter(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: links only to absolute http(s) URLs or mailto: (protocol-relative,
    relative, javascript:, data:, vbscript: and malformed ones are dropped)."""
    if attribute in ("href", "src"):
        value = encode_url(value).replace(" ", "%20")  # what a browser would request
        return value if PUBLIC_URL.match(value) or MAILTO.match(value) else None
    return value


CLEANER = nh3.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      attribute_filter=_link_filter, link_rel="noopener noreferrer nofollow",
                      strip_comments=True)


def sanitize_html(html_text: str | None) -> str | None:
    """Keep text and simple structure only: no script, style, event handler, foreign URL
    scheme or link that is not an absolute http(s) URL (or mailto:)."""
    if not html_text:
        return None
    cleaned = CLEANER.clean(html_text)
    for _ in range(3):
        cleaned = EMPTY_RE.sub("", cleaned)
    cleaned = BLANKS_RE.sub("\n", cleaned).strip()
    return cleaned or None


# --- plain text -------------------------------------------------------------------------

_STRIPPER = nh3.Cleaner(tags=set(), attributes={}, strip_comments=True,
                        clean_content_tags={"script", "style", "template", "noscript", "iframe",
                                            "object", "embed", "svg", "math", "textarea", "title",
                                            "xmp", "noembed", "noframes"})
# Tags that end a line of text (their removal must not glue two words together).
_BREAKS = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?tr|/?h[1-6])\b[^>]*>", re.IGNORECASE)
# What a tag still looks like after stripping (a last guard: `<` then a letter, `/`, `!` or `?`).
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
# What would become live again if a consumer put the text into markup without escaping it:
# a script URL scheme (`javascript:`, `data:text/html,`) and an event handler (`onerror=`).
_SCHEME = re.compile(r"\b((?:java|vb|live)script|data(?=:[\w.+-]+/|:,)):", re.IGNORECASE)
_HANDLER = re.compile(r"\b(on[a-z]+)\s*=", re.IGNORECASE)
_SPACES = re.compile(r"[^\S\n]+")
_LINES = re.compile(r" *\n\s*")
# Control, format (bidi overrides, zero-width...), surrogate, private-use and unassigned characters.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_BREAKING = frozenset("\t\n\r\f\v\x1c\x1d\x1e\x1f\x85\u2028\u2029")  # whitespace to keep as such


def _decode(text: str) -> str:
    """HTML entities decoded until none is left (`&amp;lt;script&amp;gt;` -> `<script>`)."""
    for _ in range(8):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _strip_markup(text: str) -> str:
    """Entities decoded and tags removed, again until stable ("<<script>script>" hides one)."""
    for _ in range(6):
        decoded = _decode(text)
        if "<" in decoded:
            decoded = html.unescape(_STRIPPER.clean(_BREAKS.sub("\n", decoded)))
        if decoded == text:
            break
        text = decoded
    return _TAG_LIKE.sub("", text)


@lru_cache(maxsize=65536)
def plain_text(value: str | None, lines: bool = False) -> str | None:
    """Text for a plain-text field: entities decoded (repeatedly), tags and the content of
    script-like elements removed, control and invisible format characters removed,
    whitespace folded (with `lines`, line breaks kept, one per line of text); None when
    nothing is left. A script scheme loses its colon's contact (`javascript :`) and an
    event handler its `=` (`onerror alert(1)`). Consumers must still escape the text:
    `a < b` stays `a < b`."""
    if value is None:
        return None
    text = str(value)
    if "<" in text or "&" in text:
        text = _strip_markup(text)
    if not text.isprintable():
        text = "".join(c for c in text if c in _BREAKING or unicodedata.category(c) not in _INVISIBLE)
    if ":" in text or "=" in text:
        text = _HANDLER.sub(r"\1 ", _SCHEME.sub(r"\1 :", text))
    if lines:
        text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    else:
        text = " ".join(text.split())
    return text or None
