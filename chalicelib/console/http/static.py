"""The agents' web console at ``/console/``, served by the API itself (see ``static_files.py``).

Chalice has no greedy path parameter, so there are two routes: ``/console`` (the page, also at ``/console/``: API
Gateway and the local stack ignore a trailing slash) and ``/console/{name}`` (one of the allow-listed files; any
other name is 404 in the envelope). The page carries ``<base href="<base path>/console/">``, so its relative links
and the API calls (one level up) resolve with or without the slash, under any stage or custom-domain base path.
Both are public: the files hold no data; everything the console shows comes from the agent routes with the
agent's token.
"""

from __future__ import annotations

from chalicelib.console import static_files
from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, Reply, RequestContext

api = Api(__name__, "console")

MEDIA = (static_files.HTML, static_files.JS, static_files.CSS)


def _serve(ctx: RequestContext, file: static_files.StaticFile) -> Reply:
    headers = static_files.headers(file)
    if ctx.headers.get("if-none-match") == file.etag:
        return Reply("", 304, headers, raw=True)
    return Reply(file.text, 200, headers, raw=True)


@api.route("/console", "GET", auth="public", media_types=(static_files.HTML,),
           summary="The agents' web console (HTML; `/console/` too): its links resolve under the API's base path",
           other_statuses={304: "Not modified (If-None-Match)"})
def console_page(ctx: RequestContext) -> Reply:
    return _serve(ctx, static_files.page(ctx.base_path))


@api.route("/console/{name}", "GET", auth="public", media_types=MEDIA, errors=("not_found",),
           summary="One of the console's files (a fixed allow-list of names; anything else is 404)",
           other_statuses={304: "Not modified (If-None-Match)"})
def console_file(ctx: RequestContext, name: str) -> Reply:
    file = static_files.load(name)
    if file is None:
        raise AppError("not_found")
    return _serve(ctx, file)
