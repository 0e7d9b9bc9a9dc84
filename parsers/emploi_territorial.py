"""Pure parsers for emploi-territorial.fr pages: `(html, url) -> dict`.

No network, no database. Values are returned as found on the page; normalisation
happens later in `pipeline.normalize`. The markup these selectors follow (real listing
row and RSS item, detail page reconstructed from independent parsers) is described in
docs/sources/emploi_territorial.md. The detail page is read **by label and section
title, never by position**.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from parsers.csp import ParseError, clean, fold_label
from parsers.csp_page import css, has_class, html_root, xpath

__all__ = ["PARSER_VERSION", "SOURCE", "ParseError", "parse_listing", "parse_offer", "parse_rss", "strip_tracking"]

PARSER_VERSION = "emploi-territorial/1"
SOURCE = "emploi-territorial"
VERSANT = "Fonction publique territoriale"  # the board of the territorial civil service only
REFERENCE_RE = re.compile(r"\b([Oo]\d{15})\b")
OFFER_NO_RE = re.compile(r"Offre\s+n\s*[°º]?\s*:?\s*([A-Za-z]\d{15})", re.I)
PUBLISHED_RE = re.compile(r"publi[ée]e?\s+le\s+(\d{1,2}/\d{1,2}/\d{4})", re.I)
LIMIT_RE = re.compile(r"limite[^0-9]*(\d{1,2}/\d{1,2}/\d{4})", re.I)
TOTAL_RE = re.compile(r"(\d[\d\s\u00a0\u202f.]*)\s*r[ée]sultats?", re.I)
CATEGORY_RE = re.compile(r"cat[ée]gorie\s+([ABC]\+?)\b", re.I)
FILIERE_RE = re.compile(r"^\s*Fili[èe]re\s+(.+)$", re.I)
EMPLOYER_ID_RE = re.compile(r"[?&]search-col=(\d+)")
TRACKING = ("mtm_", "pk_", "utm_")

# The detail row's parts, as `Selector.css` finds them (same XPath), evaluated on the lxml element.
_LABEL, _VALUE, _TEXT = (css(f".offre-item-{part}") for part in ("label", "value", "text"))
# Detail rows `div.offre-item-label` (folded) -> raw record key.
LABEL_KEYS = {
    "employeur": "employer",
    "lieu de travail": "location",
    "grade(s) recherche(s)": "grades",
    "grades recherches": "grades",
    "grade recherche": "grades",
    "famille de metiers": "domain",
    "famille de metier": "domain",
    "metier(s)": "metier",
    "metiers": "metier",
    "metier": "metier",
    "type d'emploi": "post_status",
    "ouvert aux contractuels": "contract",
    "temps de travail": "working_time",
    "teletravail": "remote",
    "management": "management",
    "experience souhaitee": "experience",
    "remuneration indicative": "salary",
    "remuneration": "salary",
    "date limite de candidature": "deadline",
    "poste a pourvoir le": "start_date",
    "nombre de postes": "positions",
    "duree de la mission": "mission_length",
    "lien de candidature": "apply_url",
    "site web de l'employeur": "employer_website",
    "adresse de l'employeur": "employer_address",
    "contact": "contact",
    "date de publication": "published",
    "publiee le": "published",
}
URL_KEYS = {"apply_url", "employer_website"}
# Long texts `div.offre-item-text`, by the title of their section (folded).
SECTION_KEYS = {
    "description de l'employeur": "about_html",
    "descriptif de l'emploi": "description_html",
    "descriptif du poste": "description_html",
    "missions / conditions d'exercice": "missions_html",
    "missions": "missions_html",
    "conditions particulieres d'exercice": "conditions_html",
    "profil recherche": "profile_html",
    "profils recherches": "profile_html",
    "modalites de candidature": "extra_html",
    "informations complementaires": "extra_html",
    "travailleurs handicapes": "disability_html",
}


def texts(node) -> Iterable[str]:
    """The text nodes under a node (parsel's or lxml's), in document order: XPath's `.//text()`
    read from the lxml element itself (no selector built per text node)."""
    root = getattr(node, "root", node)
    return (root,) if isinstance(root, str) else root.itertext()


_compiled = lru_cache(maxsize=None)(css)  # each query compiled once


def find(node, query: str) -> list:
    """`Selector.css(query)` (the same XPath), as lxml elements or strings: no selector per result."""
    return _compiled(query)(getattr(node, "root", node))


def find_first(node, query: str):
    """The first result of `find`, or None (parsel's `.css(query).get()`, unserialised)."""
    found = find(node, query)
    return found[0] if found else None


def text_of(nodes) -> str | None:
    """Text of the (parsel) nodes, whitespace folded."""
    return clean(" ".join(t for n in nodes for t in texts(n)))


def inner_html(element) -> str | None:
    """The HTML inside an lxml element (children only), trimmed: what parsel's `node()` gives, serialised."""
    parts = [child if isinstance(child, str)
             else etree.tostring(child, method="html", encoding="unicode", with_tail=False)
             for child in _CHILD_NODES(element)]
    return "".join(parts).strip() or None


def strip_tracking(url: str) -> str:
    """The URL without the board's tracking parameters (`mtm_campaign`, `pk_campaign`, `utm_*`)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(TRACKING)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def http_url(href: str | None, base: str) -> str | None:
    """An absolute http(s) URL, or None (javascript:, mailto:, empty...)."""
    href = clean(href)
    if not href:
        return None
    absolute = urljoin(base, href)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _ancestors(element, row) -> list:
    """The element's ancestors up to `row` included (nearest first)."""
    found, parent = [], element.getparent()
    while parent is not None:
        found.append(parent)
        if parent is row:
            break
        parent = parent.getparent()
    return found


def _in_employer_value(link, row) -> bool:
    """CSS `.detail-offre-collectivite .valeur a`, read from `row`: a `.valeur` above the link, and
    a `.detail-offre-collectivite` above it (or `row` itself)."""
    above = _ancestors(link, row)
    valeur = next((k for k, e in enumerate(above) if has_class(e.get("class"), "valeur")), None)
    return valeur is not None and any(has_class(e.get("class"), "detail-offre-collectivite") for e in above[valeur + 1:])


def row_elements(row) -> dict:
    """What `parse_row` reads in a row, in one walk of its elements (document order, the row
    included): the first of each of its CSS queries, and all the badges and tooltips. The same
    elements as the queries (`find`), without an XPath evaluation each (they cost most of a listing)."""
    first: dict = dict.fromkeys(("link", "link_any", "employer", "employer_any", "area", "kind", "number"))
    badges, tooltips = [], []
    for element in row.iter(etree.Element):
        value, tag = element.get("class"), element.tag
        tooltip = element.get("data-tooltip")
        if tooltip is not None:
            tooltips.append(tooltip)
        if tag == "a":
            href = element.get("href")
            if first["link"] is None and has_class(value, "lien-details-offre"):
                first["link"] = element
            if href is not None:
                if first["link_any"] is None and "/offre/" in href:
                    first["link_any"] = element
                if first["employer_any"] is None and "search-col=" in href:
                    first["employer_any"] = element
            if first["employer"] is None and _in_employer_value(element, row):
                first["employer"] = element
        elif tag == "span" and value is not None:
            if has_class(value, "badge"):
                badges.append(element)
            if first["kind"] is None and has_class(value, "badge-light"):
                first["kind"] = element
            if first["area"] is None and has_class(value, "text-secondary") and element is not row:
                parent = element.getparent()
                if parent is not None and has_class(parent.get("class"), "detail-offre-collectivite"):
                    first["area"] = element
        if first["number"] is None and has_class(value, "numOf"):
            first["number"] = element
    return {**first, "badges": badges, "tooltips": tooltips}


def parse_row(row, url: str) -> dict | None:
    """One listing row `tr[id^=O]`: the first occurrence of each field (rows render twice)."""
    reference = clean(row.attrib.get("id"))
    found = row_elements(row)
    link = found["link"] if found["link"] is not None else found["link_any"]
    if not reference or link is None or not link.attrib.get("href"):
        return None
    employer_link = found["employer"] if found["employer"] is not None else found["employer_any"]
    employer_id = EMPLOYER_ID_RE.search(employer_link.attrib.get("href", "")) if employer_link is not None else None
    area, badges, kind, tooltips = found["area"], found["badges"], found["kind"], found["tooltips"]
    categories = [b.attrib["title"].strip() for b in badges
                  if CATEGORY_RE.search(b.attrib.get("title", ""))]
    filiere = next((FILIERE_RE.match(b.attrib["title"]).group(1).strip() for b in badges
                    if FILIERE_RE.match(b.attrib.get("title", ""))), None)
    published = next((m.group(1) for t in tooltips if (m := PUBLISHED_RE.search(t))), None)
    deadline = next((m.group(1) for t in tooltips if (m := LIMIT_RE.search(t))), None)
    number = text_of([found["number"]]) if found["number"] is not None else None
    return {
        "source": SOURCE,
        "url": strip_tracking(urljoin(url, link.attrib["href"].strip())),
        "reference": number if number and REFERENCE_RE.fullmatch(number) else reference,
        "title": text_of([link]),
        "employer": text_of([employer_link]) if employer_link is not None else None,
        "employer_id": employer_id.group(1) if employer_id else None,
        "location_area": text_of([area]) if area is not None else None,
        "category": ", ".join(dict.fromkeys(categories)) or None,
        "filiere": filiere,
        "post_status": text_of([kind]) if kind is not None else None,
        "published": published,
        "deadline": deadline,
        "versant": VERSANT,
    }


def listing_total(page) -> int | None:
    """The result count the page states (`#nb-offres` value, or "N résultats")."""
    value = find_first(page, "#nb-offres::attr(value)")
    if value and value.strip().isdigit():
        return int(value.strip())
    text = text_of(find(page, "#NbTotalOffre, .nb-resultats")) or ""
    match = TOTAL_RE.search(text)
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def parse_listing(html: str, url: str) -> dict:
    """A listing page: its rows (first rendering of each reference), the stated total, the page number."""
    sel = html_root(html)  # the tree parsel builds, its elements plain (`parsers.csp_page.html_root`)
    rows, seen = [], set()
    for tr in find(sel, "tr[id^='O'], tr[id^='o']"):
        row = parse_row(tr, url)
        if row is None or row["reference"].upper() in seen:
            continue
        seen.add(row["reference"].upper())
        rows.append(row)
    page = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
    body_text = " ".join(find(sel, "body ::text")).lower()
    return {
        "rows": rows,
        "total": listing_total(sel),
        "page": int(page) if page.isdigit() else 1,
        "no_result": "aucune offre" in body_text or "aucun résultat" in body_text,
        "is_listing": bool(find(sel, "#tableRecherche, #nb-offres, #NbTotalOffre, form[name='search_offre_form']")),
    }


def label_value(element) -> tuple[str | None, str | None, object | None]:
    """(folded label, text value, value element) of a `div.offre-item` (an lxml element)."""
    labels, values = _LABEL(element), _VALUE(element)
    label = clean(" ".join(labels[0].itertext())) if labels else None
    if not label:
        return None, None, None
    if not values:
        return fold_label(label), None, None
    return fold_label(label), clean(" ".join(values[0].itertext())), values[0]


_ITEM_LABEL = xpath("ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' offre-item ')][1]"
                    "/*[contains(concat(' ', normalize-space(@class), ' '), ' offre-item-label ')][1]")
_HEADING = xpath("preceding::*[self::h2 or self::h3 or self::h4][1]")
_CHILD_NODES = xpath("node()")


def section_title(element) -> str | None:
    """The title of a long text block: its item's label, else the closest heading before it."""
    found = _ITEM_LABEL(element) or _HEADING(element)
    return clean(" ".join(t for e in found for t in e.itertext())) if found else None


def list_value(element) -> str | None:
    """A value holding several entries (grades: `li` or `<br>`-separated) joined by ', '."""
    items = [clean(" ".join(texts(li))) for li in find(element, "li")]
    if not items:
        items = [clean(t) for t in texts(element)]
    items = [i for i in items if i]
    return ", ".join(dict.fromkeys(items)) or None


def parse_offer(html: str, url: str) -> dict:
    """An offer's detail page -> raw posting record (labels and section titles, never positions).

    Read on the plain lxml tree (`parsers.csp_page.html_root`, the tree parsel builds) with the
    queries parsel would run, without a Selector per element found."""
    page = html_root(html)
    scope = (find(page, "#contenuOffre, div.contenu-offre, div.fiche-offre, main")[:1] or [page])[0]
    title = text_of(find(scope, "h2.set-font, h2[class*='set-line-emploi']")[:1]) or text_of(find(scope, "h1, h2")[:1])
    if not title:
        raise ParseError(url, "title", "no offer title (h2) on the page")
    text = " ".join(texts(scope))
    number = OFFER_NO_RE.search(text)
    record: dict = {"source": SOURCE, "url": strip_tracking(url), "title": title, "versant": VERSANT,
                    "reference": number.group(1) if number else None}
    published = PUBLISHED_RE.search(text_of(find(scope, ".set-color-green")) or "") or PUBLISHED_RE.search(text)
    record["published"] = published.group(1) if published else None
    for item in find(scope, "div.offre-item"):
        if _TEXT(item) and not _VALUE(item):
            continue  # a long text: read below by its section title
        name, value, node = label_value(item)
        key = LABEL_KEYS.get(name or "")
        if key is None or node is None or record.get(key):
            continue
        if key == "employer":
            link = find(node, "strong a, a")[:1]
            record["employer"] = text_of(find(node, "strong")[:1]) or text_of(link) or value
            employer_id = EMPLOYER_ID_RE.search(link[0].get("href", "")) if link else None
            if employer_id:
                record["employer_id"] = employer_id.group(1)
        elif key in URL_KEYS:
            record[key] = http_url(find_first(node, "a::attr(href)") or value, url)
        elif key == "grades":
            record[key] = list_value(node)
        else:
            record[key] = value
    sections: dict[str, str] = {}
    for block in find(scope, "div.offre-item-text"):
        heading = section_title(block)
        key = SECTION_KEYS.get(fold_label(heading)) if heading else None
        html_text = inner_html(block)
        if key and html_text and key not in sections:
            sections[key] = html_text
    record.update(sections)
    if not record.get("employer"):
        raise ParseError(url, "employer", "no 'Employeur' row: markup changed?")
    return {k: v for k, v in record.items() if v is not None}


def _rss_field(description: Selector, css: str) -> str | None:
    node = description.css(css)[:1]
    if not node:
        return None
    label = text_of(node.css("strong"))
    value = text_of(node)
    if value and label and value.startswith(label):
        value = clean(value[len(label):])
    return value


def parse_rss(xml: str, url: str) -> list[dict]:
    """The RSS feed (`/rss`): one partial record per item (no description is invented)."""
    sel = Selector(text=xml, type="xml")
    items = []
    for item in sel.xpath("//item"):
        guid = clean(item.xpath("guid/text()").get()) or ""
        link = clean(item.xpath("link/text()").get())
        reference = REFERENCE_RE.search(guid) or REFERENCE_RE.search(link or "")
        title = clean(item.xpath("title/text()").get())
        if not link or not title:
            continue
        description = Selector(text=item.xpath("description/text()").get() or "<div></div>")
        categories = {c.attrib.get("domain", ""): clean(c.xpath("text()").get())
                      for c in item.xpath("category")}
        items.append({k: v for k, v in {
            "source": SOURCE,
            "url": strip_tracking(urljoin(url, link)),
            "reference": reference.group(1) if reference else None,
            "title": title,
            "employer": _rss_field(description, ".employeur") or categories.get("emploi-territorial:collectivite"),
            "metier": _rss_field(description, ".metier"),
            "published": _rss_field(description, ".datepub"),
            "location": _rss_field(description, ".lieutravail") or categories.get("emploi-territorial:secteurgeo"),
            "pub_date": clean(item.xpath("pubDate/text()").get()),
            "versant": VERSANT,
        }.items() if v is not None})
    return items
