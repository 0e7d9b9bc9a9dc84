"""Crawl health: what makes a crawl too suspicious to close offers or export."""
from pipeline.health import CrawlSummary, assess, fill_rates

GOOD_RATES = {"employer": 1.0, "location": 1.0, "versant": 1.0, "published": 1.0, "category": 0.9, "missions_html": 1.0}
PREVIOUS = {"id": 7, "offers_seen": 2000, "fill_rates": GOOD_RATES}


def test_a_normal_crawl_is_healthy():
    assert assess(CrawlSummary(True, 1980, 3, GOOD_RATES), PREVIOUS) == (True, [])


def test_first_crawl_needs_key_fields():
    healthy, notes = assess(CrawlSummary(True, 200, 0, {**GOOD_RATES, "employer": 0.1}), None)
    assert not healthy and "employer" in notes[0]


def test_far_fewer_offers_than_last_time():
    healthy, notes = assess(CrawlSummary(True, 300, 0, GOOD_RATES), PREVIOUS)
    assert not healthy and "300 offers seen against 2000 in run 7" in notes[0]


def test_field_suddenly_empty():
    healthy, notes = assess(CrawlSummary(True, 2000, 0, {**GOOD_RATES, "location": 0.0}), PREVIOUS)
    assert not healthy and "location" in notes[0]


def test_incomplete_listing_empty_crawl_and_errors():
    assert not assess(CrawlSummary(False, 2000, 0, GOOD_RATES), PREVIOUS)[0]
    assert not assess(CrawlSummary(True, 0, 0, {}), None)[0]
    assert not assess(CrawlSummary(True, 100, 40, GOOD_RATES), None)[0]
    assert not assess(CrawlSummary(True, 2000, 0, GOOD_RATES, "shutdown"), PREVIOUS)[0]


def test_fill_rates():
    assert fill_rates({"employer": 3}, 4)["employer"] == 0.75
    assert fill_rates({}, 0)["employer"] == 0.0


def test_thresholds_are_settings():
    from pipeline.health import Thresholds, thresholds_from

    assert thresholds_from({}) == Thresholds(0.5, 0.2, 0.3, 0.1)
    limits = thresholds_from({"OFFRES_HEALTH_MIN_SEEN_RATIO": "0.1", "OFFRES_HEALTH_WARN_DROP": ""})
    assert limits.min_seen_ratio == 0.1 and limits.warn_drop == 0.2
    assert assess(CrawlSummary(True, 300, 0, GOOD_RATES), PREVIOUS, thresholds=limits) == (True, [])
    import pytest

    for bad in ("x", "1.5", "-0.1"):
        with pytest.raises(ValueError, match="OFFRES_HEALTH_MAX_ERROR_RATE"):
            thresholds_from({"OFFRES_HEALTH_MAX_ERROR_RATE": bad})


def test_a_drop_over_the_warning_tier_is_a_warning():
    from pipeline.health import Thresholds, warnings

    assert warnings(CrawlSummary(True, 1700, 0, GOOD_RATES), PREVIOUS) == []  # -15%
    assert warnings(CrawlSummary(True, 1120, 0, GOOD_RATES), PREVIOUS) == [
        "1120 offers seen against 2000 in run 7 (-44%, warning above -20%)"]
    assert assess(CrawlSummary(True, 1120, 0, GOOD_RATES), PREVIOUS)[0]  # healthy all the same
    assert warnings(CrawlSummary(True, 1120, 0, GOOD_RATES), PREVIOUS, Thresholds(warn_drop=0.5)) == []
    assert warnings(CrawlSummary(True, 10, 0, GOOD_RATES), None) == []
