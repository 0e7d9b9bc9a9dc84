import json
from pathlib import Path

import pytest

from pipeline.normalize import normalize_category
from pipeline.normalize.category import grade_categories, grade_category, grade_table, parse_grades

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Catégorie A+ (Encadrement supérieur)", "A+"),
        ("Cadre supérieur/Catégorie A+", "A+"),
        ("Catégorie A (cadre)", "A"),
        ("Cadre/Catégorie A", "A"),
        ("A", "A"),
        ("A+", "A+"),
        ("B", "B"),
        ("cat. B", "B"),
        ("Cat B", "B"),
        ("Emploi contractuel de cat. C", "C"),
        ("Catégorie B (profession intermédiaire)", "B"),
        ("Catégorie C (employé)", "C"),
        ("CATEGORIE C", "C"),
        ("Catégorie : A", "A"),
        ("", None),
        (None, None),
        ("Vacant", None),
        ("Catégorie A ou B", None),
    ],
)
def test_category_spellings(value, expected):
    result = normalize_category(value)
    assert (result["category"], result["grades"]) == (expected, [])
    if expected:
        assert result["categories"] == [expected]


def test_grade_list_with_commas():
    result = normalize_category(None, "Rédacteur, Rédacteur principal de 1ère classe, Rédacteur principal de 2ème classe")
    assert result == {
        "category": "B",
        "grades": ["Rédacteur", "Rédacteur principal de 1ère classe", "Rédacteur principal de 2ème classe"],
        "categories": ["B"],
    }


@pytest.mark.parametrize(
    "grades, expected_grades, category",
    [
        ("Ingénieur Ingénieur principal", ["Ingénieur", "Ingénieur principal"], "A"),
        ("Adjoint technique Adjoint technique principal de 1ère classe Adjoint du patrimoine principal de 2ème classe",
         ["Adjoint technique", "Adjoint technique principal de 1ère classe", "Adjoint du patrimoine principal de 2ème classe"], "C"),
        ("Rédacteur principal de 2ème classe Rédacteur Rédacteur principal de 1ère classe",
         ["Rédacteur principal de 2ème classe", "Rédacteur", "Rédacteur principal de 1ère classe"], "B"),
        ("Puéricultrice Puéricultrice hors classe Infirmier en soins généraux Infirmier en soins généraux hors classe "
         "Educateur de jeunes enfants Educateur de jeunes enfants de classe exceptionnelle",
         ["Puéricultrice", "Puéricultrice hors classe", "Infirmier en soins généraux", "Infirmier en soins généraux hors classe",
          "Educateur de jeunes enfants", "Educateur de jeunes enfants de classe exceptionnelle"], "A"),
        ("Attaché de conservation du patrimoine", ["Attaché de conservation du patrimoine"], "A"),
        ("Prof. d'enseign. artist. cl. normale", ["Prof. d'enseign. artist. cl. normale"], "A"),
        ("ATSEM principal de 2ème classe ATSEM principal de 1ère classe Adjoint technique",
         ["ATSEM principal de 2ème classe", "ATSEM principal de 1ère classe", "Adjoint technique"], "C"),
    ],
)
def test_space_joined_grades_of_emploi_territorial(grades, expected_grades, category):
    result = normalize_category(None, grades)
    assert (result["category"], result["grades"]) == (category, expected_grades)


def test_mixed_categories_give_none_unless_the_value_says():
    grades = "Attaché Rédacteur principal de 2ème classe Rédacteur principal de 1ère classe"
    assert normalize_category(None, grades) == {
        "category": None,
        "grades": ["Attaché", "Rédacteur principal de 2ème classe", "Rédacteur principal de 1ère classe"],
        "categories": ["A", "B"],  # every category the grades allow: never one picked among them
    }
    assert normalize_category("Catégorie A ou B")["categories"] == ["A", "B"]
    assert normalize_category("Catégorie A (cadre)", grades)["category"] == "A"
    assert normalize_category(None, "Technicien Agent de maîtrise")["category"] is None


def test_explicit_category_wins_over_grades():
    assert normalize_category("Catégorie B", "Attaché")["category"] == "B"


def test_not_grades():
    assert normalize_category(None, "Vacataire") == {"category": None, "grades": [], "categories": []}
    assert normalize_category(None, "Emploi contractuel de cat. C") == {"category": "C", "grades": [], "categories": ["C"]}


@pytest.mark.parametrize(
    "grade, category",
    [
        ("Attaché", "A"), ("Attaché principal", "A"), ("Attaché hors classe", "A"), ("Rédacteur territorial", "B"),
        ("Adjoint administratif principal de 2ème classe", "C"), ("Ingénieur en chef", "A+"), ("Technicien-ne de recherche et de formation", "B"),
        ("Assistant-e ingénieur-e", "A"), ("Ingénieur-e d'études", "A"), ("Infirmière", "A"), ("Adjoint des cadres hospitaliers", "B"),
        ("Administrateur territorial", "A+"), ("Secrétaire administratif de classe normale", "B"), ("Agent de maîtrise principal", "C"),
        ("Aide-soignant", "B"), ("Directeur d'hôpital", "A+"), ("Chargé de mission", None),
    ],
)
def test_grade_table(grade, category):
    assert grade_category(grade) == category


def test_grade_table_loaded_from_csv():
    table = grade_table()
    assert len(table) > 60
    assert set(table.values()) == {"A+", "A", "B", "C"}


def test_every_emploi_territorial_sample_parses():
    offers = json.loads((FIXTURES / "emploi-territorial-2026.json").read_text(encoding="utf-8"))
    for offer in offers:
        grades = parse_grades(offer["grades"])
        known = grade_categories(offer["grades"])
        if offer["grades"] not in {"Vacataire", "Emploi contractuel de cat. C"}:
            assert grades and all(known.values()), offer["grades"]
