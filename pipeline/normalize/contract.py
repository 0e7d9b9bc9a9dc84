"""Who may apply: titulaires_et_contractuels, contractuels, titulaires.

Table of (pattern on the folded value, answer), the first match wins. emploi-territorial's
"contractuels" field: "Non" -> titulaires; "Oui (...) Seul un contractuel peut..." or a
vacation -> contractuels; any other "Oui (...)" -> titulaires_et_contractuels; "Poste à
pourvoir prioritairement par voie statutaire" (direct entry as fonctionnaire) -> titulaires.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import first_rule

BOTH = "titulaires_et_contractuels"
CONTRACT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"titulaires?\s+(?:et|ou|et/ou)\s+(?:aux\s+)?contractuels?|fonctionnaires?\s+(?:et|ou|et/ou)\s+(?:aux\s+)?contractuels?"), BOTH),
    (re.compile(r"contractuels?\s+(?:et|ou|et/ou)\s+(?:aux\s+)?(?:titulaires|fonctionnaires)"), BOTH),
    (re.compile(r"uniquement aux contractuels|reserve aux contractuels|seul un contractuel|\(\s*vacation\s*\)|^vacation"), "contractuels"),
    (re.compile(r"ouvert aux contractuels\s*:\s*non"), "titulaires"),
    (re.compile(r"ouvert aux contractuels\s*:\s*oui"), BOTH),
    (re.compile(r"(?:emploi|poste) ouvert aux contractuels|^contractuels?$"), "contractuels"),
    (re.compile(r"reserve aux (?:fonctionnaires|titulaires)|uniquement aux (?:fonctionnaires|titulaires)|laureats? d'un concours|par voie statutaire|^titulaires?$|^fonctionnaires?$"), "titulaires"),
    (re.compile(r"^non\b(?!\s+renseign)"), "titulaires"),
    (re.compile(r"^oui\b"), BOTH),
    # France Travail: an employment contract (CDD, CDI) is a contract post, never a civil servant's appointment.
    (re.compile(r"^(?:cdd|cdi)\b|^contrat a duree (?:determinee|indeterminee)\b|\(contrat travail\)$"), "contractuels"),
)


def normalize_contract(value: str | None) -> dict:
    """Return {"contract": "titulaires_et_contractuels"|"contractuels"|"titulaires"|None}."""
    return dict(_normalize_contract(value))


@lru_cache(maxsize=4096)
def _normalize_contract(value: str | None) -> dict:
    return {"contract": first_rule(value, CONTRACT_RULES)}
