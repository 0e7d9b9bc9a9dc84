import json
from pathlib import Path

import pytest

from pipeline.normalize import normalize_contract

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
BOTH = "titulaires_et_contractuels"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Emploi ouvert aux titulaires et aux contractuels", BOTH),
        ("Emploi ouvert aux titulaires et/ou aux contractuels", BOTH),
        ("Emploi ouvert uniquement aux contractuels", "contractuels"),
        ("Emploi ouvert aux contractuels", "contractuels"),
        ("Emploi réservé aux fonctionnaires et lauréats d'un concours territorial", "titulaires"),
        ("Ouvert aux contractuels : Oui (art. L332-8 2° du CGFP)", BOTH),
        ("Ouvert aux contractuels : Non", "titulaires"),
        ("Oui ( Art. L332-23 disposition 1 du code général de la fonction publique ) Seul un contractuel peut être "
         "recruté sur ce poste car il s'agit d'un accroissement temporaire d'activité.", "contractuels"),
        ("Oui, à titre dérogatoire par rapport aux candidatures de fonctionnaires ( Art. L332-8 disposition 2 du code "
         "général de la fonction publique ) Un contractuel peut être recruté sur ce poste", BOTH),
        ("Oui ( Art. L332-14 du code général de la fonction publique )", BOTH),
        ("Oui ( Vacation ) Un vacataire effectue une tâche précise et ponctuelle", "contractuels"),
        ("Poste à pourvoir prioritairement par voie statutaire Il est possible de recruter sur ce poste une personne "
         "qui n'est pas lauréate d'un concours", "titulaires"),
        ("Non", "titulaires"),
        ("Oui", BOTH),
        ("Non renseigné", None),
        ("Vacant", None),
        ("", None),
        (None, None),
    ],
)
def test_contract(value, expected):
    assert normalize_contract(value) == {"contract": expected}


def test_every_emploi_territorial_sample_resolves():
    offers = json.loads((FIXTURES / "emploi-territorial-2026.json").read_text(encoding="utf-8"))
    assert all(normalize_contract(o["contractuels"])["contract"] for o in offers)
