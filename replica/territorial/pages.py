"""The ET replica's markup: the real listing row and RSS item, the reconstructed detail page
(docs/sources/emploi_territorial.md)."""
from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timezone
from html import escape

from .generator import EtOffer

PER_PAGE = 20
BADGES = {"A": "badge-success", "B": "badge-warning", "C": "badge-info"}
SECTION_TITLES = {"about": "Description de l'employeur", "description": "Descriptif de l'emploi",
                  "missions": "Missions / conditions d'exercice", "profile": "Profil recherché",
                  "modalites": "Modalités de candidature", "handicap": "Travailleurs handicapés"}


def _kind(offer: EtOffer) -> str:
    return offer.job_type.split(" - ")[0]


def _row_block(offer: EtOffer, css: str) -> str:
    badges = "".join(f"<span class='{BADGES[c]} badge' title='Emploi de catégorie {c}'>{c}</span>\n"
                     for c in offer.categories)
    limit = (f'<button type="button" data-tooltip="date limite de candidature le {offer.deadline:%d/%m/%Y}">'
             f"expire</button>") if offer.deadline else ""
    return f"""<div class="detail-offres {css}">
            <div class='float-right'>
                {badges}<span class='badge badge-secondary' title='Filière {escape(offer.filiere)}'>{escape(offer.filiere)}</span><br />
            </div>
            <span class='badge badge-light mr-2 text-wrap'>{escape(_kind(offer))}</span>
            <span class='text-muted font-weight-bold set-font-size-0-9em numOf'>
                {offer.reference}
            </span>
            <div class='detail-offre detail-offre-titre mb-1'>
                <a href='{offer.path}' class='font-weight-bold lien-details-offre' data-tooltip='Voir le détail'>{escape(offer.title)}</a>
            </div>
            <div class='detail-offre detail-offre-collectivite'>
                <span class='label'><em>Employeur :</em></span>
                <span class='valeur font-weight-bold'>
                    <a class='set-color-dark-blue' href='/emploi-mobilite/?search-col={offer.employer_id}' data-tooltip='Voir toutes les offres de la collectivité'>
                        <span class='icon-hash pr-1'></span>{escape(offer.employer)}
                    </a>
                </span>
                <span class='font-weight-bold text-secondary set-font-size-0-9em ml-2'>{escape(offer.department)}</span>
            </div>
        </div>"""


def listing_row(offer: EtOffer) -> str:
    """A row as the real board renders it: the mobile block, then the desktop one (twice the fields)."""
    return f"""<tr id="{offer.reference}">
    <td>
        {_row_block(offer, "d-lg-none")}
        {_row_block(offer, "d-none d-lg-block")}
    </td>
    <td class='d-none d-lg-table-cell'>
        <button type="button" data-tooltip="publié le {offer.published:%d/%m/%Y}">publié</button>
        {f'<button type="button" data-tooltip="date limite de candidature le {offer.deadline:%d/%m/%Y}">expire</button>' if offer.deadline else ''}
    </td>
</tr>"""


def listing_page(rows: list[EtOffer], page: int, total: int, query: str) -> str:
    """One page of results: the total (`#nb-offres`, "N résultats"), the rows, the pagination."""
    last = max(1, -(-total // PER_PAGE))
    links = "".join(f"<li class='page-item{' active' if n == page else ''}'><a class='page-link' "
                    f"href='/emploi-mobilite/?{query}&page={n}'>{n}</a></li>"
                    for n in range(max(1, page - 2), min(last, page + 2) + 1))
    body = "\n".join(listing_row(o) for o in rows) if rows else \
        "<tr><td class='aucune-offre'>Aucune offre ne correspond à vos critères.</td></tr>"
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Offres d'emploi - Emploi Territorial</title></head>
<body><main>
<form name="search_offre_form" method="post" action="/rechercher"><input type="text" name="search_offre_form[advsearch]"></form>
<input type="hidden" value="{total}" id="nb-offres">
<h1><span id="NbTotalOffre">{total} résultats</span></h1>
<table id="tableRecherche" class="table"><tbody>
{body}
</tbody></table>
<nav><ul class="pagination">{links}</ul></nav>
</main></body></html>"""


def _item(label: str, value_html: str) -> str:
    return (f"<div class='offre-item'><div class='offre-item-label'>{escape(label)}</div>"
            f"<div class='offre-item-value'>{value_html}</div></div>")


def detail_page(offer: EtOffer) -> str:
    """The offer's page: label/value rows and titled long texts, in the offer's section order."""
    items = [_item("Employeur", f"<strong><a href='/emploi-mobilite/?search-col={offer.employer_id}'>"
                                f"{escape(offer.employer)}</a></strong><br>{escape(offer.location)}"),
             _item("Lieu de travail", escape(offer.location)),
             _item("Poste à pourvoir le", escape(offer.start)) if offer.start else "",
             _item("Date limite de candidature", f"{offer.deadline:%d/%m/%Y}") if offer.deadline else "",
             _item("Type d'emploi", escape(offer.job_type)),
             _item("Ouvert aux contractuels", escape(offer.contractuels)) if offer.contractuels else "",
             _item("Temps de travail", escape(offer.working_time)) if offer.working_time else "",
             _item("Famille de métiers", escape(offer.family)),
             _item("Grade(s) recherché(s)", "".join(f"{escape(g)}<br>" for g in offer.grades)),
             _item("Métier(s)", escape(offer.metier)),
             _item("Télétravail", escape(offer.remote)) if offer.remote else "",
             _item("Management", escape(offer.management)) if offer.management else "",
             _item("Expérience souhaitée", escape(offer.experience)) if offer.experience else "",
             _item("Rémunération indicative", escape(offer.salary)) if offer.salary else ""]
    sections = "".join(f"<h3 class='set-font-size-1-2em'>{SECTION_TITLES[name]}</h3>"
                       f"<div class='offre-item-text'>{getattr(offer, name + '_html')}</div>"
                       for name in offer.section_order if getattr(offer, name + "_html"))
    apply = (_item("Lien de candidature", f"<a href='{escape(offer.apply_url)}' target='_blank'>Postuler</a>")
             if offer.apply_url else "")
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(offer.title)}</title></head>
<body><header><h2>Emploi Territorial</h2></header>
<div id="contenuOffre" class="contenu-offre">
<div class="px-3"><h2 class="set-font set-line-emploi">{escape(offer.title)}</h2>
<p class="text-muted">Offre n° {offer.reference}</p>
<span class="set-color-green">Publiée le {offer.published:%d/%m/%Y}</span></div>
<section>{''.join(items)}</section>
<section>{sections}</section>
<section><h3>Contact et modalités de candidature</h3>{apply}</section>
<a class="btn-candidature-top" href="/demandeur/login">Postuler</a>
</div></body></html>"""


def rss_feed(offers: list[EtOffer], base: str) -> str:
    """The ~100 newest offers, every family, as the real feed writes its items."""
    items = []
    for o in offers[:100]:
        when = format_datetime(datetime(o.published.year, o.published.month, o.published.day, 9, 0, tzinfo=timezone.utc))
        window = f"du {o.published:%d/%m/%Y}" + (f" au {o.deadline:%d/%m/%Y}" if o.deadline else "")
        items.append(f"""<item>
  <guid isPermaLink="false">https://www.emploi-territorial.fr/:{o.reference}</guid>
  <title><![CDATA[{o.title}]]></title>
  <link><![CDATA[{base}{o.path}?mtm_campaign=rss]]></link>
  <description><![CDATA[
    <div class="employeur"><strong>Employeur : </strong> {escape(o.employer)}</div>
    <div class="metier"><strong>Métier(s) : </strong> {escape(o.metier)}</div>
    <div class="datepub"><strong>Date de publication : </strong> {window}</div>
    <div class="lieutravail"><strong>Lieu de travail : </strong> {escape(o.location)}</div>
  ]]></description>
  <pubDate>{when}</pubDate>
  <category domain="emploi-territorial:secteurgeo"><![CDATA[{o.location}]]></category>
  <category domain="emploi-territorial:collectivite"><![CDATA[{o.employer}]]></category>
</item>""")
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Emploi Territorial</title>'
            + "".join(items) + "</channel></rss>")


def robots_txt() -> str:
    return "User-agent: *\nDisallow: /exportoffres/\nDisallow: /demandeur/\n"


def not_found_page() -> str:
    return "<!DOCTYPE html><html><body><h1>Page introuvable</h1></body></html>"
