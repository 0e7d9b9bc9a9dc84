"""Republished HTML is sanitised (nh3); plain text carries no markup; URLs are checked."""
import pytest

from pipeline.sanitize import encode_url, plain_text, safe_url, sanitize_html


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


@pytest.mark.parametrize("href", [
    "//evil.example/x", "/relative", "relative/path", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)", "\\\\evil.example\\x", "https:evil.example",
    "https://", "ftp://files.example/x",
])
def test_links_that_are_not_absolute_http_lose_their_href(href):
    html = sanitize_html(f'<p><a href="{href}">lien</a></p>')
    assert "href" not in html and "lien" in html


def test_links_with_spaces_or_accents_are_encoded_not_dropped():
    html = sanitize_html('<a href="https://www.example.fr/fiche de poste é.pdf">fiche</a>')
    assert 'href="https://www.example.fr/fiche%20de%20poste%20%C3%A9.pdf"' in html


@pytest.mark.parametrize("raw, text", [
    ("Développeur &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; web", "Développeur web"),
    ("&lt;b&gt;Chef&lt;/b&gt; de projet", "Chef de projet"),
    ("<<script>script>alert(1)<</script>/script>Chef", "Chef"),
    ('<img src=x onerror="alert(1)">Data scientist', "Data scientist"),
    ("Ingénieur<br>systèmes", "Ingénieur systèmes"),
    ("R&amp;D  &  AT&T\u00a0", "R&D & AT&T"),
    ("a < b et c > d", "a < b et c > d"),
    ("Chef\u202e de\u200b projet\x00\x07\ufeff", "Chef de projet"),
    ("\ud800Chef", "Chef"),
    ("javascript:alert(1)", "javascript :alert(1)"),
    ('" onmouseover="alert(1)', '" onmouseover "alert(1)'),
    ("Chef de projet Data : gouvernance", "Chef de projet Data : gouvernance"),
    ("Communication=plus", "Communication=plus"),
    ("<script>alert(1)</script>", None),
    ("   ", None),
])
def test_plain_text(raw, text):
    assert plain_text(raw) == text


def test_plain_text_can_keep_lines():
    assert plain_text("Attaché<br>Ingénieur\n\n  principal \r\n", lines=True) == "Attaché\nIngénieur\nprincipal"


@pytest.mark.parametrize("url, ok", [
    ("https://choisirleservicepublic.gouv.fr/offre-emploi/dev-reference-2026-1/", True),
    ("http://127.0.0.1:8000/offre-emploi/x/?a=1&b=%C3%A9#top", True),
    ('https://choisirleservicepublic.gouv.fr/x"><script>alert(1)</script>', False),
    ("https://example.fr/a b", False), ("https://example.fr/%zz", False), ("https://example.fr/'x", False),
    ("https://example.fr/é", False), ("javascript:alert(1)", False), ("//example.fr/x", False),
    ("/offre-emploi/x/", False), ("https://-bad.example/", False), ("", False), (None, False),
])
def test_safe_url(url, ok):
    assert safe_url(url) == (url if ok else None)


def test_encode_url_percent_encodes_non_ascii_only():
    assert encode_url(" https://example.fr/offre/é?q=ç ") == "https://example.fr/offre/%C3%A9?q=%C3%A7"
    assert encode_url('https://example.fr/x"><b>') == 'https://example.fr/x"><b>'  # still refused later
    assert safe_url(encode_url("https://example.fr/é")) == "https://example.fr/%C3%A9"
