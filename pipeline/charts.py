"""Pictures of the database as inline SVG: no plotting library, accessible text.

`chart_data(db)` reads what to draw (open digital offers by family and by region,
open offers after each run); `bar_chart` and `line_chart` draw it. Each SVG has
`role="img"`, a `<title>` and a `<desc>` listing the values, so a screen reader
gets the numbers the picture shows.
"""
from __future__ import annotations

from html import escape

from sqlite_utils import Database

from pipeline import labels
from pipeline.reports import count_by

INK, BAR, GRID, MUTED = "#161616", "#000091", "#dddddd", "#3a3a3a"  # contrast >= 4.5:1 on white
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def _svg(width: int, height: int, title: str, desc: str, body: list[str], ident: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
            f'font-family="{escape(FONT)}" font-size="13">'
            f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>")


def bar_chart(pairs: list[tuple[str, int]], title: str, ident: str = "bars", width: int = 640) -> str:
    """Horizontal bars, one per (label, count), largest first as given."""
    row, top, label_w = 24, 36, 260
    height = top + row * max(len(pairs), 1) + 16
    scale = max((n for _, n in pairs), default=0) or 1
    span = width - label_w - 60
    body = [f'<text x="8" y="22" font-size="15" font-weight="bold" fill="{INK}">{escape(title)}</text>']
    if not pairs:
        body.append(f'<text x="8" y="{top + 16}" fill="{MUTED}">Aucune donnée</text>')
    for i, (label, count) in enumerate(pairs):
        y = top + i * row
        bar = max(1, round(span * count / scale)) if count else 0
        short = label if len(label) <= 38 else label[:37] + "…"
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(short)}</text>'
                    f'<rect x="{label_w}" y="{y + 4}" width="{bar}" height="{row - 8}" fill="{BAR}"/>'
                    f'<text x="{label_w + bar + 6}" y="{y + 16}" fill="{INK}">{count}</text>')
    desc = "; ".join(f"{label} : {count}" for label, count in pairs) or "Aucune donnée"
    return _svg(width, height, title, desc, body, ident)


def nice_ceiling(value: float) -> int:
    """A round axis maximum at or above `value` (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten)."""
    if value <= 1:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def line_chart(points: list[tuple[str, int]], title: str, ident: str = "line", width: int = 640,
               height: int = 260) -> str:
    """A line over (label, value) points in order (one per run), with dots and the values."""
    left, right, top, bottom = 48, 24, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    high = nice_ceiling(max((v for _, v in points), default=0) * 1.15)
    body = [f'<text x="8" y="22" font-size="15" font-weight="bold" fill="{INK}">{escape(title)}</text>',
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{MUTED}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left + plot_w}" y2="{top}" stroke="{GRID}"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{high}</text>',
            f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end" fill="{MUTED}">0</text>']
    if not points:
        body.append(f'<text x="{left}" y="{top + 20}" fill="{MUTED}">Aucune donnée</text>')
    step = plot_w / max(len(points) - 1, 1)
    coords = [(left + (i * step if len(points) > 1 else plot_w / 2), top + plot_h - plot_h * v / high)
              for i, (_, v) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    every = max(1, len(points) // 8)
    for i, ((label, value), (x, y)) in enumerate(zip(points, coords)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BAR}"/>')
        if i % every == 0 or i == len(points) - 1:
            anchor = "start" if i == 0 and len(points) > 1 else ("end" if i == len(points) - 1 and i else "middle")
            body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="{anchor}" fill="{INK}">{value}</text>'
                        f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}" fill="{MUTED}">'
                        f'{escape(label)}</text>')
    desc = "; ".join(f"{label} : {value}" for label, value in points) or "Aucune donnée"
    return _svg(width, height, title, desc, body, ident)


def open_over_runs(db: Database) -> list[tuple[str, int]]:
    """Open offers after each run, replayed from the `events` table ('#run date': count).

    new and reopened open an offer, closed closes it, merged removes it; a rebuild
    without a run (`offres reprocess`) counts as a point of its own.
    """
    state: dict[str, bool] = {}
    points: list[tuple[str, int]] = []
    current, label = object(), ""
    rows = db.query("select e.run_id, e.at, e.offer_id, e.kind, r.started_at from events e "
                    "left join runs r on r.id = e.run_id order by e.id")
    for row in rows:
        key = row["run_id"] if row["run_id"] is not None else row["at"]
        if key != current:
            if label:
                points.append((label, sum(state.values())))
            current = key
            day = (row["started_at"] or row["at"] or "")[:10]
            label = f"#{row['run_id']} {day}" if row["run_id"] is not None else day
        if row["kind"] in ("new", "reopened"):
            state[row["offer_id"]] = True
        elif row["kind"] == "closed":
            state[row["offer_id"]] = False
        elif row["kind"] == "merged":
            state.pop(row["offer_id"], None)
    if label:
        points.append((label, sum(state.values())))
    return points


def chart_data(db: Database) -> dict:
    """What the pictures show: open digital offers by family and region, open offers over the runs."""
    if not db.table("offers").exists():
        return {"by_family": [], "by_region": [], "over_runs": []}
    where = "status = 'open' and digital = 1"
    families = [(labels.family_label(v) or ("Non classée" if v == "unknown" else v), n)
                for v, n in count_by(db, "family", where)]
    regions = [("Inconnue" if v == "unknown" else v, n)
               for v, n in count_by(db, "json_extract(location, '$.region')", where)]
    return {"by_family": families, "by_region": regions, "over_runs": open_over_runs(db)}


def charts_svg(db: Database) -> dict[str, str]:
    """The three pictures, as SVG strings keyed by name."""
    data = chart_data(db)
    return {
        "by_family": bar_chart(data["by_family"], "Offres numériques ouvertes par famille", "by-family"),
        "by_region": bar_chart(data["by_region"], "Offres numériques ouvertes par région", "by-region"),
        "over_runs": line_chart(data["over_runs"], "Offres ouvertes après chaque collecte", "over-runs"),
    }


def stacked_svg(svgs: list[str], gap: int = 16) -> str:
    """Several SVG pictures one under the other in one SVG document (for `offres stats --plot`)."""
    parts, y, width = [], 0, 0
    for svg in svgs:
        head = svg[:svg.index(">")]
        w = int(head.split('width="')[1].split('"')[0])
        h = int(head.split('height="')[1].split('"')[0])
        parts.append(svg.replace("<svg ", f'<svg x="0" y="{y}" ', 1))
        y, width = y + h + gap, max(width, w)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{max(y - gap, 0)}" '
            f'viewBox="0 0 {width} {max(y - gap, 0)}">' + "".join(parts) + "</svg>\n")


def write_plot(db: Database, output) -> None:
    """The three pictures stacked in one SVG file, written atomically."""
    from pathlib import Path

    from pipeline.export.files import write_atomic

    svgs = charts_svg(db)
    document = stacked_svg([svgs["by_family"], svgs["by_region"], svgs["over_runs"]])
    write_atomic(Path(output), lambda handle: handle.write(document))
