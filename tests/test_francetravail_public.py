"""The public-employer filter of France Travail offers (parsers.francetravail_public)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from parsers.francetravail_public import board_references, public_employer, public_name

SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "francetravail" / "francetravail-offre-2024-11.json")
                    .read_text(encoding="utf-8"))


def offer(name: str | None = None, naf: str | None = None, sector: str | None = None, **changes) -> dict:
    o = copy.deepcopy(SAMPLE)
    o["entreprise"] = {"nom": name} if name else {}
    for key, value in (("codeNAF", naf), ("secteurActivite", sector)):
        if value is None:
            o.pop(key, None)
        else:
            o[key] = value
    o.update(changes)
    return o


def test_naf_84_kept_private_same_rome_dropped():
    public = offer("DIRECTION INTERMINISTERIELLE DU NUMERIQUE", "84.11Z", "84")
    private = offer("ARTIALYS", "62.02A", "62")
    assert public["romeCode"] == private["romeCode"] == "M1811"
    assert public_employer(public).as_dict() == {"public": True, "rule": "naf_84",
                                                 "reason": "NAF 84.11Z: public administration"}
    verdict = public_employer(private)
    assert not verdict.public and verdict.rule is None
    assert verdict.reason == "no public-employer rule matched (NAF 62.02A, employer 'ARTIALYS')"


def test_sector_84_without_naf_code():
    assert public_employer(offer("SDIS DU NORD", None, "84")).rule == "naf_84"


@pytest.mark.parametrize("name, naf, rule", [
    ("CENTRE HOSPITALIER DE LA ROCHELLE", "86.10Z", "naf_public_name"),
    ("CHU DE NANTES", "86.10Z", "naf_public_name"),
    ("UNIVERSITE DE BORDEAUX", "85.42Z", "naf_public_name"),
    ("CCAS DE LILLE", "88.99B", "naf_public_name"),
    ("MAIRIE DE BAGNEUX", None, "employer_name"),
    ("COMMUNAUTE DE COMMUNES DU PAYS DE GEX", "70.10Z", "employer_name"),
    ("Conseil départemental de la Gironde", None, "employer_name"),
    ("MINISTÈRE DE LA CULTURE", None, "employer_name"),
    ("S.D.I.S. 13", None, "employer_name"),
])
def test_public_names(name, naf, rule):
    assert public_employer(offer(name, naf)).rule == rule


@pytest.mark.parametrize("name, naf", [
    ("CLINIQUE SAINT JEAN", "86.10Z"),          # a hospital's NAF code, a private name
    ("CENTRE HOSPITALIER PRIVE DE L'EUROPE", "86.10Z"),
    ("VILLENEUVE AUTOMOBILES", "45.11Z"),       # 'ville' inside a word
    ("PAYS DE LOIRE INTERIM", "78.20Z"),
    ("COMMUNE IMAGE SAS", "73.11Z"),
    ("UNIVERSITE DU VIN SARL", "85.59A"),
    (None, "62.01Z"),
])
def test_private_names_dropped(name, naf):
    assert public_employer(offer(name, naf)).public is False


def test_board_reference_decides_last():
    relayed = offer(None, None, description="Poste de développeur.\nRéférence : 2026-2190321")
    verdict = public_employer(relayed)
    assert verdict.rule == "board_reference" and "2026-2190321" in verdict.reason
    territorial = offer(None, None, origineOffre={"origine": "2", "urlOrigine":
                                                  "https://www.emploi-territorial.fr/offre/o056261001001569-developpeur"})
    assert public_employer(territorial).rule == "board_reference"
    assert board_references(territorial) == ["https://www.emploi-territorial.fr/offre/o056261001001569-developpeur"]
    # NAF 84 is checked first: the rule recorded is the strongest
    assert public_employer(offer("MAIRIE DE PARIS", "84.11Z", description="Réf. 2026-2190321")).rule == "naf_84"


def test_words_that_are_not_references():
    text = offer(None, "62.01Z", description="Référence client 2023 : 150 projets. Code 75008.")
    assert board_references(text) == [] and public_employer(text).public is False


def test_public_name_kinds():
    assert public_name("MAIRIE DE SAINT-OUEN") == "commune"
    assert public_name("Centre Hospitalier de Dax") == "hopital"
    assert public_name("") is None and public_name(None) is None
