"""Modules loaded on first use, so that a cold start pays only for what the request it serves needs.

``lazy_module("chalicelib.points.member_views")`` puts the module in ``sys.modules`` at once (so every later import of
it finds the same object) and runs its body on the first attribute access (``importlib.util.LazyLoader``). The
routes use it for their use cases: importing the app registers every route without loading every area's code.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


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
