"""The compiled offer validator (fastjsonschema) is never looser than jsonschema, the reference:
on random mutations of a valid export entry both give the same verdict through `offer_error`,
and a compiled yes is only given where jsonschema also says yes."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export.document import _compiled_offer_check, build_export, export_schema, offer_error
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import open_db, start_run, write_raw_postings
from tests.conftest import make_record

@lru_cache(maxsize=1)
def good() -> dict:
    """A real export entry: a posting stored, rebuilt and exported."""
    db = open_db(":memory:")
    write_raw_postings(db, [RawPosting.from_dict(make_record("2026-1", deadline="20/10/2026"))],
                       start_run(db, "crawl", "csp"))
    rebuild_offers(db, now=datetime(2026, 10, 10, 12, tzinfo=timezone.utc))
    return build_export(db, include_all=True)["offers"][0]


GOOD = good()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, width=16)
    | st.sampled_from(["", "x", "2026-10-02", "2026-10-05T08:00:00+00:00", "2026-13-45", "open", "closed", "A",
                       "2026-10-05 08:00", "etat", "https://example.org/"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "source", "url", "label"]),
                                                                inner, max_size=3),
    max_leaves=6)


def reference_error(entry: dict):
    schema = export_schema()
    validator = jsonschema.Draft202012Validator({**schema["$defs"]["offer"], "$defs": schema["$defs"]},
                                                format_checker=jsonschema.FormatChecker())
    return jsonschema.exceptions.best_match(validator.iter_errors(entry))


def test_the_good_entry_is_valid():
    assert reference_error(GOOD) is None and offer_error(GOOD) is None


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(GOOD)), json_values, min_size=1, max_size=3),
       st.lists(st.sampled_from(sorted(GOOD)), max_size=2))
def test_same_verdict_as_jsonschema(changes, dropped):
    entry = {**GOOD, **changes}
    for key in dropped:
        entry.pop(key, None)
    expected = reference_error(entry)
    assert (offer_error(entry) is None) == (expected is None)
    try:
        _compiled_offer_check()(entry)
        compiled_yes = True
    except Exception:
        compiled_yes = False
    assert not compiled_yes or expected is None, "the compiled validator accepted what jsonschema refuses"
