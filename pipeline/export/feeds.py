"""RSS 2.0 and Atom 1.0 feeds of the selected offers, newest first (xml.etree, UTF-8).

One item per offer: its title, a link to the offer, a short plain-text summary
(employer, category, place, remote work), its family as category. An item's
date is its publication date, else when it was first seen.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Iterable

ATOM_NS = "http://www.w3.org/2005/Atom"
SITE_URL = "https://choisirleservicepublic.gouv.fr/"
FEED_TITLE = "Offres d'emploi du numérique public"
# characters XML 1.0 cannot carry (a control character in a title would break the feed)
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def item_time(entry: dict) -> datetime:
    """When an offer was published (midnight UTC of its date), else first seen."""
    if entry.get("published_on"):
        return datetime.fromisoformat(entry["published_on"]).replace(tzinfo=timezone.utc)
    seen = datetime.fromisoformat(entry["first_seen_at"])
    return seen if seen.tzinfo else seen.replace(tzinfo=timezone.utc)


def newest_first(entries: Iterable[dict]) -> list[dict]:
    """The entries by date, newest first, then by id (stable)."""
    ordered = sorted(entries, key=lambda e: e["id"])
    return sorted(ordered, key=item_time, reverse=True)


def summary(entry: dict) -> str:
    """'Employer — Cadre/Catégorie A — Malakoff (92) — télétravail possible' (known parts only)."""
    parts = [entry.get("employer") or entry.get("employer_category"), entry.get("category_label"),
             (entry.get("location") or {}).get("display"), "télétravail possible" if entry.get("remote") else None]
    return " — ".join(p for p in parts if p)


def feed_title(subtitle: str | None) -> str:
    """The feed's title, with what the filters chose."""
    return f"{FEED_TITLE} — {subtitle}" if subtitle else FEED_TITLE


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    """A child element with text and attributes."""
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = NOT_XML.sub("", text)
    return element


def build_rss(entries: Iterable[dict], generated_at: datetime, subtitle: str | None = None,
              site_url: str = SITE_URL, feed_url: str | None = None) -> ET.ElementTree:
    """An RSS 2.0 document (with an atom:link to itself when its public `feed_url` is given)."""
    rss = ET.Element("rss", {"version": "2.0", **({"xmlns:atom": ATOM_NS} if feed_url else {})})
    channel = sub(rss, "channel")
    sub(channel, "title", feed_title(subtitle))
    sub(channel, "link", site_url)
    if feed_url:
        sub(channel, "atom:link", href=feed_url, rel="self", type="application/rss+xml")
    sub(channel, "description", "Offres d'emploi du numérique dans la fonction publique, mises à jour à chaque collecte.")
    sub(channel, "language", "fr")
    sub(channel, "lastBuildDate", format_datetime(generated_at))
    sub(channel, "generator", "offres")
    for entry in newest_first(entries):
        item = sub(channel, "item")
        sub(item, "title", entry["title"])
        sub(item, "link", entry["url"])
        sub(item, "description", summary(entry))
        sub(item, "guid", f"urn:offres:offer:{entry['id']}", isPermaLink="false")
        sub(item, "pubDate", format_datetime(item_time(entry)))
        if entry.get("family_label"):
            sub(item, "category", entry["family_label"])
    return ET.ElementTree(rss)


def build_atom(entries: Iterable[dict], generated_at: datetime, subtitle: str | None = None,
               site_url: str = SITE_URL, feed_id: str = "urn:offres:feed",
               feed_url: str | None = None) -> ET.ElementTree:
    """An Atom 1.0 document (with a link to itself when its public `feed_url` is given)."""
    a = sub  # Atom elements, in the default namespace declared on the root
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "fr"})
    a(feed, "id", feed_id)
    a(feed, "title", feed_title(subtitle))
    a(feed, "updated", generated_at.isoformat())
    a(feed, "link", href=site_url, rel="alternate")
    if feed_url:
        a(feed, "link", href=feed_url, rel="self", type="application/atom+xml")
    author = a(feed, "author")
    a(author, "name", "offres")
    a(feed, "generator", "offres")
    for entry in newest_first(entries):
        item = a(feed, "entry")
        a(item, "id", f"urn:offres:offer:{entry['id']}")
        a(item, "title", entry["title"])
        a(item, "link", href=entry["url"], rel="alternate")
        a(item, "published", item_time(entry).isoformat())
        a(item, "updated", (entry.get("updated_at") or entry["first_seen_at"]))
        a(item, "summary", summary(entry), type="text")
        if entry.get("employer") or entry.get("employer_category"):
            a(a(item, "author"), "name", entry.get("employer") or entry.get("employer_category"))
        if entry.get("family"):
            a(item, "category", term=entry["family"], label=entry.get("family_label") or entry["family"])
    return ET.ElementTree(feed)


def write_feed(tree: ET.ElementTree, handle: IO[str]) -> None:
    """The feed as UTF-8 XML with its declaration."""
    ET.indent(tree)
    handle.write("<?xml version='1.0' encoding='utf-8'?>\n")
    tree.write(handle, encoding="unicode", xml_declaration=False)
    handle.write("\n")


def count_items(path: Path) -> int | None:
    """How many items an RSS or Atom export already at `path` holds."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    return len(root.findall("channel/item")) or len(root.findall(f"{{{ATOM_NS}}}entry"))
