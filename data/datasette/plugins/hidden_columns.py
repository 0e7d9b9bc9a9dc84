"""Datasette plugin: some columns are left out of a table's default HTML view.

Configured per table in metadata.json:
`"plugins": {"offres-hidden-columns": {"columns": ["missions_html", ...]}}`.
A plain `/<database>/<table>` page is redirected to the same page with one
`_nocol=` per configured column; a page that already chooses its columns
(`_col`/`_nocol`), the JSON and CSV renderings and row pages are left alone.
Loaded by `offres browse` with `--plugins-dir data/datasette/plugins`.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlencode

from datasette import hookimpl

NAME = "offres-hidden-columns"


async def redirect_for(datasette, scope) -> str | None:
    """The address to redirect a default table page to, or None."""
    parts = [unquote(p) for p in scope.get("path", "").strip("/").split("/")]
    if len(parts) != 2 or "." in parts[1] or not all(parts):
        return None
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if any(key in ("_col", "_nocol") for key, _ in query):
        return None
    database, table = parts
    config = datasette.plugin_config(NAME, database=database, table=table, fallback=False) or {}
    wanted = config.get("columns") or []
    if not wanted or database not in datasette.databases:
        return None
    existing = set(await datasette.get_database(database).table_columns(table))
    hidden = [column for column in wanted if column in existing]
    if not hidden:
        return None
    return scope["path"] + "?" + urlencode(query + [("_nocol", column) for column in hidden])


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def hide_columns(scope, receive, send):
            if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
                location = await redirect_for(datasette, scope)
                if location:
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [[b"location", location.encode("utf-8")], [b"content-length", b"0"]]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)
        return hide_columns
    return wrap
