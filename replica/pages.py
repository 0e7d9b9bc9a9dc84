"""HTML rendering of the replica, cut from the real captures of choisirleservicepublic.gouv.fr.

Structure, classes and labels follow ``csp-list.html`` (cards) and ``csp-offer-pep.html``
(detail page); the svg/script/menu bloat is dropped. Parts the captures lack (pagination,
deadline, listing header) are documented in ``replica/README.md``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import date
from pathlib import Path
from string import Template

from .generator import Offer, html_entities

_TEMPLATES = Path(__file__).with_name("templates")
_CARD = Template((_TEMPLATES / "card.html").read_text(encoding="utf-8"))
_DETAIL = Template((_TEMPLATES / "detail.html").read_text(encoding="utf-8"))

LISTING_PATH = "/nos-offres/filtres/domaine/3522/"
PER_PAGE = 20
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


def listing_url(base: str, page: int) -> str:
    """Absolute URL of listing page ``page`` (page 1 has no ``/page/1/``)."""
    return base + LISTING_PATH + ("" if page <= 1 else f"page/{page}/")


def french_date(d: date) -> str:
    """``02 octobre 2026``."""
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


def _t(s: str) -> str:
    return html.escape(s, quote=False)


def _a(s: str) -> str:
    """Attribute value in double quotes (the site leaves ``'`` raw)."""
    return html.escape(s, quote=False).replace('"', "&quot;")


def _uid(*parts: object) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()[:13]


def _dept_html(department: str) -> str:
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", department)
    if not m:
        return _t(department)
    return f"{_t(m.group(1))} <strong>({_t(m.group(2))})</strong>"


def _card_img(o: Offer) -> str:
    if o.territorial:
        return ('\t\t\t\t\t<div class="fr-card-svg_text fr-responsive-img is-icon">\n'
                '\t\t\t\t\t\t<svg width="200px" height="200px" viewBox="0 0 200 200" xmlns="http://www.w3.org/2000/svg">'
                '<rect fill="#00006D" x="0" y="0" width="200" height="200" /></svg>\n'
                "\t\t\t\t\t\t<p>Fonction<br>publique<br>Territoriale</p>\n\t\t\t\t\t</div>\n")
    return (f'\t\t\t\t\t<img aria-hidden="true" loading="lazy" class="fr-responsive-img is-icon" '
            f'src="/wp-content/uploads/logo.png" alt="{_a(o.employer.strip())}">\n')


def card(o: Offer, base: str, recommended: bool = False) -> str:
    """One offer card, as in the listing (horizontal) or the recommended block."""
    title = o.title
    classes = "fr-card fr-card--offer" if recommended else \
        "fr-card fr-card--horizontal fr-card--horizontal-tier fr-card--offer"
    tracking = ""
    if recommended:
        click = json.dumps(title, ensure_ascii=False)[1:-1].replace("'", "&#039;")
        tracking = (f'\t\t\t\t\t\t\tdata-at-click=\'{{"event":"click.navigation","data":{{"click" : "{click}",'
                    '"click_chapter1" : "Offres","click_chapter2" : "Details offres","click_chapter3" : "Autres offres",'
                    '"event_general_placement" : "Body", "from_recommandation": "0", "from_alert": "0"}}\'\n')
    return _CARD.substitute(
        classes=classes, href=_a(base + o.path), tracking=tracking, title_attr=_a(title), title=_t(title),
        domain=_t(o.domain), department=_dept_html(o.department), versant=_t(o.versant), employer=_t(o.employer),
        published=french_date(o.published), fav_id=_uid(o.reference, recommended), img=_card_img(o))


def _head(title: str, canonical: str | None, description: str = "") -> str:
    canon = f'<link rel="canonical" href="{_a(canonical)}" />\n' if canonical else ""
    return ('<!DOCTYPE html>\n<html lang="fr-FR" >\n<head>\n    <meta charset="UTF-8">\n'
            '    <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"        <title>{_t(title)} | Choisir le service public</title>\n"
            f'    <meta name="description" content="{_a(description)}">\n'
            "<meta name='robots' content='max-image-preview:large' />\n"
            f"{canon}</head>\n")


def _header(base: str) -> str:
    return f"""<header role="banner" class="fr-header">
    <div class="fr-header__body"><div class="fr-container">
        <div class="fr-header__service">
            <a href="/" title="Accueil - Choisir le service public - Retrouvez toutes les offres d'emploi de la fonction publique">
                <p class="fr-header__service-title">Choisir le service public</p>
            </a>
        </div>
        <nav class="fr-nav" id="header-nav" role="navigation" aria-label="Menu principal">
            <ul class="fr-nav__list">
                <li class="fr-nav__item"><a class="fr-nav__link" href="{base}/">Accueil</a></li>
                <li class="fr-nav__item"><a class="fr-nav__link" href="{base}/nos-offres/" aria-current="page">Offres d'emploi</a></li>
                <li class="fr-nav__item"><a class="fr-nav__link" href="{base}/passer-un-concours/">Concours</a></li>
            </ul>
        </nav>
    </div></div>
</header>
"""


_FOOTER_DOMAINS = [(3503, "Achats"), (3504, "Affaires juridiques"), (3509, "Communication"),
                   (3522, "Numérique"), (3528, "Ressources humaines")]


def _footer(base: str) -> str:
    links = "".join(
        f'                        <li>\n                            <a class="fr-footer__top-link" '
        f'href="{base}/nos-offres/filtres/domaine/{i}/">{_t(name)}</a>\n                        </li>\n'
        for i, name in _FOOTER_DOMAINS)
    return ('<footer class="fr-footer" role="contentinfo">\n    <div class="fr-footer__top">\n'
            '        <div class="fr-container">\n'
            '            <h2 class="fr-footer__top-cat">Découvrir nos offres par domaine métier</h2>\n'
            f'            <ul class="footer__top-list">\n{links}            </ul>\n'
            "        </div>\n    </div>\n</footer>\n</body>\n</html>\n")


def pagination(base: str, page: int, last: int) -> str:
    """DSFR pagination block; no first/prev links on page 1, no next/last links on the last page."""
    if last <= 1:
        return ""
    items = []
    if page > 1:
        items.append(f'<li><a class="fr-pagination__link fr-pagination__link--first" href="{listing_url(base, 1)}" '
                     'title="Première page">Première page</a></li>')
        items.append(f'<li><a class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label" '
                     f'href="{listing_url(base, page - 1)}" title="Page précédente">Page précédente</a></li>')
    shown = sorted({1, 2, page - 1, page, page + 1, last - 1, last} & set(range(1, last + 1)))
    previous = 0
    for n in shown:
        if n - previous > 1:
            items.append('<li><a class="fr-pagination__link fr-displayed-lg">…</a></li>')
        if n == page:
            items.append(f'<li><a class="fr-pagination__link" aria-current="page" title="Page {n}">{n}</a></li>')
        else:
            items.append(f'<li><a class="fr-pagination__link" href="{listing_url(base, n)}" title="Page {n}">{n}</a></li>')
        previous = n
    if page < last:
        items.append(f'<li><a class="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label" '
                     f'href="{listing_url(base, page + 1)}" title="Page suivante">Page suivante</a></li>')
        items.append(f'<li><a class="fr-pagination__link fr-pagination__link--last" href="{listing_url(base, last)}" '
                     'title="Dernière page">Dernière page</a></li>')
    body = "\n                ".join(items)
    return ('        <nav role="navigation" class="fr-pagination" aria-label="Pagination">\n'
            f'            <ul class="fr-pagination__list">\n                {body}\n            </ul>\n        </nav>\n')


def listing_page(offers: list[Offer], base: str, page: int, last: int, total: int) -> str:
    """A listing page: the cards of ``offers`` (already sliced) and the pagination."""
    cards = "".join(f'\t\t\t\t\t\t\t\t\t\t<li class="fr-col-12 item">\n\t\t\t\t\t\t\t\t{card(o, base)}'
                    "\t\t\t\t\t\t</li>\n" for o in offers)
    empty = "" if offers else '        <p class="fr-h5 no-result">Aucune offre ne correspond à votre recherche.</p>\n'
    return (_head("Offres d'emploi ", listing_url(base, page))
            + '<body class="page-template-template-page-offers">\n' + _header(base)
            + '<main role="main" class="dsfr main-content-offers" id="main-content">\n'
            '    <div class="fr-container">\n        <h1>Offres d\'emploi</h1>\n'
            f'        <p class="fr-h5 results-count"><span class="count">{total}</span> offres d\'emploi</p>\n'
            f'{empty}<ul class="fr-grid-row fr-grid-row--gutters">\n{cards}\t\t\t\t\t\t\t\t\t</ul>\n'
            + pagination(base, page, last) + "    </div>\n</main>\n" + _footer(base))


def _strip(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<script.*?</script>", "", fragment, flags=re.S)))


def _json_ld(o: Offer) -> str:
    area = f"{o.department}, France"
    data = {
        "@context": "https://schema.org/", "@type": "JobPosting", "title": o.title, "addressLocality": area,
        "jobLocation": {"@type": "Place", "address": {
            "@type": "PostalAddress", "streetAddress": area, "addressLocality": area,
            "addressRegion": o.region, "addressCountry": "France", "postalCode": o.department}},
        "hiringOrganization": o.employer.strip(), "baseSalary": "Non renseigné",
        "experienceRequirements": o.experience, "Description": "\n" + _strip(o.missions_html) + "\n",
        "skills": "", "datePosted": f"{o.published:%d/%m/%Y}", "industry": o.domain, "educationRequirements": "",
    }
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/")


def _hidden(name: str, value: str) -> str:
    return f'    <input type="hidden" name="{name}" id="{name}" value="{_a(value)}">\n'


def _cell(label: str, value: str, cls: str = "table-cell") -> str:
    return (f'                        <li class="{cls}">\n                            <span>\n'
            f"                                <strong>{label}</strong>\n                            </span>\n"
            f"                            <span>\n                                     {_t(value)}"
            "                                                            </span>\n                        </li>\n")


def _accordion(o: Offer, label: str, content: str) -> str:
    uid = _uid(o.reference, label)
    return f"""                            <li>
                                <section class="fr-accordion">
                                            <h3 class="fr-accordion__title">
                                            <button class="fr-accordion__btn" aria-expanded="false" aria-controls="accordion-{uid}">{label}</button>
                                                                            </h3>
                                                                        <div class="fr-collapse rte" id="accordion-{uid}">
                                        {content}                                    </div>
                                </section>
                            </li>
"""


def detail_page(o: Offer, base: str, recommended: list[Offer]) -> str:
    """The detail page of ``o``; ``recommended`` are other offers shown as cards at the end."""
    title = o.title
    inputs = "".join([
        _hidden("content_categorie", o.category or ""), _hidden("content_versant", o.content_versant),
        _hidden("content_dept", o.department), _hidden("content_reg", o.region),
        _hidden("content_metier", o.metier or ""), _hidden("content_domaine", o.domain),
        _hidden("content_entite", o.employer.strip()), _hidden("content_ref", o.reference),
        _hidden("content_startPublicationDate_day", f"{o.published.day:02d}"),
        _hidden("content_startPublicationDate_month", f"{o.published.month:02d}"),
        _hidden("content_startPublicationDate_year", f"{o.published.year}"),
        _hidden("content_modificationDate_day", f"{o.modified.day:02d}"),
        _hidden("content_modificationDate_month", f"{o.modified.month:02d}"),
        _hidden("content_modificationDate_year", f"{o.modified.year}"),
    ])
    deadline = ""
    if o.deadline:
        deadline = ('                            <p class="fr-text--sm fr-mb-0 deadline">'
                    f"Date limite de candidature : {o.deadline:%d/%m/%Y}</p>\n")
    cells = (
        _cell("Nature de l’emploi", o.contract, "table-cell span-col-sm-2 span-col-md-3")
        + _cell("Expérience souhaitée", o.experience)
        + '                        <li class="table-cell span-row-sm-2 span-row-md-1" data-module="salary">\n'
        '                            <div class="salaire">\n                                <span>\n'
        "                                    <strong>Rémunération</strong>\n                                </span>\n"
        '                                <span class="fr-text--xs tl-color--grey-dark fr-mt-1w">Fourchette indicative pour les contractuels</span>\n'
        f'                                <span class="offer-result" tabindex="0">\n                                            {_t(o.salary)}                                    </span>\n'
        '                                <span class="fr-text--xs tl-color--grey-dark fr-mt-1w">Fourchette indicative pour les fonctionnaires</span>\n'
        '                                <span class="offer-result"  tabindex="0">\n                                            Non renseignée                                    </span>\n'
        "                            </div>\n                        </li>\n"
        + (_cell("Catégorie", o.category) if o.category else "")
        + _cell("Management", o.management)
        + (_cell("Télétravail possible", o.remote) if o.remote else "")
    )
    accordions = (_accordion(o, "Informations complémentaires", o.extra_html)
                  + _accordion(o, "Conditions particulières d’exercice", o.conditions_html)
                  + (_accordion(o, "Statut du poste", html_entities(_t(o.post_status))) if o.post_status else "")
                  + (_accordion(o, "Métier de référence", html_entities(_t(o.metier))) if o.metier else ""))
    rec = "".join(f'                <li class="fr-col-12 fr-col-md-6 fr-col-lg-4 ">{card(r, base, True)}                </li>\n'
                  for r in recommended)
    head_title = f"{title[:1].upper()}{title[1:].lower()} {o.location}"
    return (_head(head_title, base + o.path, _strip(o.missions_html)[:160] + "...")
            + '<body class="wp-singular page-template page-template-template-page-single-offer">\n'
            '    <input type="hidden" name="level_1" id="level_1" value="Trouver une offre">\n'
            '    <input type="hidden" name="level_3" id="level_3" value="Details offres">\n'
            + _hidden("page_name", title) + _hidden("page_type", "Publication") + inputs
            + _header(base)
            + _DETAIL.substitute(
                base=base, title=_t(title), reference=_t(o.reference), deadline=deadline, versant=_t(o.versant),
                employer=_t(o.employer), location=_t(o.location), domain=_t(o.domain), contact_attr=_a(o.contact),
                reference_attr=_a(o.reference), title_attr=_a(title), cells=cells, missions_html=o.missions_html,
                profile_html=o.profile_html, contact=_t(o.contact), about_html=o.about_html, accordions=accordions,
                recommended=rec, json_ld=_json_ld(o))
            + _footer(base))


def not_found_page(base: str) -> str:
    """The 404 page."""
    return (_head("Page non trouvée", None) + "<body>\n" + _header(base)
            + '<main role="main" class="dsfr"><div class="fr-container"><h1>Page non trouvée</h1>\n'
            "<p>La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.</p>\n"
            f'<p><a href="{base}/nos-offres/">Retour aux offres</a></p></div></main>\n' + _footer(base))


def robots_txt(base: str) -> str:
    """A permissive robots.txt, like a WordPress site's."""
    return ("User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {base}/wp-sitemap.xml\n")
