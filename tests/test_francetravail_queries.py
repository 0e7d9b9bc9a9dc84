"""Query planning of the France Travail spider: ranges, splits over the cap, ROME codes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from replica.francetravail_data import METIERS
from spiders.francetravail import digital_rome_codes
from spiders.francetravail_queries import EARLIEST, Query, date_parts, departments, ranges, split_parts

NOW = datetime(2026, 11, 20, 6, 0, 0, 500000, tzinfo=timezone.utc)


def test_ranges_stop_at_the_total_and_the_cap():
    assert ranges(353, 1150) == [(150, 299, 0), (300, 352, 0)]
    assert ranges(150, 1150) == []
    # the API refuses a first index over 1000: the last page starts there, 50 offers repeated
    assert ranges(1100, 1150)[-2:] == [(900, 1049, 0), (1000, 1099, 50)]
    assert ranges(1150, 1150)[-1] == (1000, 1149, 50) and ranges(5000, 1150)[-1] == (1000, 1149, 50)
    assert ranges(3150, 3150)[-1] == (3000, 3149, 0)


def test_split_by_department_groups_then_single_then_dates():
    root = Query(1, ("M1805",))
    how, parts = split_parts(root, NOW)
    assert how == "departement" and all(len(p["departments"]) <= 5 for p in parts)
    assert sorted(d for p in parts for d in p["departments"]) == sorted(departments())
    assert "2A" in departments() and "971" in departments() and len(departments()) >= 101
    group = Query(2, ("M1805",), departments=("75", "77", "78", "91", "92"))
    how, parts = split_parts(group, NOW)
    assert how == "departement" and [p["departments"] for p in parts] == [("75",), ("77",), ("78",), ("91",), ("92",)]
    single = Query(3, ("M1805",), departments=("75",))
    how, parts = split_parts(single, NOW)
    assert how == "date"
    (low, middle), (middle2, high) = parts[0]["window"], parts[1]["window"]
    assert low == EARLIEST and high > NOW and middle == middle2  # the middle second in both halves
    assert all(p["departments"] == ("75",) for p in parts)


def test_date_windows_halve_down_to_two_seconds():
    query = Query(4, ("M1805",), window=(NOW.replace(microsecond=0), NOW.replace(microsecond=0) + timedelta(seconds=2)))
    assert date_parts(query, NOW) is not None
    query.window = (query.window[0], query.window[0] + timedelta(seconds=1))
    assert date_parts(query, NOW) is None  # cannot be split further: the crawl says truncated


def test_params_and_labels():
    query = Query(5, ("M1805", "M1811"), departments=("2A",),
                  window=(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 31, 23, 59, 59, tzinfo=timezone.utc)))
    assert query.params() == {"codeROME": "M1805,M1811", "departement": "2A",
                              "minCreationDate": "2026-01-01T00:00:00Z", "maxCreationDate": "2026-01-31T23:59:59Z"}
    assert "départements 2A" in query.describe()


def test_digital_rome_codes_from_the_referential():
    codes = digital_rome_codes([{"code": c, "libelle": label} for c, label in METIERS] + [{"code": "bad"}, "x"])
    assert codes == ["M1801", "M1802", "M1803", "M1805", "M1806", "M1810", "M1811"]
    # a renamed or new code outside M18 is taken when its label is digital
    assert digital_rome_codes([{"code": "E1205", "libelle": "Développeur web"}]) == ["E1205"]
    assert digital_rome_codes([{"code": "J1506", "libelle": "Soins infirmiers généralistes"}]) == []
