"""The member partition stays small: every sort key an area keeps under the bounded ``M#`` prefix is declared in
its manifest (``Area.member_kinds``) with why its count is bounded, or is an old-layout kind the migration moves
(``Area.moved_kinds``). A new ``"M#..."`` key in the code without either fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.areas import AREAS
from chalicelib.core.dynamo import member_layout

LIB = Path(__file__).resolve().parents[3] / "chalicelib"
M_KEY = re.compile(r"""["']M#([A-Z][A-Z0-9_]*#?)""")


def _declared() -> dict[str, str]:
    out: dict[str, str] = {}
    for area in AREAS:
        out.update(area.member_kinds)
    return out


def _moved() -> dict[str, str]:
    out = dict(member_layout.CORE_MOVED)
    for area in AREAS:
        out.update(area.moved_kinds)
    return out


def _covered(key: str) -> bool:
    return any(key == k or (k.endswith("#") and key.startswith(k)) for k in (*_declared(), *_moved()))


@pytest.mark.parametrize("path", sorted(LIB.rglob("*.py")), ids=lambda p: str(p.relative_to(LIB)))
def test_every_key_under_the_bounded_prefix_is_declared(path: Path) -> None:
    if path.name == "__init__.py" and path.parent != LIB:  # the manifests themselves
        return
    text = path.read_text(encoding="utf-8")
    undeclared = sorted({f"M#{m}" for m in M_KEY.findall(text) if not _covered(f"M#{m}")})
    assert not undeclared, (f"{path.relative_to(LIB)} keys items under the member's bounded M# prefix without a "
                            f"declaration: add them to the area's member_kinds with why their count is bounded "
                            f"(or key a growing kind under H#): {undeclared}")


def test_every_declared_kind_says_why_it_is_bounded() -> None:
    for key, why in _declared().items():
        assert key.startswith("M#") and len(why.strip()) >= 10, f"{key}: say why its count is bounded"


def test_moved_kinds_go_from_the_bounded_prefix_to_the_history_prefix() -> None:
    for old, new in _moved().items():
        assert old.startswith("M#") and new == member_layout.history_key(old), (old, new)
        assert old not in _declared(), f"{old} is declared bounded and moved at once"


def test_the_contract_catches_an_undeclared_kind() -> None:
    assert not _covered("M#SOMETHINGNEW#")
    assert _covered("M#BUCKET#2027-01-01") and _covered("M#PROFILE") and _covered("M#IDEM#")
