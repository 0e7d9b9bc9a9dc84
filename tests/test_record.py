"""The raw posting record: validation, hashing, identity."""
import pytest

from pipeline.record import RawPosting, RecordError
from tests.conftest import make_record


def test_required_fields_are_named_in_errors():
    with pytest.raises(RecordError) as error:
        RawPosting.from_dict({"source": "csp", "url": "https://x.fr/a"}, where="file.jsonl:3")
    assert error.value.field == "title" and "file.jsonl:3" in str(error.value)


@pytest.mark.parametrize("bad, field", [
    ({"url": "ftp://x"}, "url"),
    ({"deadline": ["15/11/2026"]}, "deadline"),
    ({"source": ""}, "source"),
])
def test_bad_values_name_their_field(bad, field):
    with pytest.raises(RecordError) as error:
        RawPosting.from_dict(make_record(**bad))
    assert error.value.field == field


def test_not_an_object():
    with pytest.raises(RecordError):
        RawPosting.from_dict(["a"])


def test_unknown_keys_are_kept_and_numbers_in_text_fields_rejected():
    with pytest.raises(RecordError, match="field 'salary': must be a string or null, got int"):
        RawPosting.from_dict(make_record(salary=42000))
    with pytest.raises(RecordError, match="field 'fetched_at': not an ISO 8601 date-time"):
        RawPosting.from_dict(make_record(fetched_at="31/02/2026"))
    posting = RawPosting.from_dict(make_record(salary="42000", board_id="x1"))
    assert posting.salary == "42000" and posting.extra == {"board_id": "x1"}
    assert posting.as_dict()["extra"] == {"board_id": "x1"}


def test_hash_ignores_fetch_time_but_not_content():
    a = RawPosting.from_dict(make_record())
    b = RawPosting.from_dict(make_record(fetched_at="2026-11-01T00:00:00+00:00"))
    c = RawPosting.from_dict(make_record(title="Autre titre"))
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_identity_from_reference_url_or_case():
    assert RawPosting.from_dict(make_record("O056261001001569")).posting_id() == "csp:O056261001001569"
    lower = RawPosting.from_dict(make_record("o056261001001569"))
    assert lower.posting_id() == "csp:O056261001001569"
    no_ref = RawPosting.from_dict(make_record(reference=None, url="https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1201312/"))
    assert no_ref.posting_id() == "csp:2023-1201312"


@pytest.mark.parametrize("url, reason", [
    ("https://", "no valid host name"),
    ("https:///offre-emploi/x/", "no valid host name"),
    ("https://choisir le service public.gouv.fr/x", "character ' '"),
    ("https://x.gouv.fr:99999/", "malformed"),
    ("https://agent:secret@x.gouv.fr/", "credentials"),
    ("https://x.gouv.fr/\"onmouseover=alert(1)", "character '\"'"),
    ("https://-x-.gouv.fr/", "no valid host name"),
    ("javascript:alert(1)", "not an http(s) URL"),
])
def test_a_malformed_url_is_refused_naming_the_field_and_why(url, reason):
    with pytest.raises(RecordError) as caught:
        RawPosting.from_dict({"source": "csp", "url": url, "title": "Développeur"}, where="in.jsonl:3")
    assert caught.value.field == "url" and reason in caught.value.message and "in.jsonl:3" in str(caught.value)


@pytest.mark.parametrize("url", ["https://choisirleservicepublic.gouv.fr/offre-emploi/dev-reference-2026-1/",
                                 "http://127.0.0.1:8765/offre/o056261001001569?x=1#top", "https://[::1]:80/a",
                                 "https://émploi.fr/offre/1", "HTTPS://WWW.X.FR/a|b{c}"])
def test_well_formed_urls_are_kept(url):
    assert RawPosting.from_dict({"source": "csp", "url": url, "title": "Développeur"}).url == url
