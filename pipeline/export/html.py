"""The DINUM "Rejoignez-nous" page regenerated from the export's entries (Jinja2, autoescaped).

The page (seed: tests/fixtures/dinum_page/input.html) lists the offers of one
employer grouped by theme, each a panel (title linked to the offer, category
line, place with "(télétravail possible)", a "Consulter l'offre" button), then a
second section of high-level posts of other administrations. Both links of a
panel come from the offer's own `url`, so they cannot disagree.

`build_page(entries, ...)` makes the page's data (themes in the page's order),
`render_fragment` the part that drops into the Jekyll page, `render_page` a
standalone HTML document. The preview site reuses these.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO, Iterable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlite_utils import Database

from pipeline import labels
from pipeline.export.selection import employer_matches
from pipeline.sources import CURATED_SOURCE

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_EMPLOYER = "DINUM"
PAGE_NAME = "la DINUM"
PIN_SRC = "/uploads/map-pin-2-line.svg"  # the Jekyll site's pin icon (fragment only)
OTHER_THEME = "Autres offres numériques"
HIGH_LEVEL = frozenset({"A+"})


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the export's templates, autoescaping HTML."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)


def page_themes(db: Database) -> dict[str, str | None]:
    """Offer id -> the theme the hand-kept page gave it (None: listed in its second section).

    Read from the latest raw record of each of the page's postings; an offer the
    page does not list is absent.
    """
    rows = db.query(
        "select m.offer_id, r.record from merges m join postings p on p.id = m.posting_id "
        "join raw_postings r on r.id = coalesce(p.raw_id, p.latest_raw_id) where p.source = ?", [CURATED_SOURCE])
    themes: dict[str, str | None] = {}
    for row in rows:
        record = json.loads(row["record"]) if isinstance(row["record"], str) else row["record"]
        theme = record.get("theme") or (record.get("extra") or {}).get("theme")
        if theme or row["offer_id"] not in themes:
            themes[row["offer_id"]] = theme
    return themes


def place_line(entry: dict) -> str | None:
    """'Paris (télétravail possible)', 'Saint-Jacques-de-la-Lande (35)': the place as the page writes it."""
    location = entry.get("location") or {}
    place = location.get("display")
    if location.get("city") and location.get("city") == location.get("department"):
        place = location["city"]  # Paris, not 'Paris (75)'
    if entry.get("remote"):
        return f"{place} (télétravail possible)" if place else "Télétravail possible"
    return place


def display_title(entry: dict) -> str:
    """The title as published ('Data scientist H/F'), unless it is all capitals: then the normalised one."""
    raw = entry.get("title_raw") or ""
    return raw if any(c.islower() for c in raw) else (entry.get("title") or raw)


def panel(entry: dict) -> dict:
    """What a panel shows, from one export entry."""
    return {"id": entry["id"], "url": entry["url"], "title": display_title(entry),
            "category": entry.get("category"), "family": entry.get("family"),
            "region": (entry.get("location") or {}).get("region_code"),
            "remote_flag": {True: "oui", False: "non"}.get(entry.get("remote"), ""),
            "category_line": entry.get("category_label") or "", "place_line": place_line(entry) or "",
            "employer": entry.get("employer")}


def unlinked(entry: dict) -> bool:
    """An entry known only from the hand-kept page whose two links disagreed unsettled: no link to give."""
    sources = entry.get("sources") or []
    return not entry.get("reference") and bool(sources) and all(s.get("source") == CURATED_SOURCE for s in sources)


def heading_order() -> list[str]:
    """The page's theme headings in its order, then the other family labels."""
    order = labels.page_order()
    order += [label for label in labels.labels()["families"].values() if label not in order]
    return order


def is_page_employer(entry: dict, page_employer: str | None) -> bool:
    """Whether an offer is the page employer's (every offer without one)."""
    return not page_employer or employer_matches(entry.get("employer"), page_employer)


def build_page(entries: Iterable[dict], themes: dict[str, str | None] | None = None,
               page_employer: str | None = PAGE_EMPLOYER, page_name: str = PAGE_NAME,
               generated_at: str | None = None) -> dict:
    """The page's data: `themes` (heading, offers) in the page's order, `others` (employer, offers).

    An offer's theme is the one the hand-kept page gave it, else its family's label,
    else OTHER_THEME. The second section holds the other employers' high-level
    (A+) offers and those the page listed there; without `page_employer` every
    offer goes to the themes. An entry with no known link (`unlinked`) is left out
    (`left_out`), never linked to the page itself.
    """
    themes = themes or {}
    order = heading_order()
    grouped: dict[str, list[dict]] = {}
    others: dict[str, list[dict]] = {}
    count = 0
    left_out: list[dict] = []
    for entry in entries:
        if unlinked(entry):
            left_out.append(entry)
            continue
        theme = themes.get(entry["id"])
        listed_below = entry["id"] in themes and theme is None
        if is_page_employer(entry, page_employer) and not listed_below:
            heading = theme or entry.get("family_label") or OTHER_THEME
            grouped.setdefault(heading, []).append(panel(entry))
        elif entry.get("category") in HIGH_LEVEL or listed_below:
            others.setdefault(entry.get("employer") or "Autres employeurs", []).append(panel(entry))
        else:
            continue
        count += 1
    rank = {h: i for i, h in enumerate(order)}
    headings = sorted(grouped, key=lambda h: (h == OTHER_THEME, rank.get(h, len(rank)), h))
    generated = generated_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    return {"title": "Rejoignez-nous", "intro_heading": f"Nos offres d'emploi actuellement disponibles à {page_name} :",
            "themes": [{"heading": h, "offers": grouped[h]} for h in headings],
            "others": [{"employer": e, "offers": others[e]} for e in sorted(others, key=str.casefold)],
            "count": count, "left_out": [{"id": e["id"], "title": e["title"]} for e in left_out],
            "generated_at": generated, "generated_on": generated[:10]}


def render_fragment(page: dict, pin_src: str | None = PIN_SRC, theme_tag: str = "h1") -> str:
    """The offers part of the page, for the Jekyll page (the preview site: theme headings as `theme_tag`,
    and a link to the offer's own page where a panel has a `page`).

    Braces become character references: Jekyll runs Liquid over the pages it builds,
    and a title holding `{{ ... }}` or `{% ... %}` must stay text (the template has no brace).
    """
    text = environment().get_template("fragment.html").render(page=page, pin_src=pin_src, theme_tag=theme_tag)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def render_page(page: dict) -> str:
    """A standalone HTML document (no external request: no pin image)."""
    fragment = Markup(render_fragment(page, pin_src=None))
    return environment().get_template("page.html").render(page=page, fragment=fragment)


def count_panels(path: Path) -> int | None:
    """How many offers an HTML export already at `path` shows (for the safety rules)."""
    try:
        return len(re.findall(r'data-offer-id="', path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return None


def write_html(page: dict, handle: IO[str], standalone: bool = True) -> None:
    """The standalone page (or the Jekyll fragment) to `handle`."""
    handle.write(render_page(page) if standalone else render_fragment(page))
