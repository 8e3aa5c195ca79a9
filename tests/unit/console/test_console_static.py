"""The console's files as the API serves them: only the allow-list, typed, same-origin only, revalidated.

Through chalice's test client (the app's real routes and route layer); the browser tests (tests/browser) use them
for real.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.console import static_files
from chalicelib.core.errors import CATALOGUE
from chalicelib.core.http.routing import base_path_of


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from chalice.test import Client

    import app

    with Client(app.app, project_dir=str(tmp_path_factory.mktemp("console"))) as test_client:
        yield test_client


def get(client: Any, path: str, **headers: str) -> Any:
    return client.http.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_the_page_is_html_locked_to_this_origin(client, path: str):
    response = get(client, path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"].startswith('"')
    page = response.body.decode()
    assert '<base href="/console/">' in page  # no stage in front of the routes outside API Gateway
    assert '<script type="module" src="app.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script: the CSP would block it"
    assert not re.search(r"\sstyle=|\son[a-z]+=", page), "inline style or handler: the CSP would block it"


@pytest.mark.parametrize("name", sorted(static_files.FILES))
def test_every_listed_file_is_served_with_its_type(client, name: str):
    response = get(client, f"/console/{name}")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == static_files.FILES[name]
    assert response.headers["Content-Security-Policy"] == static_files.CSP
    assert response.body.strip()


VENDOR = json.loads((static_files.STATIC / "vendor" / "manifest.json").read_text(encoding="utf-8"))
VENDORED = {entry["file"] for entry in VENDOR.values()}


def test_every_file_shipped_is_listed_and_every_import_is_served():
    shipped = {p.name for p in static_files.STATIC.iterdir() if p.is_file()}
    assert shipped == set(static_files.FILES), "a file under static/ that is not served, or listed but missing"
    # The project's own modules; a vendored library is checked by its hash instead (below).
    for name in (n for n in shipped if n.endswith(".js") and n not in VENDORED):
        text = (static_files.STATIC / name).read_text(encoding="utf-8")
        for target in re.findall(r"""from\s+["']([^"']+)["']""", text):
            assert target.startswith("./") and target[2:] in static_files.FILES, f"{name} imports {target}"
        assert not re.search(r"\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write|\beval\(", text), name


@pytest.mark.parametrize("name", ["nope.js", "static_api.py", "__init__.py", "APP.JS", "app.js.map", "..",
                                  "%2E%2E%2Fstatic_api.py", "..%2F..%2Fapp.py", "index.html%00", "%2Fetc%2Fpasswd"])
@pytest.mark.parametrize("english", [False, True])
def test_anything_else_is_404_in_the_envelope(client, name: str, english: bool):
    headers = {"Accept-Language": "en"} if english else {}
    response = get(client, f"/console/{name}", **headers)
    assert response.status_code == 404, (name, response.body[:200])
    error = json.loads(response.body)["error"]
    assert error["code"] == "not_found"
    assert error["message"] == (CATALOGUE["not_found"].en if english else CATALOGUE["not_found"].zh)


def test_an_unchanged_file_is_not_sent_again(client):
    first = get(client, "/console/app.js")
    again = get(client, "/console/app.js", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.body
    assert again.headers["ETag"] == first.headers["ETag"]
    other = get(client, "/console/app.js", **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.body == first.body


def _request(path: str, context_path: str | None) -> Any:
    event = {"path": path, "requestContext": {"path": context_path} if context_path is not None else {}}
    return SimpleNamespace(to_original_event=lambda: event)


@pytest.mark.parametrize(("path", "context_path", "expected"), [
    ("/console/", "/api/console/", "/api"),  # the execute-api URL: the stage
    ("/console", "/api/console", "/api"),
    ("/console", "/portal/v2/console", "/portal/v2"),  # a custom domain's base path
    ("/console", "/console", ""),  # a custom domain at its root
    ("/console", None, ""),
    ("/console", '/a"><script>/console', ""),  # never anything but plain path segments
    ("/console", "/other/path", ""),
])
def test_the_base_path_is_what_api_gateway_puts_in_front(monkeypatch, path: str, context_path: str | None,
                                                          expected: str):
    from chalicelib.core.config import reset_settings

    monkeypatch.setenv("STAGE", "prod")
    reset_settings()
    try:
        assert base_path_of(_request(path, context_path)) == expected
        monkeypatch.setenv("STAGE", "local")
        reset_settings()
        assert base_path_of(_request(path, context_path)) == ""  # the local stack serves the routes at its root
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_page_names_its_base_path_escaped():
    assert '<base href="/api/console/">' in static_files.page("/api").text
    assert static_files.page("/api").etag != static_files.page("").etag


@pytest.mark.parametrize("library", sorted(VENDOR))
def test_a_vendored_library_is_the_release_its_manifest_names_with_its_licence(library: str):
    """The file is byte for byte the package's dist file recorded in vendor/manifest.json (version and sha256), and
    its licence travels with it: a changed or hand-edited copy fails here."""
    entry = VENDOR[library]
    data = (static_files.STATIC / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{entry['file']} is not {entry['package']}"
    assert re.match(r"^\d+\.\d+\.\d+$", entry["version"]) and entry["version"] in entry["package"]
    licence = (static_files.STATIC / entry["license_file"]).read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence
    assert static_files.FILES[entry["file"]] == static_files.JS


def test_every_audited_action_has_a_label_in_both_languages():
    """The Audit page shows an action's label, not its code: every write a staff member can make (the route layer
    audits each one under its operation name) is named in audit_labels.js, in Chinese and in English."""
    import app  # noqa: F401  (registers every route)
    from chalicelib.core.audit.scope import STAFF_ROLES
    from chalicelib.core.http.routing import REGISTRY

    text = (static_files.STATIC / "audit_labels.js").read_text(encoding="utf-8")
    labels = {m[0]: (m[1], m[2]) for m in re.findall(r'^  (\w+): \["([^"]+)", "([^"]+)"\],$', text, re.M)}
    audited = {spec.name for spec in REGISTRY if spec.method != "GET" and spec.auth in STAFF_ROLES}
    assert "edit_reward" in audited and audited - set(labels) == set()
    assert all(re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]", en) for zh, en in labels.values())
    assert len({en for _zh, en in labels.values()}) == len(labels)  # two actions never read the same
