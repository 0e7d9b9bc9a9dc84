from datetime import datetime, timezone

import pytest

from pipeline.normalize import normalize_date
from pipeline.normalize import dates as dates_module

NOW = datetime(2026, 10, 6, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("05/04/2023", "2023-04-05"),
        ("5/4/2023", "2023-04-05"),
        ("27/08/2021 15:21:26", "2021-08-27"),
        ("04/01/2021 15:08", "2021-01-04"),
        ("En ligne depuis le 02 octobre 2026", "2026-10-02"),
        ("En ligne depuis le 31 août 2026", "2026-08-31"),
        ("Publiée le 05/04/2023", "2023-04-05"),
        ("Date limite de candidature : 15/04/2026", "2026-04-15"),
        ("Vacant à partir du 01/10/2026", "2026-10-01"),
        ("2026-10-05", "2026-10-05"),
        ("2026-10-05T06:01:02.808000+00:00", "2026-10-05"),
        ("le 1er mars 2026", "2026-03-01"),
        ("mardi 3 mars 2026", "2026-03-03"),
        ("3 févr. 2026", "2026-02-03"),
        ("31/02/2026", None),
        ("Dès que possible", None),
        ("Vacant", None),
        ("Susceptible d'être vacant", None),
        ("Non renseigné", None),
        ("", None),
        (None, None),
    ],
)
def test_absolute_dates(value, expected):
    assert normalize_date(value, NOW) == {"date": expected, "end": None}


def test_range_gives_start_and_end():
    assert normalize_date("du 14/08/2026 au 13/09/2026") == {"date": "2026-08-14", "end": "2026-09-13"}


@pytest.mark.parametrize("value", ["31/12/2099", "31/12/2090", "2099-12-31"])
def test_year_2090_or_later_means_no_end(value):
    assert normalize_date(value)["date"] is None


def test_range_with_no_end():
    assert normalize_date("du 14/08/2026 au 31/12/2099") == {"date": "2026-08-14", "end": None}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("il y a 3 jours", "2026-10-03"),
        ("Il y a 1 jour", "2026-10-05"),
        ("il y a 2 semaines", "2026-09-22"),
        ("il y a une heure", "2026-10-06"),
        ("hier", "2026-10-05"),
        ("Aujourd'hui", "2026-10-06"),
    ],
)
def test_relative_dates_use_injected_now(value, expected):
    assert normalize_date(value, NOW)["date"] == expected


def test_relative_date_without_now_is_none():
    assert normalize_date("il y a 3 jours") == {"date": None, "end": None}
    assert normalize_date("hier", None)["date"] is None


def test_fast_path_does_not_call_dateparser(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("dateparser called")

    monkeypatch.setattr(dates_module, "_fallback", boom)
    dates_module._normalize.cache_clear()
    for value in ["05/04/2023", "27/08/2021 15:21:26", "En ligne depuis le 02 octobre 2026", "2026-10-05", "Vacant", "Dès que possible"]:
        normalize_date(value, NOW)


def test_fallback_uses_dateparser_for_unusual_shapes():
    dates_module._normalize.cache_clear()
    assert normalize_date("05.04.23", NOW)["date"] == "2023-04-05"


@pytest.mark.parametrize("junk", ["Vacant", "Temps complet", "A", "Poste 12", "Oui", "Non"])
def test_fallback_rejects_junk(junk):
    dates_module._normalize.cache_clear()
    assert normalize_date(junk, NOW)["date"] is None
