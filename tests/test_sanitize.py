"""Republished HTML is sanitised (nh3)."""
import pytest

from pipeline.sanitize import sanitize_html


@pytest.mark.parametrize("dirty, forbidden", [
    ("<p>ok<script>alert(1)</script></p>", "alert"),
    ('<p onclick="steal()">ok</p>', "onclick"),
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<img src=x onerror="alert(1)">', "img"),
    ("<style>p{}</style><p>ok</p>", "style"),
    ('<iframe src="https://evil.example"></iframe><p>ok</p>', "iframe"),
])
def test_dangerous_markup_is_removed(dirty, forbidden):
    assert forbidden not in (sanitize_html(dirty) or "")


def test_structure_and_safe_links_are_kept():
    html = sanitize_html('<div class="x"><p>Missions&nbsp;: <strong>data</strong><br>- a</p>'
                         '<ul><li>un</li></ul><a href="https://www.emploi-territorial.fr/offre/o1">offre</a></div>')
    assert html.startswith("<p>Missions") and "<strong>data</strong><br>" in html and "<li>un</li>" in html
    assert 'href="https://www.emploi-territorial.fr/offre/o1"' in html and "nofollow" in html
    assert "class=" not in html and "<div" not in html


def test_empty_stays_null():
    assert sanitize_html(None) is None and sanitize_html("<p> </p>") is None
