"""The preview site in a real headless Chromium (system package) driven by Playwright.

Chromium comes from the system's packages (`scripts/install_browser.sh`, which CI runs;
the fixture runs it too when we are root with apt-get). The test is skipped only where
no Chromium is installed and none can be. A screenshot is kept in tests/artifacts/.
"""
import functools
import os
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pipeline.preview import build_preview
from pipeline.preview.links import is_board_url
from tests.portal_db import NOW, build_portal_db

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
INSTALL = ROOT / "scripts" / "install_browser.sh"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("OFFRES_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["bash", str(INSTALL)], check=False, timeout=1200)
        path = chromium_path()
    if path is None:
        pytest.skip("no Chromium here and none can be installed (needs root and apt-get): "
                    "run scripts/install_browser.sh as root, or set OFFRES_CHROMIUM")
    return path


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    build_preview(build_portal_db(folder / "portal.db"), folder / "site", now=NOW)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder / "site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        instance = playwright.chromium.launch(executable_path=chromium, args=args)
        yield instance
        instance.close()


class Watched:
    """A page with its console messages, page errors and requests recorded."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR", **options)
        self.page = self.context.new_page()
        self.messages, self.requests = [], []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def problems(self) -> list[str]:
        return [m for m in self.messages if m.split(":", 1)[0] in ("error", "warning", "pageerror")]

    def visible_titles(self) -> list[str]:
        return self.page.locator("#offres .panel:visible > b").all_inner_texts()


@pytest.fixture
def watched(browser):
    view = Watched(browser)
    yield view
    view.context.close()


def test_loads_without_console_error_or_external_request(watched, served):
    watched.page.goto(f"{served}/index.html")
    assert watched.page.locator("form#filtres").is_visible()
    assert watched.page.locator("#compte").inner_text() == "7 offres affichées sur 7"
    assert len(watched.visible_titles()) == 7
    assert watched.problems() == []
    assert watched.requests and all(url.startswith(served + "/") for url in watched.requests), watched.requests


def test_filters_change_the_visible_offers(watched, served):
    page = watched.page
    page.goto(f"{served}/index.html")
    page.select_option("#famille", "Design")
    assert watched.visible_titles() == ["Designer UX/UI H/F"]
    assert page.locator("#offres h3:visible").all_inner_texts() == ["Design"]
    assert page.locator("#compte").inner_text() == "1 offre affichée sur 7"
    page.select_option("#famille", "")
    page.select_option("#region", "Auvergne-Rhône-Alpes")
    assert sorted(watched.visible_titles()) == ["Chef de projet data H/F",
                                                "Responsable de la sécurité des systèmes d'information & co < 3 ans"]
    page.select_option("#teletravail", "oui")
    assert watched.visible_titles() == ["Responsable de la sécurité des systèmes d'information & co < 3 ans"]
    page.select_option("#region", "")
    page.select_option("#teletravail", "")
    page.select_option("#categorie", "Technicien/Catégorie B")
    assert watched.visible_titles() == ["Administrateur systèmes et réseaux H/F"]
    page.click("button[type=reset]")
    page.wait_for_function("document.querySelectorAll('#offres .panel:not([hidden])').length === 7")
    assert watched.problems() == []


def test_search_box_folds_accents_and_combines_words(watched, served):
    page = watched.page
    page.goto(f"{served}/index.html")
    page.fill("#q", "developpeur FULL")  # accents folded, every word required
    assert watched.visible_titles() == ["Développeur / Développeuse full stack (H/F)"]
    page.fill("#q", "LYON data")
    assert watched.visible_titles() == ["Chef de projet data H/F"]
    page.fill("#q", "2026-1100003")
    assert watched.visible_titles() == ["Designer UX/UI H/F"]
    page.fill("#q", "astronaute")
    assert watched.visible_titles() == [] and page.locator("#aucune").is_visible()
    assert "famille" not in page.url and "q=astronaute" in page.url  # the state is in the address
    page.goto(f"{served}/index.html?famille=Design")
    assert watched.visible_titles() == ["Designer UX/UI H/F"] and page.input_value("#famille") == "Design"
    assert watched.problems() == []


def test_every_offer_link_points_to_the_board(watched, served):
    page = watched.page
    page.goto(f"{served}/index.html")
    links = page.locator("#offres .panel a:not(.detail-link)").evaluate_all("els => els.map(e => e.href)")
    assert len(links) == 14 and all(is_board_url(url) for url in links), links
    assert all(url.startswith("https://choisirleservicepublic.gouv.fr/offre-emploi/") for url in links)
    panel = page.locator("#offres .panel", has_text="Product owner")
    assert panel.locator("b > a").get_attribute("href") == panel.locator("a.button").get_attribute("href")
    panel.locator("a.detail-link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Product owner H/F"
    assert is_board_url(page.locator("a.button").get_attribute("href"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert watched.problems() == []


def test_keyboard_reaches_the_skip_link_and_the_search_box(watched, served):
    page = watched.page
    page.goto(f"{served}/index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("designer")
    assert watched.visible_titles() == ["Designer UX/UI H/F"]


CONTRAST_JS = """() => {
  const pick = ['h1', 'h3.h3', '#offres .panel b a', '#offres .panel p', '#offres a.button', 'a.detail-link',
                'label', '#compte', '.site-footer p', 'button[type=reset]', 'select'];
  const background = el => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return pick.flatMap(sel => Array.from(document.querySelectorAll(sel)).slice(0, 3).map(el => [
    sel, getComputedStyle(el).color, background(el), parseFloat(getComputedStyle(el).fontSize)]));
}"""


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))


def test_text_contrast_meets_wcag_aa(watched, served):
    watched.page.goto(f"{served}/index.html")
    samples = watched.page.evaluate(CONTRAST_JS)
    assert len(samples) > 15
    for selector, color, background, size in samples:
        light, dark = sorted((luminance(color), luminance(background)), reverse=True)
        ratio = (light + 0.05) / (dark + 0.05)
        assert ratio >= (3 if size >= 24 else 4.5), (selector, color, background, round(ratio, 2))


def test_focus_is_visible(watched, served):
    page = watched.page
    page.goto(f"{served}/index.html")
    page.focus("#offres .panel a.button")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard: :focus-visible applies
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, s.outlineWidth]; })()")
    assert style[0] != "none" and float(style[1].rstrip("px")) >= 2


def test_without_javascript_every_offer_is_listed(browser, served):
    view = Watched(browser, java_script_enabled=False)
    try:
        view.page.goto(f"{served}/index.html")
        assert len(view.visible_titles()) == 7
        assert not view.page.locator("form#filtres").is_visible()
    finally:
        view.context.close()


def test_screenshot_is_kept(watched, served):
    watched.page.goto(f"{served}/index.html")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "preview.png"
    watched.page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
