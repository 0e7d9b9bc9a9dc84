"""The lxml tree of a CSP page and the elements the offer parse reads, found in one pass.

`parsers.csp` once ran about fifteen document-wide XPaths per offer page (`//main//li`,
`//input[...]`, ...): each walked the whole tree, and together they cost most of the parse.
`OfferPage` walks the tree once (and the `main` element's subtree once more), and gives the
same elements in the same (document) order as those XPaths; where the page's shape makes
that order subtle (two `main` elements, two `ul.table` lists, two "about" blocks) it asks
the XPath itself. The recommended-offer cards are removed first, as before.
"""
from __future__ import annotations

import re

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

XML_DECLARATION = re.compile(r"[\s\ufeff]*<\?xml\s")  # parsel would read such a page as XML
XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() folds
# Tags read over the whole page, and under `main`.
PAGE_TAGS = ("input", "script", "link", "main", "p", "ul", "section")
MAIN_TAGS = ("li", "h2", "h1", "a")


def html_root(html: str):
    """The lxml tree parsel's `Selector(text=html).root` builds, without parsel's detour: the
    same parser options and input clean-up, but plain elements (lxml.html's Python class
    lookup cost a call per element touched). Text that parsel would read as XML or JSON
    goes through parsel itself."""
    if XML_DECLARATION.match(html) or html.lstrip()[:1] in ("{", "["):
        return Selector(text=html).root
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(html.strip().replace("\x00", "").encode("utf-8") or b"<html/>", parser=parser)
    return root if root is not None else etree.fromstring(b"<html/>", parser=parser)


def has_class(value: str | None, name: str) -> bool:
    """CSS `.name` on a class attribute, as the translated XPath tests it."""
    return value is not None and name in value and f" {name} " in f" {XML_SPACE.sub(' ', value)} "


def xpath(expression: str) -> etree.XPath:
    """An XPath compiled once, returning plain strings."""
    return etree.XPath(expression, smart_strings=False)


def css(selector: str) -> etree.XPath:
    """A CSS selector compiled once, as parsel would translate it (`::text`, `::attr()`)."""
    return xpath(HTMLTranslator().css_to_xpath(selector))


ABOUT = ".about-agency .rte > div"
FALLBACK = {
    "table_li": xpath("//ul[contains(@class,'table')]/li"),
    "about": css(ABOUT),
    "main_li": xpath("//main//li"),
    "main_h2": xpath("//main//h2"),
    "h1": xpath("//main//h1"),
    "main_links": xpath("//main//a/@href"),
}
# `.rte > div` under one `.about-agency` element: the second half of ABOUT's translation.
ABOUT_INSIDE = xpath("descendant::" + HTMLTranslator().css_to_xpath(ABOUT).split("/descendant::", 1)[1])
STRING = xpath("string()")
TEXT_CHILDREN = xpath("text()")


def drop(cards: list) -> None:
    """Remove the cards from the tree, keeping the text that follows each."""
    for card in cards:
        parent = card.getparent()
        if parent is not None:
            if card.tail:
                previous = card.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + card.tail
                else:
                    parent.text = (parent.text or "") + card.tail
            parent.remove(card)


class OfferPage:
    """An offer page's tree without its recommended cards, and the elements read from it."""

    def __init__(self, root) -> None:
        if not isinstance(root, etree._Element):  # JSON read by parsel: as lxml itself refuses it
            raise TypeError(f"Invalid input object: {type(root).__name__}")
        self.root = root
        tags: dict[str, list] = {tag: [] for tag in PAGE_TAGS}
        cards, about = [], []
        for element in root.iter(etree.Element):  # document order, the root included, as //*
            found = tags.get(element.tag)
            if found is not None:
                found.append(element)
            value = element.get("class")
            if value is not None:  # the substring tests first: has_class is rarely needed
                if "fr-card" in value and has_class(value, "fr-card"):
                    cards.append(element)
                if "about-agency" in value and has_class(value, "about-agency"):
                    about.append(element)
        drop(cards)
        if cards:  # what was inside a card is gone with it
            gone = {element for card in cards for element in card.iter(etree.Element)}
            tags = {tag: [e for e in found if e not in gone] for tag, found in tags.items()}
            about = [e for e in about if e not in gone]
        self.tags, self.about_blocks = tags, about
        self.mains = tags["main"]
        self.in_main: dict[str, list] | None = None
        if len(self.mains) == 1:
            self.in_main = {tag: [] for tag in MAIN_TAGS}
            for element in self.mains[0].iter(*MAIN_TAGS):
                self.in_main[element.tag].append(element)

    def main(self, tag: str, fallback: str) -> list:
        """`//main//<tag>` elements."""
        if self.in_main is None:
            return FALLBACK[fallback](self.root) if self.mains else []
        return self.in_main[tag]

    def inputs(self) -> list:
        """`//input[starts-with(@id,'content_')]`"""
        return [n for n in self.tags["input"] if (n.get("id") or "").startswith("content_")]

    def json_ld_texts(self) -> list[str]:
        """`//script[@type='application/ld+json']/text()`"""
        return [t for s in self.tags["script"] if s.get("type") == "application/ld+json" for t in TEXT_CHILDREN(s)]

    def canonical(self) -> list[str]:
        """`//link[@rel='canonical']/@href`"""
        return [n.get("href") for n in self.tags["link"] if n.get("rel") == "canonical" and n.get("href") is not None]

    def main_reference(self) -> list[str]:
        """`//main/@data-reference`"""
        return [m.get("data-reference") for m in self.mains if m.get("data-reference") is not None]

    def numbers(self) -> list:
        """`//p[contains(@class,'number')]`"""
        return [p for p in self.tags["p"] if "number" in (p.get("class") or "")]

    def table_items(self) -> list:
        """`//ul[contains(@class,'table')]/li`"""
        lists = [u for u in self.tags["ul"] if "table" in (u.get("class") or "")]
        if len(lists) > 1:  # nested lists: the XPath's document order
            return FALLBACK["table_li"](self.root)
        return [child for u in lists for child in u if child.tag == "li"]

    def accordions(self) -> list:
        """`//section[contains(@class,'fr-accordion')]`"""
        return [s for s in self.tags["section"] if "fr-accordion" in (s.get("class") or "")]

    def about(self) -> list:
        """CSS `.about-agency .rte > div`"""
        if len(self.about_blocks) > 1:
            return FALLBACK["about"](self.root)
        return ABOUT_INSIDE(self.about_blocks[0]) if self.about_blocks else []

    def main_links(self) -> list[str]:
        """`//main//a/@href`"""
        if self.in_main is None:
            return FALLBACK["main_links"](self.root) if self.mains else []
        return [a.get("href") for a in self.in_main["a"] if a.get("href") is not None]

    def main_text(self) -> str:
        """`string(//main)`: the first `main` element's text."""
        return STRING(self.mains[0]) if self.mains else ""
