"""`offres preview`: a small static site to look at the export before publishing it.

`index.html` is the regenerated page (theme headings, panels linking to the board)
with a search box and filters (family, region, category, remote work) run by
`assets/preview.js` over a JSON index embedded in the page; without JavaScript
every offer is listed and the filters stay hidden. One page per offer under
`offres/`, the pictures of `pipeline.charts` inline. Every asset is a relative
file of the site: viewing it makes no request elsewhere.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlite_utils import Database

from pipeline.charts import charts_svg
from pipeline.export import html
from pipeline.export.document import build_export
from pipeline.export.selection import Selection
from pipeline.preview.links import board_url, mirrors

HERE = Path(__file__).resolve().parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"
OTHER_FAMILY = html.OTHER_THEME


def environment() -> Environment:
    """Jinja2 with autoescaping on for every template."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"], default=True),
                       trim_blocks=True, lstrip_blocks=True)


def fold(text: str) -> str:
    """Lower case, accents stripped: what the search box compares (the script does the same)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def offer_view(offer: dict, mirror_hosts: dict[str, str]) -> dict:
    """What the templates and the index need of one export entry."""
    link = board_url(offer["url"], mirror_hosts)
    family = offer["family_label"] or OTHER_FAMILY
    region = offer["location"].get("region") or "Région inconnue"
    return {**offer, "link": link, "page": f"offres/{offer['id']}.html", "theme": family, "region_label": region,
            "category_line": offer["category_label"] or "Catégorie non précisée", "place": html.place_line(offer),
            "display_title": html.display_title(offer),
            "remote_key": "oui" if offer["remote"] else ("non" if offer["remote"] is False else "inconnu"),
            "sources": [{**s, "link": board_url(s.get("url"), mirror_hosts)} for s in offer["sources"]]}


def index_entry(view: dict) -> dict:
    """One offer of the embedded JSON index the script filters on."""
    text = " ".join(filter(None, [view["display_title"], view["title"], view["employer"], view["place"],
                                  view["reference"], view["metier"], view["theme"]]))
    return {"id": view["id"], "family": view["theme"], "region": view["region_label"],
            "category": view["category_line"], "remote": view["remote_key"], "text": fold(text)}


def json_for_script(value) -> Markup:
    """JSON safe inside a <script> element (no '</script>' or '<!--' can close it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def options(views: list[dict], key: str) -> list[tuple[str, int]]:
    """(value, count) of a filter, most frequent first."""
    counts: dict[str, int] = {}
    for view in views:
        counts[view[key]] = counts.get(view[key], 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def regenerated_page(db: Database, views: list[dict], page_employer: str | None, generated_at: str) -> Markup:
    """The regenerated page's offers part (pipeline.export.html), linking to the board and to each offer's page."""
    entries = [{**view, "url": view["link"]} for view in views]
    page = html.build_page(entries, html.page_themes(db), page_employer=page_employer, generated_at=generated_at)
    if not page_employer:
        page["intro_heading"] = "Les offres d'emploi du numérique public actuellement disponibles :"
    pages = {view["id"]: view["page"] for view in views}
    for group in page["themes"] + page["others"]:
        for offer in group["offers"]:
            offer["page"] = pages[offer["id"]]
    return Markup(html.render_fragment(page, pin_src=None, theme_tag="h3"))


def render_site(db: Database, now: datetime | None = None, include_all: bool = False,
                page_employer: str | None = None) -> dict[str, str]:
    """Every file of the site: relative path -> text. `page_employer` (e.g. DINUM) makes the main page
    that employer's page (its offers by theme, then other administrations' high-level posts)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    document = build_export(db, now=now, selection=Selection(include_all=include_all))
    hosts = mirrors(db)
    views = [offer_view(offer, hosts) for offer in document["offers"]]
    fragment = regenerated_page(db, views, page_employer, document["generated_at"])
    listed = set(re.findall(r'data-offer-id="([^"]+)"', fragment))
    views = [view for view in views if view["id"] in listed]
    env = environment()
    context = {"generated_at": document["generated_at"], "count": len(views)}
    files = {"index.html": env.get_template("index.html").render(
        **context, fragment=fragment, index=json_for_script([index_entry(v) for v in views]),
        families=options(views, "theme"), regions=options(views, "region_label"),
        categories=options(views, "category_line"), remote=options(views, "remote_key"),
        charts={name: Markup(svg) for name, svg in charts_svg(db).items()}, root="")}
    page = env.get_template("offer.html")
    for view in views:
        files[view["page"]] = page.render(**context, offer=view, root="../")
    return files


def build_preview(db: Database, output: Path, now: datetime | None = None, include_all: bool = False,
                  page_employer: str | None = None) -> dict:
    """Write the site into `output` (replaced as a whole once complete); returns a summary."""
    files = render_site(db, now=now, include_all=include_all, page_employer=page_employer)
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        shutil.copytree(STATIC, staging / "assets")
        staging.chmod(0o755)
        old = None
        if output.exists():
            old = output.with_name(f".{output.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            output.rename(old)
        staging.rename(output)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"output": str(output), "offers": len(files) - 1, "index": str(output / "index.html")}
