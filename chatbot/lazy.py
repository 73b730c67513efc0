"""Packages whose exports load on first use, so that importing one submodule stays cheap.

``chatbot --help`` imports each part's ``commands`` module, which imports its package first:
``from chatbot.privacy import Pseudonymiser`` must keep working without every import of
``chatbot.privacy.commands`` loading spaCy.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any


class LazyPackage(ModuleType):
    """A package whose ``_LAZY`` names (name -> submodule) are imported when first read."""

    _LAZY: dict[str, str]

    def __getattr__(self, name: str) -> Any:  # only called when the name is not set yet
        submodule = self.__dict__.get("_LAZY", {}).get(name)
        if submodule is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{self.__name__}.{submodule}"), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets the package attribute of its name: when the package
        # exports a function of that name (``chatbot.guard.normalise``, ``chatbot.knowledge
        # .check``), keep the function, as an eager ``from .normalise import normalise`` did.
        if (
            isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
            and self.__dict__.get("_LAZY", {}).get(name) == name
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: dict[str, str]) -> None:
    """Make PACKAGE (a ``__name__``) load each of EXPORTS (name -> submodule) on first use."""
    module = sys.modules[package]
    module.__dict__["_LAZY"] = dict(exports)
    module.__class__ = LazyPackage
