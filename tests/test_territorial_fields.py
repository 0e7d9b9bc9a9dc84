"""Territorial offers of CSP: the title suffix is an employer only when it names one; the board's grade wording."""
from __future__ import annotations

from datetime import date

import pytest

from parsers.csp import grades_from, parse_offer
from pipeline.normalize.category import parse_grades
from pipeline.normalize.employer import names_employer, normalize_employer
from pipeline.normalize.posting import normalize_posting
from replica import NOW, generate_offers
from replica import pages

BASE = "http://127.0.0.1:1"
BOARD_WORDING = ("<p>Poste ouvert(s) sur le(s) grade(s) suivant(s) de la Fonction Publique Territoriale : "
                 "Rédacteur, Rédacteur principal de 1ère classe, Rédacteur principal de 2ème classe</p>")


def test_board_grade_wording_gives_three_grades() -> None:
    grades = grades_from(BOARD_WORDING, territorial=True)
    assert parse_grades(grades) == ("Rédacteur", "Rédacteur principal de 1ère classe", "Rédacteur principal de 2ème classe")


@pytest.mark.parametrize("conditions,expected", [
    ("<p>Grade(s) recherché(s) : Attaché, Attaché principal<br>Poste ouvert aux contractuels</p>", ("Attaché", "Attaché principal")),
    ("<p>Ingénieur, Ingénieur principal</p>", ("Ingénieur", "Ingénieur principal")),
])
def test_other_grade_wordings_still_work(conditions: str, expected: tuple) -> None:
    assert parse_grades(grades_from(conditions, territorial=True)) == expected


@pytest.mark.parametrize("title,employer", [
    ("[DSI - Pôle Infrastructures]Technicien réseaux et télécoms (h/f)", None),
    ("Conseiller.ère numérique - Offre 2507", None),
    ("Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN", "CONSEIL DÉPARTEMENTAL DU MORBIHAN"),
    ("Agent d'accueil - Mairie de Lyon", "Mairie de Lyon"),
    ("Infirmier - Centre hospitalier de Pau", "Centre hospitalier de Pau"),
    ("Secrétaire - Communauté de communes du Pays de Gex", "Communauté de communes du Pays de Gex"),
])
def test_suffix_is_employer_only_when_it_names_one(title: str, employer: str | None) -> None:
    assert normalize_employer("Conseils départementaux", title)["employer"] == employer


def test_replica_territorial_offers_have_no_invented_values() -> None:
    offers = generate_offers(2000, seed=1, now=NOW)
    territorial = [o for o in offers if o.territorial]
    assert len(territorial) > 400
    bad_employer, broken_title, checked = [], [], 0
    for o in territorial:
        raw = parse_offer(pages.detail_page(o, BASE, []), BASE + o.path)
        rec = normalize_posting(raw, NOW)
        rec = rec if isinstance(rec, dict) else vars(rec)
        employer, title = rec.get("employer"), rec.get("title") or ""
        if employer is not None and not names_employer(employer):
            bad_employer.append((o.title, employer))
        if employer is not None and employer != o.real_employer:
            bad_employer.append((o.title, employer))
        if title.count("[") != title.count("]"):
            broken_title.append(o.title)
        checked += 1
    assert checked == len(territorial)
    assert bad_employer == []
    assert broken_title == []
