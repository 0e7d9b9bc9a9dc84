"""Pure parsers for choisirleservicepublic.gouv.fr pages: `(html, url) -> dict`.

No network, no database. Values are returned as found on the page (strings,
dates as written); normalisation happens later in `pipeline.normalize`.
See docs/sources/csp.md for the markup these selectors follow.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree

from parsers.csp_page import OfferPage, css, html_root, xpath
from pipeline.normalize.text import fold

PARSER_VERSION = "csp/1"
SOURCE = "csp"

DEADLINE_RE = re.compile(r"Date limite de candidature\s*:?\s*(\d{1,2}/\d{1,2}/\d{4})", re.I)
ONLINE_SINCE_RE = re.compile(r"En ligne depuis le\s+(.+)", re.I)
TERRITORIAL_REF_RE = re.compile(r"^[Oo]\d{15}$")
GRADES_RE = re.compile(r"Grades?\s*(?:\(s\))?\s*(?:recherch[ée]s?\s*(?:\(s\))?)?\s*:\s*(.+)", re.I)
# The board's own territorial wording: "Poste ouvert(s) sur le(s) grade(s) suivant(s) de la
# Fonction Publique Territoriale : Rédacteur, ..." (the prefix is dropped, the list kept).
OPEN_GRADES_RE = re.compile(r"Postes?\s*(?:\(s\))?\s*ouverts?\s*(?:\(s\))?\s*sur\s+(?:le|les)\s*(?:\(s\))?\s*"
                            r"grades?\s*(?:\(s\))?\s*suivants?\s*(?:\(s\))?[^:]*:\s*(.+)", re.I)
BREAK_RE = re.compile(r"<br\s*/?>|</p>|</li>|</div>", re.I)
ORIGINAL_HOSTS = ("emploi-territorial.fr",)
NO_RESULT_HINT = re.compile("aucune", re.I)  # the "no result" wording, looked for in the text only if present


# Compiled once: the parse runs these on every page (parsel re-translated and wrapped each call).
# Plain strings (no smart strings): nothing reads a text result's parent.
X = {name: xpath(expr) for name, expr in {
    "text": ".//text()",
    "visible_text": ".//text()[not(ancestor::*[contains(@class,'sr-only')])]",
    "node": "node()",
    "sr_label": ".//*[contains(@class,'sr-only')]/text()",
    "cell_spans": "./span | ./div/span",
    "next_sibling": "following-sibling::*[1]",
    "p_or_h3": ".//p|.//h3",
    "clamp": ".//div[contains(@class,'text-clamp--text')]/node()[not(self::button)]",
    "string": "string()",
    "first_div_string": "string(//div)",
}.items()}
C = {selector: css(selector) for selector in (
    "div.fr-card--offer", "a.fr-pagination__link--next::attr(href)", "a.fr-pagination__link--last::attr(href)",
    ".results-count .count::text", ".no-result", "main ::text", ".fr-pagination", "h3.fr-card__title a",
    "ul.fr-card__desc > li", "span.sr-only::text", ".fr-card__start .fr-tag", "strong", "span.offer-result",
    "span.fr-text--xs", ".fr-accordion__btn", ".fr-collapse")}


def first(results: list) -> str | None:
    """The first string result of an XPath, as parsel's `.get()`."""
    return str(results[0]) if results else None


def serialize(node) -> str:
    """A node as parsel's `.get()` gives it: text as is, an element as HTML without its tail."""
    if isinstance(node, str):
        return str(node)
    return etree.tostring(node, method="html", encoding="unicode", with_tail=False)

# Table cells (`ul.table`), keyed by their <strong> label (folded).
TABLE_KEYS = {
    "nature de l'emploi": "contract",
    "experience souhaitee": "experience",
    "remuneration": "salary",
    "categorie": "category",
    "management": "management",
    "teletravail possible": "remote",
    "teletravail": "remote",
}
# Accordions, keyed by their button label (folded). Old markup said "Métier référence".
ACCORDION_KEYS = {
    "metier de reference": "metier",
    "metier reference": "metier",
    "statut du poste": "post_status",
    "conditions particulieres d'exercice": "conditions_html",
    "informations complementaires": "extra_html",
}
TEXT_ACCORDIONS = {"metier", "post_status"}
SECTION_KEYS = {
    "vos missions en quelques mots": "missions_html",
    "vos missions": "missions_html",
    "missions": "missions_html",
    "profil recherche": "profile_html",
}


class ParseError(ValueError):
    """A page that cannot give a usable record; names the URL and the field."""

    def __init__(self, url: str, field: str, message: str) -> None:
        super().__init__(f"{url}: {field}: {message}")
        self.url, self.field = url, field


def clean(text: str | None) -> str | None:
    """Fold whitespace (including non-breaking spaces); empty becomes None."""
    if text is None:
        return None
    # str.split() and the regex \s+ both split on str.isspace(): the same as re.sub + strip
    return " ".join(text.split()) or None


@lru_cache(maxsize=4096)
def fold_label(label: str) -> str:
    """Lower-case, unaccented, straight apostrophes, no trailing colon: a label key."""
    return fold(label).strip(" :?")


def text_of(nodes: list, exclude_sr_only: bool = False) -> str | None:
    """Visible text of the (lxml) nodes, whitespace folded."""
    path = X["visible_text"] if exclude_sr_only else X["text"]
    return clean(" ".join(t for n in nodes for t in path(n)))


def inner_html(node) -> str | None:
    """The HTML inside an (lxml) node (children only), trimmed."""
    html = "".join(serialize(n) for n in X["node"](node)).strip()
    return html or None


def parse_listing(html: str, url: str) -> dict:
    """A listing page: its offer cards and the next page's URL (None on the last page)."""
    root = html_root(html)
    cards = [parse_card(card, url) for card in C["div.fr-card--offer"](root)]
    next_href = first(C["a.fr-pagination__link--next::attr(href)"](root))
    last_href = first(C["a.fr-pagination__link--last::attr(href)"](root)) or ""
    last_page = re.search(r"/page/(\d+)/?$", last_href.strip())
    total = re.sub(r"\D", "", first(C[".results-count .count::text"](root)) or "")
    no_result = bool(C[".no-result"](root)) or bool(NO_RESULT_HINT.search(html)) and \
        "aucune offre ne correspond" in fold(" ".join(C["main ::text"](root)))
    return {
        "cards": [c for c in cards if c is not None],
        "next_url": urljoin(url, next_href.strip()) if next_href and next_href.strip() not in ("", "#") else None,
        # What the page says of the whole listing (None when it does not say).
        "total": int(total) if total else None,
        "last_page": int(last_page.group(1)) if last_page else None,
        "has_pagination": bool(C[".fr-pagination"](root)),
        "no_result": no_result,
    }


def parse_card(card, page_url: str) -> dict | None:
    """One `div.fr-card--offer` (an lxml element): title, URL and the labelled `fr-card__desc` items."""
    link = C["h3.fr-card__title a"](card)
    href = link[0].get("href") if link else None
    if not href:
        return None
    out: dict = {"url": urljoin(page_url, href.strip()), "title": text_of(link)}
    for item in C["ul.fr-card__desc > li"](card):
        label = first(C["span.sr-only::text"](item))
        value = text_of([item], exclude_sr_only=True)
        if label:
            key = {"localisation": "location_area", "fonction publique": "versant",
                   "employeur": "employer"}.get(fold_label(label))
            if key:
                out[key] = value
        elif value and (m := ONLINE_SINCE_RE.search(value)):
            out["published"] = m.group(0)
    tags = [clean(X["string"](t)) for t in C[".fr-card__start .fr-tag"](card)]
    out["tags"] = [t for t in tags if t]
    return out


def hidden_inputs(page: OfferPage) -> dict[str, str]:
    """The page's `input[type=hidden][id^=content_]` values, first occurrence wins."""
    values: dict[str, str] = {}
    for node in page.inputs():
        key = node.get("id")[len("content_"):]
        values.setdefault(key, (node.get("value") or "").strip())
    return values


def input_date(inputs: dict[str, str], prefix: str) -> str | None:
    """`content_<prefix>_day/month/year` joined as written, dd/mm/yyyy."""
    parts = [inputs.get(f"{prefix}_{p}", "") for p in ("day", "month", "year")]
    return "/".join(parts) if all(parts) else None


def json_ld(page: OfferPage) -> dict:
    """The page's JobPosting JSON-LD (non-strict schema.org), or {}."""
    for raw in page.json_ld_texts():
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@type") == "JobPosting":
                return item
    return {}


def labelled_items(nodes: list) -> dict[str, str]:
    """`li` items made of a `span.sr-only` label and a value, keyed by folded label."""
    out: dict[str, str] = {}
    for item in nodes:
        label = first(X["sr_label"](item))
        if label:
            value = text_of([item], exclude_sr_only=True)
            if value:
                out.setdefault(fold_label(label), value)
    return out


def table_cells(page: OfferPage) -> dict[str, str]:
    """`ul.table > li.table-cell`: the <strong> label and the value beside it."""
    out: dict[str, str] = {}
    for cell in page.table_items():
        label = text_of(C["strong"](cell))
        key = TABLE_KEYS.get(fold_label(label or ""))
        if not key:
            continue
        results = C["span.offer-result"](cell)
        if results:  # salary: one value for contract staff, one for civil servants
            notes = [text_of([n]) for n in C["span.fr-text--xs"](cell)]
            values = [text_of([r]) for r in results]
            value = " ; ".join(f"{n} : {v}" if n else (v or "") for n, v in zip(notes + [None] * len(values), values))
        else:
            spans = X["cell_spans"](cell)
            value = text_of(spans[1:]) if len(spans) > 1 else None
        if value:
            out[key] = value
    return out


def sections(page: OfferPage) -> dict[str, str]:
    """HTML of the blocks that follow the offer's own `h2` headings."""
    out: dict[str, str] = {}
    for h2 in page.main("h2", "main_h2"):
        key = SECTION_KEYS.get(fold_label(text_of([h2]) or ""))
        body = X["next_sibling"](h2)
        if key and body and key not in out:
            out[key] = inner_html(body[0])
    about = page.about()
    texts = [d for d in about if X["p_or_h3"](d)]
    if texts:
        node = texts[-1]
        html = "".join(serialize(n) for n in X["clamp"](node))
        out["about_html"] = clean(html) and html.strip() or inner_html(node)
    return out


def accordions(page: OfferPage) -> dict[str, str]:
    """The offer's accordions (Métier de référence, Statut du poste, ...)."""
    out: dict[str, str] = {}
    for section in page.accordions():
        key = ACCORDION_KEYS.get(fold_label(text_of(C[".fr-accordion__btn"](section)) or ""))
        body = C[".fr-collapse"](section)
        if key and body and key not in out:
            out[key] = text_of(body) if key in TEXT_ACCORDIONS else inner_html(body[0])
    return out


def original_link(page: OfferPage) -> str | None:
    """A web link from the offer's body to the original posting on another board."""
    for href in page.main_links():
        href = href.strip()
        if href.startswith(("http://", "https://")) and any(host in href for host in ORIGINAL_HOSTS):
            return href
    return None


def grades_from(conditions_html: str | None, territorial: bool) -> str | None:
    """Grades written as free text in the conditions: the "Grade(s) ..." line, else
    (territorial offers, whose conditions hold only the grades) the whole text."""
    if not conditions_html:
        return None
    text = X["first_div_string"](html_root(f"<div>{BREAK_RE.sub(chr(10), conditions_html)}</div>"))
    lines = [line for line in (clean(part) for part in text.split("\n")) if line]
    for line in lines:
        if match := GRADES_RE.match(line) or OPEN_GRADES_RE.match(line):
            return clean(match.group(1))
    return " ".join(lines) if territorial and lines else None


def parse_offer(html: str, url: str) -> dict:
    """An offer's detail page -> raw posting record (values as written on the page)."""
    page = OfferPage(html_root(html))  # parsel's lxml tree, its recommended cards dropped, read in one pass
    inputs = hidden_inputs(page)
    ld = json_ld(page)
    hero = labelled_items(page.main("li", "main_li"))
    cells = table_cells(page)
    blocks = sections(page)
    accs = accordions(page)
    main_text = clean(page.main_text()) or ""
    deadline = DEADLINE_RE.search(main_text)
    canonical = first(page.canonical())
    address = (ld.get("jobLocation") or {}).get("address") or {}
    reference = (inputs.get("ref") or first(page.main_reference())
                 or text_of(page.numbers(), exclude_sr_only=True))
    title = text_of(page.main("h1", "h1")) or clean(ld.get("title"))
    record = {
        "source": SOURCE,
        "url": (canonical or url).strip(),
        "title": title,
        "reference": clean(reference),
        "employer": hero.get("employeur") or inputs.get("entite") or clean(ld.get("hiringOrganization")),
        "location": hero.get("localisation") or inputs.get("dept") or clean(address.get("addressLocality")),
        "location_area": inputs.get("dept") or clean(address.get("addressLocality")),
        "region": inputs.get("reg") or clean(address.get("addressRegion")),
        "category": inputs.get("categorie") or cells.get("category"),
        "versant": inputs.get("versant") or hero.get("fonction publique"),
        "contract": cells.get("contract"),
        "remote": cells.get("remote"),
        "experience": cells.get("experience") or clean(ld.get("experienceRequirements")),
        "salary": cells.get("salary") or clean(ld.get("baseSalary")),
        "management": cells.get("management"),
        "metier": inputs.get("metier") or accs.get("metier"),
        "domain": inputs.get("domaine") or hero.get("domaine") or clean(ld.get("industry")),
        "published": input_date(inputs, "startPublicationDate") or clean(ld.get("datePosted")),
        "modified": input_date(inputs, "modificationDate"),
        "deadline": deadline.group(1) if deadline else None,
        "post_status": accs.get("post_status"),
        "missions_html": blocks.get("missions_html") or ld_description(ld),
        "profile_html": blocks.get("profile_html"),
        "about_html": blocks.get("about_html"),
        "conditions_html": accs.get("conditions_html"),
        "extra_html": accs.get("extra_html"),
        "original_url": original_link(page),
    }
    territorial = bool(record["reference"] and TERRITORIAL_REF_RE.match(record["reference"]))
    if territorial:
        record["employer_category"] = record["employer"]
    record["grades"] = grades_from(record["conditions_html"], territorial)
    if not record["title"]:
        raise ParseError(url, "title", "no h1 and no JSON-LD title on the page")
    return {k: v for k, v in record.items() if v not in (None, "")}


def ld_description(ld: dict) -> str | None:
    """The JSON-LD `Description` (plain text) as an escaped paragraph, fallback only."""
    from html import escape

    text = clean(ld.get("Description") or ld.get("description"))
    return f"<p>{escape(text)}</p>" if text else None
