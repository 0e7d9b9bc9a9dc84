"""Pure parser for a hand-kept page of offers (the DINUM "Rejoignez-nous" page): `(html, url) -> dict`.

Each panel links an offer twice (title and button); hand copy-paste sometimes
makes the two links disagree. The parser says so, and picks a link only when the
page itself settles it (see `choose_link`); otherwise the reference stays unknown.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin

from parsel import Selector

from parsers.csp import clean

PARSER_VERSION = "dinum-page/1"
SOURCE = "dinum-page"
DINUM = "Direction interministérielle du numérique (DINUM)"
REFERENCE_RE = re.compile(r"/offre-emploi/(?:.*-reference-)?([A-Za-z0-9_ -]+?)/?$")
TITLE_SUFFIX_RE = re.compile(r"\s*-\s*Lien externe\s*$", re.I)


def link_reference(url: str | None) -> str | None:
    """The board reference in an offer link (short or slug form)."""
    match = REFERENCE_RE.search(url or "")
    return match.group(1).strip() if match else None


def choose_link(title_url: str, button_url: str | None, title_refs: Counter) -> tuple[str | None, str | None]:
    """(url, problem): the link of a panel, or None when the page does not settle it.

    When the title link's reference is the title link of another panel too, it was
    copied from there: the button is right. The reverse settles it the other way.
    """
    if not button_url or link_reference(title_url) == link_reference(button_url):
        return title_url, None
    title_ref, button_ref = link_reference(title_url), link_reference(button_url)
    problem = f"title link ({title_ref}) and button link ({button_ref}) disagree"
    if title_refs[title_ref] > 1 and title_refs[button_ref] == 0:
        return button_url, problem + f"; {title_ref} is another panel's offer: button kept"
    if title_refs[button_ref] > 0 and title_refs[title_ref] == 1:
        return title_url, problem + f"; {button_ref} is another panel's offer: title link kept"
    return None, problem + "; cannot tell which is right: reference left unknown"


def parse_curated_page(html: str, url: str) -> dict:
    """The offers listed on the page: `{"records": [...], "problems": [{location, field, message}]}`."""
    sel = Selector(text=html)
    panels = sel.css("div.panel")
    title_links = [urljoin(url, p.css("b a::attr(href), strong a::attr(href)").get("").strip()) for p in panels]
    title_refs = Counter(link_reference(u) for u in title_links)
    records, problems = [], []
    for panel, title_url in zip(panels, title_links):
        link = panel.css("b a, strong a")
        title = clean(link.xpath("string()").get()) or TITLE_SUFFIX_RE.sub("", link.attrib.get("title", ""))
        button = panel.css("a.button::attr(href)").get()
        chosen, problem = choose_link(title_url, urljoin(url, button.strip()) if button else None, title_refs)
        theme = clean(panel.xpath("preceding::h1[1]").xpath("string()").get())
        texts = [clean(t) for t in panel.xpath("./p").xpath("string()").getall()]
        # An unsettled conflict points at the panel itself, so no reference is read from either link.
        where = chosen or f"{url.split('#')[0]}#{re.sub(r'[^a-z0-9]+', '-', (title or '').lower()).strip('-')}"
        record = {"source": SOURCE, "url": where, "title": title, "employer": DINUM,
                  "category": texts[0] if texts else None, "location": texts[1] if len(texts) > 1 else None,
                  "reference": link_reference(chosen) if chosen else None, "theme": theme, "page_url": url}
        if problem:
            problems.append({"location": f"{url} panel '{title}'", "field": "url", "message": problem})
            record["link_conflict"] = problem
            record["title_url"], record["button_url"] = title_url, button
        records.append({k: v for k, v in record.items() if v})
    for item in sel.xpath("//h2[contains(., 'autres administrations')]/following::li[.//a]"):
        link = item.css("a")
        href = link.attrib.get("href", "").strip()
        if "/offre-emploi/" not in href:
            continue
        employer = clean(item.xpath("preceding::p[strong][1]").xpath("string()").get())
        text = [clean(t) for t in item.xpath("./text()").getall() if clean(t)]
        records.append({k: v for k, v in {
            "source": SOURCE, "url": urljoin(url, href), "title": clean(link.xpath("string()").get()),
            "reference": link_reference(href), "employer": employer, "category": text[-1] if text else None,
            "page_url": url}.items() if v})
    return {"records": records, "problems": problems}
