"""Modules imported on first attribute access, so that declarations (objective classes with their
defaults and options) can be read without loading torch: ``from .._lazy import nn, torch``."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


class LazyModule(ModuleType):
    """Stands for the module ``name`` and imports it the first time an attribute is read."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_target"] = name

    def __getattr__(self, attr: str):
        module = import_module(self.__dict__["_target"])
        return getattr(module, attr)


torch = LazyModule("torch")
nn = LazyModule("torch.nn")
F = LazyModule("torch.nn.functional")
