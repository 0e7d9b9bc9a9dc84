"""An unreachable source (no HTTP answer, network errors) is told apart from a broken one."""
from spiders.reachability import network_reasons, unreachable

REFUSED = {"downloader/exception_count": 8, "downloader/request_count": 8,
           "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 8}


def test_every_request_refused():
    problem = "listing page failed: http://127.0.0.1:9/nos-offres/ (Connection was refused by other side)"
    assert unreachable(REFUSED, 0, "http://127.0.0.1:9", [problem]) == f"connection refused: {problem}"
    assert unreachable(REFUSED, 0, "http://127.0.0.1:9") == "connection refused: http://127.0.0.1:9"


def test_reasons_named():
    stats = {"downloader/exception_type_count/twisted.internet.error.DNSLookupError": 1,
             "downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError": 1,
             "downloader/exception_type_count/twisted.internet.error.TimeoutError": 5,
             "downloader/exception_type_count/OpenSSL.SSL.Error": 1}
    assert network_reasons(stats) == ["timed out", "DNS lookup failed", "TLS handshake failed"]


def test_a_site_that_answers_is_not_unreachable():
    assert unreachable({**REFUSED, "downloader/response_count": 3}, 0, "http://x") is None  # 503s: broken, not down
    assert unreachable(REFUSED, 1, "http://x") is None  # a listing page was read
    robots_only = {**REFUSED, "downloader/response_count": 1, "robotstxt/response_count": 1}
    assert unreachable(robots_only, 0, "http://x") == "connection refused: http://x"
    assert unreachable({"downloader/response_count": 0}, 0, "http://x") is None  # nothing failed
