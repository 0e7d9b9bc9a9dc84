"""The CSP replica: determinism, URL scheme, pagination, markup fidelity, changes (loopback only)."""

from __future__ import annotations

import http.client
import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from replica import (
    LISTING_PATH,
    PER_PAGE,
    ReplicaServer,
    ReplicaSite,
    generate_offers,
    serve_static,
    site_slug,
)

N = 47  # 3 pages: 20 + 20 + 7


def fetch(base: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    """One request without following redirects."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def card_fields(card) -> dict[str, str]:
    """Parse a card with the real site's selectors."""
    fields = {}
    for li in card.select("ul.fr-card__desc > li"):
        label = li.select_one("span.sr-only")
        text = " ".join(li.get_text(" ", strip=True).split())
        if label is None:
            fields["date"] = text
        else:
            key = label.get_text(strip=True).rstrip(" :")
            fields[key] = " ".join(text[len(label.get_text(" ", strip=True)):].split())
    link = card.select_one("h3.fr-card__title a")
    fields["href"] = link["href"]
    fields["title"] = link.get_text(strip=True)
    return fields


@pytest.fixture(scope="module")
def offers():
    return generate_offers(N, seed=3)


@pytest.fixture()
def server(offers):
    with ReplicaServer(ReplicaSite(offers)) as srv:
        yield srv


def test_determinism_and_variety():
    a, b = generate_offers(200, seed=7), generate_offers(200, seed=7)
    assert a == b
    assert generate_offers(200, seed=8) != a
    refs = [o.reference for o in a]
    assert len(set(refs)) == len(refs)
    assert [o.published for o in a] == sorted((o.published for o in a), reverse=True)
    versants = {o.versant for o in a}
    assert versants == {"Fonction publique de l'État", "Fonction publique Territoriale", "Fonction publique Hospitalière"}
    assert any(re.fullmatch(r"O\d{15}", r) for r in refs)
    assert any(re.fullmatch(r"\d{4}-\d{7}", r) for r in refs)
    assert any(r.startswith(("DEF_", "MEF_", "MINT_")) for r in refs)
    assert any(o.deadline for o in a) and any(o.deadline is None for o in a)
    assert any(o.remote is None for o in a) and any(o.category is None for o in a) and any(o.metier is None for o in a)
    assert any("<script" in o.missions_html or "onclick" in o.missions_html for o in a)
    for o in a:
        if o.territorial:
            assert o.deadline is not None
            assert "Grade(s) recherch" in o.conditions_html
            assert o.original_url.startswith("https://www.emploi-territorial.fr/offre/o")
            assert o.reference.lower() in o.original_url
            if o.real_employer:
                assert o.title.endswith(" - " + o.real_employer)


def test_site_slug_matches_real_site():
    # Slugs of csp-list.html: accented capitals dropped, spaces and " - " kept as hyphens.
    assert site_slug("Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN") == \
        "charge-de-recrutement-hf---conseil-dpartemental-du-morbihan"
    assert site_slug("Chargé de recrutement  (h/f)") == "charge-de-recrutement--hf"
    assert site_slug("Chargé de recrutement - CENTRE DE GESTION DE LA FPT DE L'OISE") == \
        "charge-de-recrutement---centre-de-gestion-de-la-fpt-de-l-oise"


def test_robots_and_404(server):
    status, headers, body = fetch(server.base_url, "/robots.txt")
    assert status == 200 and "Disallow: /wp-admin/" in body and headers["content-type"].startswith("text/plain")
    assert fetch(server.base_url, "/offre-emploi/nothing-reference-2026-0000000/")[0] == 404
    assert fetch(server.base_url, "/offre-emploi/2026-0000000/")[0] == 404
    assert fetch(server.base_url, "/no/such/page/")[0] == 404


def test_pagination(server, offers):
    base = server.base_url
    url, seen, pages = base + LISTING_PATH, [], 0
    while url:
        status, _, body = fetch(base, urlsplit(url).path)
        assert status == 200
        page = soup(body)
        cards = page.select("div.fr-card--offer")
        pages += 1
        assert len(cards) == (PER_PAGE if pages < 3 else N - 2 * PER_PAGE)
        seen += [card_fields(c)["href"] for c in cards]
        nxt = page.select_one("nav.fr-pagination ul.fr-pagination__list a.fr-pagination__link--next")
        url = nxt["href"] if nxt else None
        if url:
            assert url == f"{base}{LISTING_PATH}page/{pages + 1}/"
    assert pages == 3
    assert seen == [base + o.path for o in offers]  # newest first, every offer once
    status, _, body = fetch(base, LISTING_PATH + "page/4/")
    assert status == 404 and not soup(body).select("div.fr-card--offer")
    status, headers, _ = fetch(base, LISTING_PATH + "page/1/")
    assert status == 301 and headers["location"] == base + LISTING_PATH
    page2 = soup(fetch(base, LISTING_PATH + "page/2/")[2])
    assert page2.select_one("a.fr-pagination__link--prev")["href"] == base + LISTING_PATH
    assert page2.select_one('a.fr-pagination__link[aria-current="page"]').get_text() == "2"


def test_listing_card_markup(server, offers):
    page = soup(fetch(server.base_url, LISTING_PATH)[2])
    cards = page.select("ul.fr-grid-row > li.fr-col-12.item > div.fr-card.fr-card--horizontal.fr-card--offer")
    assert len(cards) == PER_PAGE
    for card, offer in zip(cards, offers):
        f = card_fields(card)
        assert f["title"] == offer.title
        assert f["href"] == server.base_url + offer.path
        assert f["Localisation"] == offer.department
        assert card.select_one("ul.fr-card__desc strong").get_text() == "(" + offer.department.split("(")[-1]
        assert f["Fonction publique"] == offer.versant
        assert f["Employeur"] == offer.employer.strip()
        assert re.fullmatch(r"En ligne depuis le \d\d [a-zéû]+ 20\d\d", f["date"])
        assert card.select_one("p.fr-tag").get_text(strip=True) == "Numérique"


def test_detail_markup(server, offers):
    base = server.base_url
    for offer in offers:
        status, _, body = fetch(base, offer.path)
        assert status == 200
        page = soup(body)
        assert page.select_one("link[rel=canonical]")["href"] == base + offer.path
        assert page.select_one("main[data-reference]")["data-reference"] == offer.reference
        inputs = {i["id"]: i["value"] for i in page.select('input[type=hidden][id^="content_"]')}
        assert inputs["content_ref"] == offer.reference
        assert inputs["content_dept"] == offer.department
        assert inputs["content_domaine"] == "Numérique"
        assert inputs["content_categorie"] == (offer.category or "")
        assert inputs["content_metier"] == (offer.metier or "")
        p = offer.published
        assert (inputs["content_startPublicationDate_day"], inputs["content_startPublicationDate_month"],
                inputs["content_startPublicationDate_year"]) == (f"{p.day:02d}", f"{p.month:02d}", str(p.year))
        assert page.select_one("h1").get_text(strip=True) == offer.title
        ref_p = page.select_one("p.number")
        assert "Réf." in ref_p.get_text() and offer.reference in ref_p.get_text()
        hero = {li.select_one("span.sr-only").get_text(strip=True): " ".join(
            li.get_text(" ", strip=True).split(":", 1)[1].split())
            for li in page.select("div.strate-hero-offer ul.fr-grid-row > li")}
        assert hero == {"Fonction publique :": offer.versant, "Employeur :": offer.employer.strip(),
                        "Localisation :": " ".join(offer.location.split())}
        cells = {li.select_one("strong").get_text(strip=True) for li in page.select("ul.table > li.table-cell")}
        assert {"Nature de l’emploi", "Expérience souhaitée", "Rémunération", "Management"} <= cells
        assert ("Catégorie" in cells) == bool(offer.category)
        assert ("Télétravail possible" in cells) == bool(offer.remote)
        buttons = [b.get_text(strip=True) for b in page.select("button.fr-accordion__btn")]
        assert buttons[:2] == ["Informations complémentaires", "Conditions particulières d’exercice"]
        assert ("Métier de référence" in buttons) == bool(offer.metier)
        h2 = [h.get_text(strip=True) for h in page.select("h2")]
        assert {"Vos missions en quelques mots", "Profil recherché", "Qui sommes-nous\xa0?",
                "Des offres d'emplois recommandées pour vous"} <= set(h2)
        deadline = page.find(string=re.compile("Date limite de candidature"))
        if offer.deadline:
            assert deadline.strip() == f"Date limite de candidature : {offer.deadline:%d/%m/%Y}"
        else:
            assert deadline is None
        ld = json.loads(page.select_one('script[type="application/ld+json"]').string)
        assert ld["@type"] == "JobPosting" and isinstance(ld["hiringOrganization"], str)
        assert ld["datePosted"] == f"{p:%d/%m/%Y}" and "Description" in ld
        recommended = page.select("div.strate-cards-list div.fr-card--offer")
        assert 3 <= len(recommended) <= 6
        assert all(r.select_one("h3.fr-card__title a")["href"] != base + offer.path for r in recommended)
        if offer.territorial:
            assert offer.original_url in body
            assert "Grade(s) recherch&eacute;(s) : " in body


def test_short_form_and_stale_slug_redirect(server, offers):
    offer = offers[5]
    for path in (f"/offre-emploi/{offer.reference}/", f"/offre-emploi/old-title-reference-{offer.reference}/"):
        status, headers, _ = fetch(server.base_url, path)
        assert status == 301 and headers["location"] == server.base_url + offer.path


def test_changes_visible(server, offers):
    base, site = server.base_url, server.site
    victim, edited = offers[0], offers[1]
    site.remove(victim.reference)
    assert fetch(base, victim.path)[0] == 404
    new = site.edit(edited.reference, title="Titre modifié (H/F)", remote="Non")
    assert new.modified > edited.modified and new.slug == edited.slug
    page = soup(fetch(base, edited.path)[2])
    assert page.select_one("h1").get_text(strip=True) == "Titre modifié (H/F)"
    m = new.modified
    assert page.select_one("#content_modificationDate_day")["value"] == f"{m.day:02d}"
    added = site.add_generated(12)[:3]
    assert all(o.published == site.today for o in added)
    for o in site.offers:
        if o.territorial and o.published == site.today:
            assert o.reference[4:10] == f"{site.today:%y%m%d}" and o.reference.lower() in o.original_url
    added = site.add_generated(3)
    titles = [card_fields(c)["href"] for c in soup(fetch(base, LISTING_PATH)[2]).select("div.fr-card--offer")]
    assert set(titles[:3]) == {base + o.path for o in added}  # added last = newest = listed first
    assert base + victim.path not in titles


def test_admin_http_api(server, offers):
    base = server.base_url
    status, _, body = fetch(base, f"/__replica__/remove?ref={offers[2].reference}", "POST")
    assert status == 200 and fetch(base, offers[2].path)[0] == 404
    status, _, body = fetch(base, f"/__replica__/edit?ref={offers[3].reference}&title=Nouveau%20titre", "POST")
    assert status == 200
    assert soup(fetch(base, offers[3].path)[2]).select_one("h1").get_text(strip=True) == "Nouveau titre"
    ref = offers[4].reference
    assert fetch(base, f"/__replica__/edit?ref={ref}&deadline=2026-12-24", "POST")[0] == 200
    assert "Date limite de candidature : 24/12/2026" in fetch(base, offers[4].path)[2]
    assert fetch(base, f"/__replica__/edit?ref={ref}&deadline=bad", "POST")[0] == 400
    status, _, body = fetch(base, "/__replica__/add?n=2", "POST")
    added = json.loads(body)["added"]
    assert status == 200 and len(added) == 2
    listed = json.loads(fetch(base, "/__replica__/offers", "POST")[2])["offers"]
    assert len(listed) == N - 1 + 2
    assert fetch(base, "/__replica__/remove?ref=nope", "POST")[0] == 404


def test_request_log_and_cache(server, offers):
    fetch(server.base_url, offers[0].path)
    fetch(server.base_url, offers[0].path)
    assert server.requests[offers[0].path] == 2


def test_serve_static_rewrites_links():
    html = '<a href="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2026-1/">x</a>'
    with serve_static({"/list/": html, "/robots.txt": "User-agent: *\n"}) as srv:
        status, _, body = fetch(srv.base_url, "/list/")
        assert status == 200 and f'href="{srv.base_url}/offre-emploi/x-reference-2026-1/"' in body
        assert fetch(srv.base_url, "/robots.txt")[0] == 200
        assert fetch(srv.base_url, "/other/")[0] == 404


def test_empty_site():
    with ReplicaServer(ReplicaSite([])) as srv:
        status, _, body = fetch(srv.base_url, LISTING_PATH)
        page = soup(body)
        assert status == 200 and not page.select("div.fr-card--offer")
        assert page.select_one("a.fr-pagination__link--next") is None


def test_dates_before_fixed_now():
    offers = generate_offers(100, seed=1)
    assert all(date(2026, 8, 1) <= o.published <= o.modified <= date(2026, 10, 6) for o in offers)
