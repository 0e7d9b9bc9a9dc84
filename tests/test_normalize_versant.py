import pytest

from pipeline.normalize import normalize_versant


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Fonction Publique de l'Etat", "etat"),
        ("Fonction publique de l'État", "etat"),
        ("Fonction publique de l’État", "etat"),
        ("Fonction Publique d'Etat", "etat"),
        ("FPE", "etat"),
        ("État", "etat"),
        ("FPT", "territoriale"),
        ("Fonction publique Territoriale", "territoriale"),
        ("Fonction Publique Territoriale", "territoriale"),
        ("FPH", "hospitaliere"),
        ("Fonction Publique Hospitalière", "hospitaliere"),
        ("fonction publique hospitaliere", "hospitaliere"),
        ("Fonction Publique", None),
        ("Apprentissage et Stage", None),
        ("", None),
        (None, None),
    ],
)
def test_versant(value, expected):
    assert normalize_versant(value) == {"versant": expected}
