"""The personal-data registry (``core/personal_data.py``) classifies every attribute of every item model."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pynamodb.attributes import UnicodeAttribute

from chalicelib.areas import AREAS
from chalicelib.core.area import Area, resolve
from chalicelib.core.dynamo.items import Item
from chalicelib.core.personal_data import Kind


def _models(area: Area) -> dict[str, type[Item]]:
    """Every item model defined anywhere in the area's package: ``Name`` for its ``models.py``, else
    ``module:Name`` (the registry's key for a model kept beside the code that uses it)."""
    package = importlib.import_module(f"chalicelib.{area.name}")
    found: dict[str, type[Item]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Item) and value.__module__ == module.__name__:
                found[name if info.name == "models" else f"{module.__name__}:{name}"] = value
    return found


def _registry(area: Area) -> dict[str, Kind]:
    return dict(resolve(area.personal_data)) if area.personal_data else {}


def _model(area: Area, key: str) -> type[Item] | None:
    return _models(area).get(key) or (resolve(key) if ":" in key else None)


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.name)
def test_every_item_model_of_an_area_is_in_its_registry(area: Area):
    missing = sorted(set(_models(area)) - set(_registry(area)))
    assert not missing, f"{area.name}: item models the personal-data registry does not declare: {missing}"


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.name)
def test_every_attribute_is_classified_once(area: Area):
    problems = {}
    for key, kind in _registry(area).items():
        model = _model(area, key)
        if model is None:
            problems[key] = ["no such item model"]
            continue
        found = kind.problems(set(model.get_attributes()))
        if kind.finder:
            resolve(kind.finder)  # the finder exists
        if found:
            problems[key] = found
    assert not problems, f"{area.name}: {problems}"


def test_the_rule_catches_an_unclassified_attribute_and_a_keep_without_reason():
    class Probe(Item):
        name = UnicodeAttribute()
        phone = UnicodeAttribute()

    assert Kind(where=("M#X",), erase="name").problems(set(Probe.get_attributes())) == [
        "phone: classified nowhere (erase, keep or plain, exactly once)"]
    assert Kind(where=("M#X",), erase="name phone", plain="phone").problems(set(Probe.get_attributes())) == [
        "phone: classified ['erase', 'plain'] (erase, keep or plain, exactly once)"]
    assert Kind(where=("M#X",), keep="name phone").problems(set(Probe.get_attributes())) == [
        "keep needs the legal reason"]
    assert Kind(erase="name phone").problems(set(Probe.get_attributes())) == [
        "where (sort-key prefixes under CUST#) or a finder is needed"]
    assert Kind(none="configuration").problems(set(Probe.get_attributes())) == []


def test_models_beside_the_code_are_found_too():
    """A model kept outside ``models.py`` (the segments' facts, a job's view of an item) is held to the rule."""
    found = _models(next(a for a in AREAS if a.name == "segments"))
    assert "chalicelib.segments.store:FactsItem" in found
    assert "chalicelib.segments.campaign_models:MyCampaignItem" in found
