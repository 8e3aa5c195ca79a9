"""Modules loaded on first use, so that a cold start pays only for what the request it serves needs.

``lazy_module("chalicelib.points.member_views")`` puts the module in ``sys.modules`` at once (so every later import of
it finds the same object) and runs its body on the first attribute access (``importlib.util.LazyLoader``). The
routes use it for their use cases: importing the app registers every route without loading every area's code.
``front_door`` does the same for the names of an area's ``public.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def front_door(door: str, names: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of an area's front door (``chalicelib.<area>.public``): a name other areas use is
    imported from its home module (``names[name] = (home, what it is for)``) when first asked for, then kept on the
    door. Importing a door costs nothing until then, so a route module that needs one name at start (an example,
    a schema) does not load the area's use cases with it."""
    area = door.rsplit(".", 1)[0]

    def __getattr__(name: str) -> Any:
        entry = names.get(name)
        if entry is None:
            raise AttributeError(f"module {door!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{area}.{entry[0]}"), name)
        setattr(sys.modules[door], name, value)
        return value

    return __getattr__
