from pathlib import Path

import pytest

from pipeline.normalize import normalize_reference, reference_from_url

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-656136", "2021-656136"),
        ("2026-2357158", "2026-2357158"),
        ("MEF_2026-32366", "MEF_2026-32366"),
        ("DEF_15-00064919", "DEF_15-00064919"),
        ("MINT_BS069GNC-115550", "MINT_BS069GNC-115550"),
        ("MINT_SIDSIC 95-18401", "MINT_SIDSIC 95-18401"),
        ("MINT_SIDSIC  95-18401", "MINT_SIDSIC 95-18401"),
        ("MINT_973ATK0004-23885", "MINT_973ATK0004-23885"),
        ("O056261001001569", "O056261001001569"),
        ("o056261001001569", "O056261001001569"),
        ("o09261-201633", "O09261-201633"),
        ("o06944-202103006057", "O06944-202103006057"),
        ("UMR6613-SANCHA-040", "UMR6613-SANCHA-040"),
        ("DGAC-AVE-127504-CAT-A", "DGAC-AVE-127504-CAT-A"),
        ("  DEF_15-00064919 ", "DEF_15-00064919"),
        ("Référence : DEF_15-00064919", "DEF_15-00064919"),
        ("Réf. 2021-656136", "2021-656136"),
        ("DEF_14-00069057 - CHARGE DE MISSION TRANSFORMATION NUMERIQUE", "DEF_14-00069057"),
        ("2026-2357158 - Développeur (H/F)", "2026-2357158"),
        ("", None),
        (None, None),
        ("Vacant", None),
        ("CHARGE DE MISSION", None),
    ],
)
def test_reference_shapes(value, expected):
    assert normalize_reference(value) == {"reference": expected}


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/",
         "DEF_15-00064919"),
        ("https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-hf---conseil-dpartemental-du-morbihan-reference-O056261001001569/",
         "O056261001001569"),
        ("https://choisirleservicepublic.gouv.fr/offre-emploi/2026-2357158/", "2026-2357158"),
        ("https://choisirleservicepublic.gouv.fr/offre-emploi/DEF_15-00064919/", "DEF_15-00064919"),
        ("https://place-emploi-public.gouv.fr/offre-emploi/2020-454766", "2020-454766"),
        ("https://place-emploi-public.gouv.fr/offre-emploi/x-reference-MINT_SIDSIC%2095-18401/", "MINT_SIDSIC 95-18401"),
        ("https://place-emploi-public.gouv.fr/offre-emploi/ingenieur-reference-UMR6613-SANCHA-040/", "UMR6613-SANCHA-040"),
        ("https://www.emploi-territorial.fr/offre/o064260305001172-asvp", "O064260305001172"),
        ("https://www.emploi-territorial.fr/offre/o095260116001157-responsable-pole-achats-negociation-h", "O095260116001157"),
        ("https://choisirleservicepublic.gouv.fr/nos-offres/filtres/domaine/3522/", None),
        ("", None),
        (None, None),
    ],
)
def test_reference_from_url(url, expected):
    assert reference_from_url(url) == expected


def test_url_given_as_the_field_value():
    url = "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-MEF_2026-32366/"
    assert normalize_reference(url) == {"reference": "MEF_2026-32366"}


def test_case_is_kept_except_territorial_prefix():
    assert normalize_reference("UMR6613-SANCHA-040")["reference"] == "UMR6613-SANCHA-040"
    assert normalize_reference("o056261001001569")["reference"] == normalize_reference("O056261001001569")["reference"]


def test_every_sample_reference_is_recognised_by_a_known_shape():
    from pipeline.normalize.reference import match_reference

    refs = (FIXTURES / "references.txt").read_text(encoding="utf-8").split("\n")
    refs = [r for r in refs if r.strip()]
    assert len(refs) > 700
    assert [r for r in refs if match_reference(r) is None] == []
