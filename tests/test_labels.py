"""Display labels from data/labels/labels.json."""
import json

from pipeline.classify import TAXONOMY_DIR
from pipeline.labels import (category_label, contract_label, family_label, labels_version, location_display,
                             page_order, versant_label)


def test_every_family_of_the_taxonomy_has_a_label():
    families = json.loads((TAXONOMY_DIR / "taxonomy.json").read_text(encoding="utf-8"))["families"]
    assert all(family_label(f) for f in families)
    assert family_label("donnees") == "Données / Datascience / Open data"
    assert family_label(None) is None and family_label("inconnue") is None


def test_category_versant_contract_labels():
    assert category_label("A") == "Cadre/Catégorie A"
    assert category_label("A+") == "Cadre supérieur/Catégorie A+"
    assert versant_label("etat") == "Fonction publique de l'État"
    assert contract_label("contractuels") == "Ouvert aux contractuels"
    assert category_label(None) is None and labels_version()


def test_location_display():
    assert location_display({"city": "Malakoff", "department_code": "92"}) == "Malakoff (92)"
    assert location_display({"department": "Hauts-de-Seine", "department_code": "92"}) == "Hauts-de-Seine (92)"
    assert location_display({"region": "Île-de-France"}) == "Île-de-France"
    assert location_display({}) is None
    papeete = {"city": "Papeete", "department_code": None, "territory_code": "987", "territory": "Polynésie française"}
    assert location_display(papeete) == "Papeete (987)"
    assert location_display({**papeete, "city": None}) == "Polynésie française (987)"


def test_page_order_is_the_seed_pages_order():
    assert page_order()[:2] == ["Données / Datascience / Open data", "Design"]
