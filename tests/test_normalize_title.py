from pathlib import Path

import pytest

from pipeline.normalize import normalize_title
from pipeline.normalize.title import GENDER_MARKER, title_key

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Développeur H/F", "Développeur"),
        ("Développeur F/H", "Développeur"),
        ("Développeur (H/F)", "Développeur"),
        ("Développeur (h/f)", "Développeur"),
        ("Développeur H-F", "Développeur"),
        ("Développeur (F-H)", "Développeur"),
        ("Développeur (h/f/x)", "Développeur"),
        ("Développeur H / F", "Développeur"),
        ("Chargé de projet Système d'information Ressources Humaines (F/H) H/F",
         "Chargé de projet Système d'information Ressources Humaines"),
        ("CHARGE DE MISSION PERSONNELS MEDICAUX HOSPITALIERS (H/F) H/F", "CHARGE DE MISSION PERSONNELS MEDICAUX HOSPITALIERS"),
        ("Chargé de recrutement et formation - H/F - Mairie de TRAPPES", "Chargé de recrutement et formation - Mairie de TRAPPES"),
        ("ARCHIVISTE - F/H", "ARCHIVISTE"),
        ("Assistant de gestion administrative(F/H) GIP FCIP de l'académie de Paris",
         "Assistant de gestion administrative GIP FCIP de l'académie de Paris"),
        ("DAJ A4 - Consultant juridique H-F", "DAJ A4 - Consultant juridique"),
        ("Adjoint(e) au chef de mission «\xa0accès au logement, chef de cellule Nord et Sud - H/F H/F",
         "Adjoint(e) au chef de mission « accès au logement, chef de cellule Nord et Sud"),
    ],
)
def test_gender_markers_removed(raw, expected):
    assert normalize_title(raw)["title"] == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Chef de projet &amp;amp; data", "Chef de projet & data"),
        ("Chef de projet &amp; data", "Chef de projet & data"),
        ("Chargé d&#39;études", "Chargé d'études"),
        ("  Chef   de\n projet  ", "Chef de projet"),
    ],
)
def test_entities_and_whitespace(raw, expected):
    assert normalize_title(raw)["title"] == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Spécialiste intermédiation applicative (réf.SDN1) F/H", "Spécialiste intermédiation applicative"),
        ("Gestionnaire d'Infrastructures F/H (réf.2623)", "Gestionnaire d'Infrastructures"),
        ("2026-8271 Développeur full stack", "Développeur full stack"),
        ("Conseiller en organisation (h/f) - Réf : 21-0019EP", "Conseiller en organisation"),
        ("Contrôleur comptable règlementaire - 1-0001853 -", "Contrôleur comptable règlementaire"),
        ("Conseiller.ère d'orientation - Offre 2507", "Conseiller.ère d'orientation"),
        ("SIMMT - site de Nouatre // TECHNICIEN H/F", "SIMMT - site de Nouatre // TECHNICIEN"),
        ("Chef de bureau (MDU)", "Chef de bureau (MDU)"),
    ],
)
def test_internal_codes_dropped(raw, expected):
    assert normalize_title(raw)["title"] == expected


@pytest.mark.parametrize(
    "raw, title, positions",
    [
        ("Développeur (10 postes)", "Développeur", 10),
        ("GESTIONNAIRE/SECRETAIRE CD CHATEAUDUN (2 postes)", "GESTIONNAIRE/SECRETAIRE CD CHATEAUDUN", 2),
        ("Chargé(e) de l'instruction des demandes de CNI - 2 POSTES H/F", "Chargé(e) de l'instruction des demandes de CNI", 2),
        ("Gestionnaires des diplômes et des formations - 4 postes", "Gestionnaires des diplômes et des formations", 4),
        ("Développeur (1 poste)", "Développeur", 1),
        ("Développeur", "Développeur", None),
    ],
)
def test_positions(raw, title, positions):
    result = normalize_title(raw)
    assert (result["title"], result["positions"]) == (title, positions)


@pytest.mark.parametrize(
    "forms",
    [
        ["Chef.fe", "Chef(fe)", "Chef-fe", "Chef·fe", "Chef/fe", "Cheffe", "Chef", "CHEF", "Chef (fe)", "Cheffe/Chef", "Chef / Cheffe"],
        ["Chargé·e", "Chargé(e)", "Chargé-e", "Chargé.e", "Chargée", "Chargé", "CHARGE", "Chargé. e", "Chargée / Chargé"],
        ["Ingénieur-e", "Ingénieur(e)", "Ingénieure", "Ingénieur"],
        ["Technicien(ne)", "Technicien.ne", "Technicienne", "Technicien"],
        ["Directeur(trice)", "Directrice", "Directeur", "Directeur.trice", "Directrice / Directeur"],
        ["Rédacteur.trice", "Rédactrice ou Rédacteur", "Rédacteur", "Rédactrice"],
        ["INFIRMIER.ÈRE", "Infirmière", "Infirmier", "infirmier(ère)"],
        ["Magasinière / Magasinier", "Magasinier", "Magasinier/Magasinière"],
        ["Coordinateur.trice pédagogique", "Coordinateur (trice) pédagogique", "Coordinatrice pédagogique"],
        ["Adjoint/e technique polyvalent/e", "Adjoint technique polyvalent", "Adjointe technique polyvalente"],
    ],
)
def test_title_key_folds_inclusive_forms(forms):
    keys = {normalize_title(f)["title_key"] for f in forms}
    assert len(keys) == 1, keys


def test_title_key_examples():
    assert title_key("Chef.fe de projet numérique H/F") == "chef de projet numerique"
    assert title_key("Chargé·e de développement informatique") == "charge de developpement informatique"
    assert normalize_title("Une chargée ou un chargé de recrutement")["title_key"] == "charge de recrutement"


def test_display_title_keeps_inclusive_form():
    assert normalize_title("Chef·fe de projet H/F")["title"] == "Chef·fe de projet"
    assert normalize_title("Rédacteur.trice (F/H)")["title"] == "Rédacteur.trice"


def test_distinct_titles_keep_distinct_keys():
    assert title_key("Chef de projet") != title_key("Chef de bureau")
    assert title_key("Développeur") != title_key("Développeuse web")


def test_empty_values():
    assert normalize_title(None) == {"title": None, "title_key": None, "positions": None}
    assert normalize_title("  ")["title"] is None
    assert normalize_title("H/F")["title"] is None


def test_no_gender_marker_left_in_any_sample_title():
    titles = (FIXTURES / "titles.txt").read_text(encoding="utf-8").splitlines()
    assert len(titles) > 700
    left = [t for t in titles if GENDER_MARKER.search(normalize_title(t)["title"] or "")]
    assert left == []
    assert all(normalize_title(t)["title"] for t in titles)


def test_marker_regex_does_not_eat_words():
    for title in ["Chef-fe de bureau", "Assistante / Assistant", "HF radio", "Responsable F&H", "Gestionnaire RH/Finances"]:
        assert normalize_title(title)["title"] == title
