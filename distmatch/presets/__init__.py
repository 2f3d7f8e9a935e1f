"""Presets: plain YAML files of run settings shipped with the package (``distmatch/presets/*.yaml``).

A preset is applied before the command line: ``distmatch run --preset pacgan --pack 2`` takes
every setting of ``pacgan.yaml`` except those given as options (or in ``--config``), and the
run's config records ``preset: pacgan`` with the settings it resolved to. Sweep specs take
``preset`` in their ``run_options`` (the grid's axes — objective, dataset, seed — stay the spec's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..settings import SettingError

PRESET_DIR = Path(__file__).parent


def names() -> list[str]:
    """The shipped presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def check_name(name: str) -> str:
    if name not in names():
        raise SettingError(f"preset: unknown preset {name!r}; choose one of {', '.join(names())}")
    return name


def load(name: str) -> dict[str, Any]:
    """The validated settings of preset ``name`` (``preset`` itself included)."""
    from .. import io
    from ..settings import run_file_options

    path = PRESET_DIR / f"{check_name(name)}.yaml"
    return {**run_file_options(io.read_settings_file(path), f"preset {name}"), "preset": name}


def apply(settings: dict[str, Any], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """``settings`` over the preset they name (if any): a setting given explicitly always wins;
    the preset's keys in ``exclude`` (a sweep's grid axes) are left out."""
    name = settings.get("preset")
    if not name:
        return dict(settings)
    preset = {k: v for k, v in load(name).items() if k not in exclude}
    return {**preset, **settings}
