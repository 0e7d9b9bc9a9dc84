"""Salary: the text as written, plus amounts and a period checked against the amounts.

France Travail writes "Mensuel de 40000.0 Euros à 50000.0 Euros sur 12.0 mois": annual
amounts under a monthly label. The period word alone is never trusted: an amount that
cannot be a monthly salary (over 15,000 euros) under "Mensuel" is read as annual, an
"Annuel" amount under 6,000 euros as monthly, and an hourly one over 300 euros stays
unknown. Unknown is None, never a guess.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import clean, fold

PERIOD_WORDS = (("mensuel", "month"), ("annuel", "year"), ("horaire", "hour"), ("par mois", "month"),
                ("par an", "year"), ("brut annuel", "year"), ("/mois", "month"), ("/an", "year"),
                ("de l'heure", "hour"), ("/h", "hour"))
# Plausible amounts for each period, euros (gross): outside, the label is not believed.
PLAUSIBLE = {"month": (400.0, 15000.0), "year": (6000.0, 250000.0), "hour": (5.0, 300.0)}
_AMOUNT = re.compile(r"(\d{1,3}(?:[ \u202f\u00a0]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*(?:k\s*)?(?:euros?|eur|€)", re.I)
_K = re.compile(r"(\d+(?:[.,]\d+)?)\s*k\s*(?:euros?|eur|€)", re.I)
KEYS = ("salary", "salary_min", "salary_max", "salary_period", "salary_note")


def _amounts(text: str) -> list[float]:
    values = [float(m.group(1).replace(",", ".")) * 1000 for m in _K.finditer(text)]
    for m in _AMOUNT.finditer(_K.sub(" ", text)):
        whole = re.sub(r"[ \u202f\u00a0]", "", m.group(1))
        values.append(float(f"{whole}.{m.group(2) or 0}"))
    return values


def _written_period(folded: str) -> str | None:
    return next((period for word, period in PERIOD_WORDS if word in folded), None)


def _fits(period: str, low: float, high: float) -> bool:
    floor, ceiling = PLAUSIBLE[period]
    return floor <= low and high <= ceiling


def normalize_salary(value: str | None) -> dict:
    """{"salary" (as written), "salary_min", "salary_max", "salary_period" (month|year|hour|None), "salary_note"}."""
    return dict(_normalize_salary(value))


@lru_cache(maxsize=4096)
def _normalize_salary(value: str | None) -> dict:
    text = clean(value)
    out = dict.fromkeys(KEYS)
    if text is None:
        return out
    out["salary"] = text
    amounts = _amounts(text)
    if not amounts:
        return out
    low, high = min(amounts[:2]), max(amounts[:2])
    out["salary_min"], out["salary_max"] = low, high
    written = _written_period(fold(text))
    if written and _fits(written, low, high):
        out["salary_period"] = written
    elif written == "month" and _fits("year", low, high):
        out["salary_period"] = "year"
        out["salary_note"] = "labelled monthly, but the amounts are annual"
    elif written == "year" and _fits("month", low, high):
        out["salary_period"] = "month"
        out["salary_note"] = "labelled annual, but the amounts are monthly"
    elif written:
        out["salary_note"] = f"amounts implausible for the written period ({written}): period unknown"
    else:
        fitting = [p for p in ("month", "year") if _fits(p, low, high)]
        if len(fitting) == 1:
            out["salary_period"] = fitting[0]
            out["salary_note"] = "period not written, read from the amounts"
    return out
