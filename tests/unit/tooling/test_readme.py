"""The README stays the entry a newcomer reads in ten minutes, and every page it sends them to exists.

README.md is the overview (under 250 lines); the depth lives in each area's own README.md and in docs/. These fail
when the overview grows past its budget, when an area of the manifest list (``chalicelib.areas.AREAS``) has no
README or is not linked from the overview, or when a relative link (a file, or a heading in a Markdown file) in
README.md, docs/*.md or an area's README points nowhere.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from chalicelib.areas import AREAS


def _root() -> Path:
    here = Path(__file__).resolve()
    return next(p for p in here.parents if (p / "pyproject.toml").exists() and (p / "chalicelib").is_dir())


ROOT = _root()
README = ROOT / "README.md"
MAX_LINES = 250
LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def _area_folders() -> dict[str, Path]:
    """Each manifest of AREAS -> the package folder it is declared in (whatever the area calls itself)."""
    folders: dict[str, Path] = {}
    for area in AREAS:
        owners = [name for name, module in list(sys.modules.items())
                  if name.startswith("chalicelib.") and name.count(".") == 1
                  and getattr(module, "AREA", None) is area]
        assert len(owners) == 1, f"area {area.name!r}: declared by {owners or 'no package'}"
        folders[area.name] = ROOT / "chalicelib" / owners[0].split(".")[1]
    return folders


def _documents() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "chalicelib").glob("*/README.md"))]


def _links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every Markdown link and image outside code blocks and inline code."""
    found: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        prose = re.sub(r"`[^`]*`", "", line)
        found += [(number, match.group(1)) for match in LINK.finditer(prose)]
    return found


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def test_readme_stays_short() -> None:
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_LINES, (
        f"README.md has {lines} lines (budget: under {MAX_LINES}): move the depth into the area's README.md or docs/")


def test_every_area_has_a_readme_linked_from_the_overview() -> None:
    linked = {(README.parent / target.split("#")[0]).resolve() for _, target in _links(README)
              if not re.match(r"[a-z]+:", target)}
    folders = {"core": ROOT / "chalicelib" / "core", **_area_folders()}
    missing = [f"{name}: {folder.relative_to(ROOT)}/README.md" for name, folder in folders.items()
               if not (folder / "README.md").is_file()]
    unlinked = [name for name, folder in folders.items() if (folder / "README.md").resolve() not in linked]
    assert not missing, f"areas without a README.md: {missing}"
    assert not unlinked, f"areas whose README.md the top README.md does not link: {unlinked}"


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_something(document: Path) -> None:
    broken = []
    for number, target in _links(document):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        destination = (document.parent / file_part).resolve() if file_part else document
        if not destination.exists():
            broken.append(f"line {number}: {target} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"line {number}: {target} (no such heading in {destination.name})")
    assert not broken, f"{document.relative_to(ROOT)}: broken links: {broken}"


def test_the_checks_see_what_they_check() -> None:
    """The link parser finds a link, an image and a heading anchor; a link inside code is not one."""
    sample = ROOT / "README.md"
    assert any(target.endswith(".png") for _, target in _links(sample)), "README.md embeds no screenshot"
    assert _slug("The bounded member read (`identity/member.py`)") == "the-bounded-member-read-identitymemberpy"
    assert len(_area_folders()) == len(AREAS)
