"""Click pieces the commands share: ``run``'s options generated from the settings declarations
(:data:`~distmatch.settings.SETTINGS`), a comma-separated-numbers callback, and dataset loading
whose user errors are one-line click errors."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import click
import numpy as np

from .data import DataError, get_dataset
from .objectives import OBJECTIVES
from .presets import names as preset_names
from .settings import SETTINGS, Setting, click_range


def float_list(ctx, param, value: str | None, spec: Setting | None = None) -> list[float] | None:
    """Parse '0.1,0.2,0.4' into positive floats in the range of ``spec`` (default: bandwidths)."""
    if value is None:
        return None
    try:
        vals = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None
    spec = SETTINGS["bandwidths"] if spec is None else spec
    low, high = spec.low, spec.high
    if not vals or any(not np.isfinite(v) or v <= 0 for v in vals):
        raise click.BadParameter(f"expected positive finite numbers, got {value!r}")
    if any(not low <= v <= high for v in vals):
        raise click.BadParameter(f"each value must lie in [{low:g}, {high:g}], got {value!r}")
    return vals


def load_dataset(name: str, data_dir: str | None, seed: int = 0):
    """get_dataset with user errors turned into one-line click errors."""
    try:
        return get_dataset(name, data_dir, seed)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None


REGISTRIES = {"objectives": lambda: list(OBJECTIVES), "presets": preset_names}  # Setting.registry -> names


def setting_options(settings: Mapping[str, Setting] | None = None):
    """The ``run`` options of every user-facing setting of ``settings`` (default
    :data:`~distmatch.settings.SETTINGS`), in declaration order: name, type, range or choices,
    default and help from its :class:`~distmatch.settings.Setting`; for the options objectives
    declare (``Objective.options``) the default and help come from the objectives that read it."""
    from .objectives import option_declarations

    settings = SETTINGS if settings is None else settings
    declared = option_declarations()

    def decorate(command):
        for name, spec in reversed(list(settings.items())):
            if spec.where == "run":
                command = _setting_option(name, spec)(command)
            elif spec.where == "objective" and name in declared:
                default, helps = declared[name]
                text = "; ".join(f"{objective}: {help_}" for objective, help_ in helps)
                shown = f" [default: {default:g}]" if isinstance(default, float) else ""
                command = _setting_option(name, spec, text + shown)(command)
        return command

    return decorate


def _setting_option(name: str, spec: Setting, help_: str | None = None):
    """The click option of setting ``name``: ``--name-with-dashes`` (a bool setting: a
    flag, ``--x/--no-x`` when it defaults to true), its type with the range or choices, its
    default (shown in help unless None) and its help."""
    flag = f"--{name.replace('_', '-')}"
    kwargs: dict = {"help": spec.help if help_ is None else help_}
    if spec.kind is bool:
        if spec.default:
            return click.option(f"{flag}/--no-{flag[2:]}", default=True, show_default=True, **kwargs)
        return click.option(flag, is_flag=True, **kwargs)
    if spec.kind is list:
        kwargs["callback"] = partial(float_list, spec=spec)
    elif spec.kind in (int, float):
        kwargs["type"] = click_range(name, spec)
    elif spec.registry:
        kwargs["type"] = click.Choice(REGISTRIES[spec.registry]())
    elif spec.choices:
        kwargs["type"] = click.Choice(spec.choices)
    elif spec.is_dir:
        kwargs["type"] = click.Path(file_okay=False)
    elif spec.kind is not str:
        raise TypeError(f"{name}: a {spec.kind.__name__} setting has no `run` option (declare it where='file')")
    if spec.default is not None:
        kwargs.update(default=spec.default, show_default=True)
    return click.option(flag, **kwargs)
