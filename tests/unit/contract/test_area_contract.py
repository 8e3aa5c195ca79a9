"""The areas' contract: what every manifest must declare, and which way dependencies may point.

These fail (never skip) when an area forgets something the rest of the system relies on: a merge policy for items
kept under a customer's partition, a factory for a member route's owned resource, a section of the 360 view, an
error code it raises; or when an import points the wrong way (core importing an area, a pure rules module importing
the AWS SDK, a use case importing the web framework).
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.areas import AREAS
from chalicelib.core.area import Area, resolve
from chalicelib.core.errors import CATALOGUE
from chalicelib.core.notifications import TEMPLATES
from tests.support import contract

ROOT = Path(__file__).resolve().parents[3]
LIB = ROOT / "chalicelib"
AREA_IDS = [pytest.param(area, id=area.name) for area in AREAS]

# Pure rules: no I/O, no framework, so they are tested alone and read like the rules they are. Every area's
# ``rules.py`` (the floor plan's place for them, found from the manifests) and the pure modules named here.
RULES_MODULES = ("core/calendar.py", "core/clock.py", "core/phone.py", "identity/member_no.py",
                 "points/tiers.py", "points/checkin.py", "benefits/quota.py",
                 *(f"{area.name}/rules.py" for area in AREAS if (LIB / area.name / "rules.py").exists()))
# Where the web framework may be imported: the composition root and the HTTP layer (a queue worker loads neither).
CHALICE_ALLOWED = re.compile(r"^chalicelib/core/http/")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "chalicelib" and parts[1] not in ("core", "areas") else None


def test_every_area_package_is_listed_in_areas():
    packages = {p.name for p in LIB.iterdir() if (p / "__init__.py").exists() and p.name != "core"}
    assert packages == {area.name for area in AREAS}, "a package without a line in chalicelib/areas.py (or the reverse)"


@pytest.mark.parametrize("area", AREA_IDS)
def test_an_area_that_keeps_customer_items_has_a_merge_policy(area: Area):
    source = "\n".join(p.read_text(encoding="utf-8") for p in _sources(LIB / area.name))
    writes_customer_partition = bool(re.search(r"customer_pk\(|\"CUST#|'CUST#|f\"CUST#", source))
    if writes_customer_partition:
        assert area.customer_items, f"{area.name} keys items by customer_pk: set customer_items=True in its manifest"
    if area.customer_items:
        assert area.merge or area.merge_keeps, (
            f"{area.name} keeps items under a customer's partition: declare what a merge does with them "
            "(merge=...) or why they stay (merge_keeps=...)")
    if area.merge:
        assert callable(resolve(area.merge))


@pytest.mark.parametrize("area", AREA_IDS)
def test_every_area_has_a_section_of_the_360_view_or_says_why_not(area: Area):
    assert area.member_360 or area.member_360_none, f"{area.name}: declare member_360 or member_360_none"
    if area.member_360:
        section = resolve(area.member_360)
        assert callable(section.render)


def test_every_member_route_with_a_path_parameter_has_an_owned_resource_factory():
    owned = contract.owned_resources()
    missing = [contract.route_id(spec) for spec in contract.routes()
               if contract.is_member_owned(spec) and spec.path not in owned]
    assert not missing, f"declare owned_resources for these routes in their area's manifest: {missing}"


@pytest.mark.parametrize("area", AREA_IDS)
def test_what_a_manifest_names_exists(area: Area):
    for module in area.blueprints:
        assert hasattr(importlib.import_module(module), "api"), f"{module} has no api (routing.Api)"
    for ref in (*area.retry_handlers.values(), *area.enrolment, *area.seeds, *(j.handler for j in area.jobs)):
        assert callable(resolve(ref)), ref
    for hooks in area.followups.values():
        for ref in (hooks.settle, hooks.compensate, hooks.describe, hooks.exhausted):
            assert ref is None or callable(resolve(ref)), ref


def test_every_error_code_raised_is_in_the_catalogue():
    raised: dict[str, str] = {}
    for path in _sources(LIB):
        for code in re.findall(r"AppError\(\s*\"([a-z0-9_]+)\"", path.read_text(encoding="utf-8")):
            raised.setdefault(code, str(path.relative_to(ROOT)))
    unknown = {code: where for code, where in raised.items() if code not in CATALOGUE}
    assert not unknown, f"codes raised but declared by no area or core: {unknown}"


def test_every_notification_template_named_is_in_the_catalogue():
    named: dict[str, str] = {}
    for path in _sources(LIB):
        for template in re.findall(r"notifications\.put_in\(\s*\w+,\s*[\w.]+,\s*\"([a-z0-9_]+)\"",
                                   path.read_text(encoding="utf-8")):
            named.setdefault(template, str(path.relative_to(ROOT)))
    assert named, "the pattern found no notification at all: it no longer matches how areas send them"
    unknown = {template: where for template, where in named.items() if template not in TEMPLATES}
    assert not unknown, f"templates named but declared by no area's notices nor the core: {unknown}"


def test_the_areas_depend_on_each_other_without_a_circle():
    """An area may use another's code, never both ways round (directly or through others): a lower area that needs
    something of a higher one asks the core for a port that the higher one fills (e.g. ``core/overlay.py``)."""
    uses: dict[str, set[str]] = {}
    for path in _sources(LIB):
        area = _area_of("chalicelib." + ".".join(path.relative_to(LIB).with_suffix("").parts))
        if area is None:
            continue
        uses.setdefault(area, set()).update(
            other for other in map(_area_of, _imports(path)) if other is not None and other != area)

    def circle_from(start: str, at: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        for other in sorted(uses.get(at, ())):
            if other == start:
                return (*trail, other)
            if other not in trail:
                found = circle_from(start, other, (*trail, other))
                if found:
                    return found
        return None

    circles = [c for area in sorted(uses) if (c := circle_from(area, area, (area,)))]
    assert not circles, f"areas that use each other: {circles[0]}"


def _imports_from_other_areas(path: Path, area: str) -> list[tuple[int, str]]:
    """``(line, what)`` of every import in ``path`` that reaches into another area, functions' own imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _area_of(alias.name) not in (None, area)]
        elif isinstance(node, ast.ImportFrom) and node.module and _area_of(node.module) not in (None, area):
            if node.module.count(".") == 1:  # ``from chalicelib.points import public as points``
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_module" and node.args
              and isinstance(node.args[0], ast.Constant) and _area_of(str(node.args[0].value)) not in (None, area)):
            found.append((node.lineno, str(node.args[0].value)))  # ``lazy_module("chalicelib.points.public")``
    return found


def test_an_area_uses_another_only_through_its_front_door():
    """What another area may use is in its ``public.py`` (or its manifest ``AREA``): a reach into any other module
    of another area is refused here, so that an area's inside can change without breaking its neighbours."""
    wrong = []
    for path in _sources(LIB):
        area = _area_of("chalicelib." + ".".join(path.relative_to(LIB).with_suffix("").parts))
        if area is None:
            continue
        for line, module in _imports_from_other_areas(path, area):
            if module.split(".")[2:] not in (["public"], ["AREA"]):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "imports past another area's front door (use chalicelib.<area>.public):\n" + "\n".join(wrong)


def test_a_front_door_opens_onto_its_own_area_only():
    """A ``public.py`` names its own area's things: it imports nothing of another area (no door behind a door)."""
    doors = sorted(LIB.glob("*/public.py"))
    assert doors, "no area has a front door"
    wrong = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if _area_of(m) not in (None, p.parent.name))
             for p in doors}
    assert not any(wrong.values()), wrong


def test_settings_are_read_in_the_config_module_only():
    """One place names every setting the code reads (``core/config.py``): no module reads the environment itself."""
    reads = re.compile(r"\bos\.(environ|getenv)\b|\bfrom os import (environ|getenv)\b")
    wrong = [f"{p.relative_to(ROOT)}:{n}" for p in [*_sources(LIB), ROOT / "app.py"] if p != LIB / "core" / "config.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if reads.search(line)]
    assert not wrong, f"settings read outside chalicelib/core/config.py: {wrong}"


def _door_names(door: Path) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """``(name -> home module of its TYPE_CHECKING import, NAMES)`` of a front door, read from its source."""
    tree = ast.parse(door.read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module, ast.unparse(imp)
                home = imp.module.removeprefix(f"chalicelib.{door.parent.name}.")
                typed.update({alias.name: home for alias in imp.names})
    module = importlib.import_module(f"chalicelib.{door.parent.name}.public")
    return typed, module.NAMES


@pytest.mark.parametrize("door", sorted(LIB.glob("*/public.py")), ids=lambda p: p.parent.name)
def test_a_front_door_names_each_name_once_with_its_home_and_what_it_is_for(door: Path):
    """What mypy checks (the ``TYPE_CHECKING`` imports) is what the door hands out at run time (``NAMES``), each
    name from the module it lives in, with a line saying what it is for."""
    typed, names = _door_names(door)
    assert typed == {name: home for name, (home, _) in names.items()}
    for name, (home, why) in names.items():
        assert why.strip() and len(why) <= 120, f"{name}: say in one line what it is for"
        assert hasattr(importlib.import_module(f"chalicelib.{door.parent.name}.{home}"), name), f"{home} has no {name}"


def test_importing_a_front_door_loads_nothing_behind_it():
    """A door is free until a name is used: the app's cold start does not pay for an area's use cases because a
    route module asked a door for one example or schema."""
    doors = sorted(f"chalicelib.{p.parent.name}.public" for p in LIB.glob("*/public.py"))
    probe = (f"import sys\nfor d in {doors!r}: __import__(d.rsplit('.', 1)[0])\n"  # the areas' manifests first
             "before = set(sys.modules)\n"
             f"for d in {doors!r}: __import__(d)\n"
             "print(sorted(m for m in set(sys.modules) - before if m.startswith('chalicelib.')\n"
             "             and not m.startswith('chalicelib.core.') and not m.endswith('.public')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_core_imports_no_area():
    wrong = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if _area_of(m))
             for p in _sources(LIB / "core")}
    assert not {k: v for k, v in wrong.items() if v}


@pytest.mark.parametrize("module", RULES_MODULES)
def test_rules_modules_import_no_aws_sdk_nor_framework(module: str):
    heavy = {m for m in _imports(LIB / module) if m.split(".")[0] in ("boto3", "botocore", "pynamodb", "chalice")}
    assert not heavy, f"{module} imports {sorted(heavy)}"


@pytest.mark.slow
def test_the_web_framework_is_imported_only_by_the_http_layer():
    wrong = [str(p.relative_to(ROOT)) for p in _sources(LIB)
             if any(m.split(".")[0] == "chalice" for m in _imports(p))
             and not CHALICE_ALLOWED.match(str(p.relative_to(ROOT)))]
    assert not wrong, f"chalice imported outside app.py and chalicelib/core/http/: {wrong}"


@pytest.mark.slow
def test_use_cases_return_results_not_http_replies():
    """Only the routes (an area's ``http/``) and the core's HTTP layer know statuses and headers."""
    wrong = [str(p.relative_to(ROOT)) for p in _sources(LIB)
             if p.parent.name != "http"
             and "chalicelib.core.http.routing.Reply" in _imports(p)]
    assert not wrong, f"use cases importing Reply: {wrong}"


@pytest.mark.slow
def test_the_lazily_loaded_modules_of_a_route_module_are_the_ones_it_type_checks():
    """``if TYPE_CHECKING: from X import m`` / ``else: m = lazy_module("X.m")``: mypy checks the first branch only,
    so the second must name exactly the same modules (a drift would be a NameError on the first request). (A front
    door's ``TYPE_CHECKING`` names are checked against its ``NAMES`` by the test of the doors.)"""
    for path in _sources(LIB):
        if path.name == "public.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                continue
            checked = {f"{imp.module}.{alias.name}": alias.asname or alias.name
                       for imp in node.body if isinstance(imp, ast.ImportFrom) for alias in imp.names}
            loaded = {call.value.args[0].value: call.targets[0].id
                      for call in node.orelse
                      if isinstance(call, ast.Assign) and isinstance(call.value, ast.Call)
                      and getattr(call.value.func, "id", "") == "lazy_module"}
            assert checked == loaded, f"{path.relative_to(ROOT)}: type-checked {checked}, loaded {loaded}"


# The floor plan's HTTP layer: an area's routes live in ``http/<audience>.py`` (models beside them in
# ``<audience>_schemas.py``, or ``schemas.py`` where audiences share them), and a route's path says its audience.
AUDIENCE_PATHS = {
    "admin": ("/v1/admin/",),
    "agent": ("/v1/agent/",),
    "integrations": ("/v1/integrations/", "/v1/partners/"),
    "dev": ("/v1/dev/",),
    "staff": ("/v1/staff/", "/v1/agent/"),  # every staff role: signing in, the console's shell
    "static": ("/console",),
}
ROUTE = re.compile(r'^@api\.route\(\s*"([^"]+)"', re.M)


def _audience_of(path: str, module: str) -> bool:
    if module == "member":
        return not any(path.startswith(p) for prefixes in AUDIENCE_PATHS.values() for p in prefixes)
    return path.startswith(AUDIENCE_PATHS[module])


def test_routes_live_in_their_audiences_module():
    misplaced, outside = [], []
    for source in _sources(LIB):
        rel = source.relative_to(LIB)
        paths = ROUTE.findall(source.read_text(encoding="utf-8"))
        if not paths or rel.parts[0] == "core":
            continue
        if len(rel.parts) != 3 or rel.parts[1] != "http" or rel.stem not in ("member", *AUDIENCE_PATHS):
            outside.append(str(rel))
            continue
        misplaced += [f"{rel}: {p}" for p in paths if not _audience_of(p, rel.stem)]
    assert not outside, f"routes outside http/<audience>.py: {outside}"
    assert not misplaced, f"routes in another audience's module: {misplaced}"


def test_an_areas_http_folder_holds_audiences_and_their_models():
    allowed = {"__init__", "schemas", *(a for aud in ("member", *AUDIENCE_PATHS) for a in (aud, f"{aud}_schemas"))}
    strays = [str(p.relative_to(LIB)) for p in LIB.glob("*/http/*.py")
              if p.parts[-3] != "core" and p.stem not in allowed]
    assert not strays, f"the http folder holds audiences and their models only: {strays}"


@pytest.mark.parametrize("area", AREA_IDS)
def test_a_manifest_names_the_audiences_its_http_folder_serves(area: Area):
    served = {p.stem for p in (LIB / area.name / "http").glob("*.py") if ROUTE.search(p.read_text(encoding="utf-8"))}
    assert set(area.routes) == served, f"{area.name}: routes={area.routes}, http/ serves {sorted(served)}"
