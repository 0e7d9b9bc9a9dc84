"""Readable case of names written in capitals (pipeline/normalize/case.py)."""
from __future__ import annotations

import pytest

from pipeline.normalize.case import readable_case


@pytest.mark.parametrize("text, expected", [
    ("CONSEIL DEPARTEMENTAL DE LA VENDEE", "Conseil départemental de la Vendée"),  # the real RSS item
    ("MAIRIE DE LA ROCHE-SUR-YON", "Mairie de La Roche-sur-Yon"),
    ("CENTRE DE GESTION DE LA FPT DE L'OISE", "Centre de gestion de la FPT de l'Oise"),
    ("CCAS DE GRENOBLE", "CCAS de Grenoble"),
    ("COMMUNAUTE D'AGGLOMERATION DU COTENTIN", "Communauté d'agglomération du cotentin"),
    ("VILLE DE SAINT-MARTIN-D'HERES", "Ville de Saint-Martin-d'Hères"),
    ("REGION AUVERGNE-RHONE-ALPES", "Région Auvergne-Rhône-Alpes"),
    ("CONSEIL DÉPARTEMENTAL DU MORBIHAN", "Conseil départemental du Morbihan"),  # accents kept
])
def test_all_caps_become_readable(text, expected):
    assert readable_case(text) == expected


@pytest.mark.parametrize("text", ["Mairie de Montbonnot-St-Martin", "Ville de cherbourg-en-cotentin", "DINUM",
                                  "SDIS 85", "", None])
def test_other_texts_unchanged(text):
    assert readable_case(text) == text
