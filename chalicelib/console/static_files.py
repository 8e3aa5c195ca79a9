"""The console's files: a fixed allow-list of names under ``static/``, read once per process.

A name from the client is only ever a key of ``FILES``; it never reaches the filesystem. ``chalice package`` ships
``chalicelib/`` whole, so the files travel with the function that serves them (one origin, one deploy).
"""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path
from typing import NamedTuple

STATIC = Path(__file__).resolve().parent / "static"

HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

# name -> Content-Type. Add a file here to serve it; nothing else under static/ (or anywhere) can be reached.
FILES: dict[str, str] = {
    "index.html": HTML,
    "style.css": CSS,
    "app.js": JS,
    "api.js": JS,
    "i18n.js": JS,
    "dom.js": JS,
    "queue.js": JS,
    "case.js": JS,
    "claims.js": JS,
    # the operators' pages (role admin)
    "ops_labels.js": JS,
    "format.js": JS,
    "forms.js": JS,
    "ops_common.js": JS,
    "operators.js": JS,
    "programme.js": JS,
    "prog_points.js": JS,
    "prog_benefits.js": JS,
    "prog_rewards.js": JS,
    "prog_stores.js": JS,
    "prog_events.js": JS,
    "prog_c2b.js": JS,
    "prog_plus.js": JS,
    "rule_builder.js": JS,
    "segments.js": JS,
    "campaigns.js": JS,
    "charts.js": JS,
    "dashboard.js": JS,
    "month_end.js": JS,
    "staff.js": JS,
    "staff_names.js": JS,
    "approvals.js": JS,
    "audit.js": JS,
    "audit_labels.js": JS,
    # Apache ECharts, vendored (vendor/manifest.json: version, origin, sha256; vendor/echarts.LICENSE)
    "echarts.esm.min.js": JS,
}

# Same origin only: no inline script or style, no other host, no framing.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class StaticFile(NamedTuple):
    name: str
    text: str
    content_type: str
    etag: str


@cache
def load(name: str) -> StaticFile | None:
    """The allow-listed file ``name``, or None for any other name."""
    content_type = FILES.get(name)
    if content_type is None:
        return None
    return _file(name, (STATIC / name).read_text(encoding="utf-8"), content_type)


BASE_MARK = "__BASE_PATH__"


@cache
def page(base_path: str) -> StaticFile:
    """``index.html`` with its ``<base href>`` under ``base_path`` (a plain path, checked by the route layer)."""
    file = load("index.html")
    assert file is not None
    return _file("index.html", file.text.replace(BASE_MARK, html.escape(base_path, quote=True)), HTML)


def _file(name: str, text: str, content_type: str) -> StaticFile:
    etag = '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'
    return StaticFile(name, text, content_type, etag)


def headers(file: StaticFile) -> dict[str, str]:
    """Revalidated on every load (``no-cache`` with an ETag: a deploy shows at once, an unchanged file costs a
    304), typed, and locked to this origin."""
    return {
        "Content-Type": file.content_type,
        "Cache-Control": "no-cache",
        "ETag": file.etag,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
