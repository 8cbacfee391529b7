"""Package ``__init__`` files that name their API without importing it (PEP 562).

``__getattr__ = lazy_exports(__name__, {"name": "submodule", ...})`` makes ``package.name`` and
``from package import name`` load ``package.submodule`` on first use, so that importing one light
submodule (weights records, sequence finding) does not load torch or motmetrics for the others.
"""
import importlib
from typing import Callable, Dict


def lazy_exports(package: str, exports: Dict[str, str]) -> Callable[[str], object]:
    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__
