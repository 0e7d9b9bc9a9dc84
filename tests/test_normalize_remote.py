import pytest

from pipeline.normalize import normalize_remote


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Télétravail possible : Oui", True),
        ("Télétravail possible : Non", False),
        ("Télétravail possible: oui", True),
        ("Télétravail : Oui", True),
        ("Télétravail : Non", False),
        ("27 BOULEVARD DE STALINGRAD 92240 MALAKOFF (télétravail possible)", True),
        ("Paris (Télétravail possible)", True),
        ("Oui", True),
        ("Non", False),
        ("oui, 2 jours par semaine", True),
        ("Pas de télétravail", False),
        ("Non renseigné", None),
        ("Paris", None),
        ("", None),
        (None, None),
    ],
)
def test_remote(value, expected):
    assert normalize_remote(value) == {"remote": expected}
