"""pipeline.normalize.salary: the text as written, the period checked against the amounts."""
from __future__ import annotations

import pytest

from pipeline.normalize.salary import normalize_salary


@pytest.mark.parametrize("text, low, high, period, note", [
    ("Mensuel de 40000.0 Euros à 50000.0 Euros sur 12.0 mois", 40000, 50000, "year", "labelled monthly, but the amounts are annual"),
    ("Mensuel de 28000.0 Euros à 40000.0 Euros sur 12.0 mois", 28000, 40000, "year", "labelled monthly, but the amounts are annual"),
    ("Annuel de 36000.0 Euros à 45000.0 Euros sur 12.0 mois", 36000, 45000, "year", None),
    ("Mensuel de 2100.0 Euros à 2800.0 Euros sur 12.0 mois", 2100, 2800, "month", None),
    ("Annuel de 2500 Euros", 2500, 2500, "month", "labelled annual, but the amounts are monthly"),
    ("Horaire de 11.65 Euros", 11.65, 11.65, "hour", None),
    ("Fourchette indicative : 45 000 € - 55 000 € brut annuel", 45000, 55000, "year", None),
    ("Entre 38k€ et 45k€", 38000, 45000, "year", "period not written, read from the amounts"),
])
def test_amounts_and_period(text, low, high, period, note):
    result = normalize_salary(text)
    assert result == {"salary": text, "salary_min": low, "salary_max": high, "salary_period": period, "salary_note": note}


def test_unknown_stays_unknown():
    assert normalize_salary("Selon grille indiciaire")["salary_period"] is None
    assert normalize_salary("Horaire de 4000 Euros")["salary_period"] is None  # implausible: not guessed
    assert normalize_salary("8000 euros")["salary_period"] is None  # a month or a year? nothing says
    assert normalize_salary("2000 euros")["salary_period"] == "month"  # 2,000 a year is no salary
    assert normalize_salary(None)["salary"] is None
