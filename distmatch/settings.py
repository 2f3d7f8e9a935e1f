"""Reading and checking run settings against their declarations (:mod:`distmatch.settings_table`):
one validation for every run setting, shared by ``run``, ``--set``, sweep specs, config files read
back from disk and the Python API; settings of one run from a config file; seed lists.

Values are honoured as given or refused — never replaced by a default.
"""

from __future__ import annotations

import math
from typing import Any

from .settings_table import (
    DERIVED,
    LR_SCHEDULES,
    MAX_SEED,
    RUNTIME,
    SETTINGS,
    WHERE,
    Setting,
)

__all__ = ["DERIVED", "LR_SCHEDULES", "MAX_SEED", "MAX_SEEDS", "RUNTIME", "SETTINGS", "WHERE", "Setting",
           "SettingError", "check", "click_range", "coerce", "default_of", "parse_seeds", "run_file_options"]

MAX_SEEDS = 100_000  # seeds in one sweep


class SettingError(ValueError):
    """A setting has the wrong type or is out of range; the message names it and what is accepted."""


def default_of(name: str) -> Any:
    """The declared default of setting ``name`` (RunConfig's field defaults read it)."""
    return SETTINGS[name].default


def check(name: str, value: Any) -> Any:
    """Return ``value`` (tuples and lists normalised) if it is valid for setting ``name``."""
    spec = SETTINGS[name]
    if value is None:
        if spec.optional:
            return None
        raise SettingError(f"{name}: may not be empty; expected {spec.describe()}")
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise SettingError(f"{name}: expected {spec.describe()}, got {value!r}")
        return value
    if spec.kind is int:
        return _check_number(name, spec, _as_int(name, spec, value))
    if spec.kind is float:
        return _check_number(name, spec, _as_float(name, spec, value))
    if spec.kind in (list, tuple):
        return _check_sequence(name, spec, value)
    if not isinstance(value, str):
        raise SettingError(f"{name}: expected {spec.describe()}, got {value!r}")
    if spec.choices and value not in spec.choices:
        raise SettingError(f"{name}: {value!r} is not {spec.describe()}")
    return value


BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def coerce(name: str, value: Any) -> Any:
    """Like :func:`check`, but also reads text (``--set`` values, strings in spec files)."""
    if name not in SETTINGS:
        raise SettingError(f"unknown setting {name!r}")
    spec = SETTINGS[name]
    if isinstance(value, str) and spec.kind is not str:
        text = value.strip()
        if spec.kind is bool:
            value = BOOL_WORDS.get(text.lower(), value)  # anything else is refused by check()
        elif text.lower() in ("none", "null", ""):
            value = None
        elif spec.kind in (list, tuple):
            value = [_parse_float(name, spec, v) for v in text.strip("[]()").split(",") if v.strip()]
        else:
            value = _parse_float(name, spec, text) if spec.kind is float else _parse_int(name, spec, text)
    return check(name, value)


def _parse_float(name: str, spec: Setting, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SettingError(f"{name}: cannot read {text!r} as a number; expected {spec.describe()}") from None


def _parse_int(name: str, spec: Setting, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = _parse_float(name, spec, text)
        return _as_int(name, spec, number)


def _as_int(name: str, spec: Setting, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
        raise SettingError(f"{name}: expected {spec.describe()}, got {value!r}")
    return int(value)


def _as_float(name: str, spec: Setting, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingError(f"{name}: expected {spec.describe()}, got {value!r}")
    return float(value)


def _check_number(name: str, spec: Setting, value: float) -> Any:
    too_low = spec.low is not None and (value <= spec.low if spec.low_open else value < spec.low)
    too_high = spec.high is not None and value > spec.high
    if not math.isfinite(value) or too_low or too_high:
        raise SettingError(f"{name}: {value!r} is out of range; expected {spec.describe()}")
    return value


def _check_sequence(name: str, spec: Setting, value: Any) -> Any:
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise SettingError(f"{name}: expected {spec.describe()}, got {value!r}")
    items = [_as_float(name, spec, v) for v in value]
    high_ok = (lambda v: v < spec.high) if spec.kind is tuple else (lambda v: v <= spec.high)
    if not items or any(not (math.isfinite(v) and spec.low <= v and high_ok(v)) for v in items):
        raise SettingError(f"{name}: {value!r} is out of range; expected {spec.describe()}")
    if spec.length is not None and len(items) != spec.length:
        raise SettingError(f"{name}: expected {spec.describe()}, got {len(items)} numbers")
    return tuple(items) if spec.kind is tuple else items


def click_range(name: str, spec: Setting | None = None):
    """A click parameter type with the range of setting ``name`` (or of ``spec``), so the command
    line refuses what the validation refuses and says so with the option's name."""
    import click

    spec = SETTINGS[name] if spec is None else spec
    if spec.kind is int:
        return click.IntRange(spec.low, spec.high)
    if spec.kind is float:
        return click.FloatRange(spec.low, spec.high, min_open=spec.low_open)
    raise TypeError(f"{name} is not a number setting")


PLURALS = {"objectives": "objective", "datasets": "dataset", "seeds": "seed"}


def run_file_options(data: Any, source: str) -> dict[str, Any]:
    """Settings of one run from a parsed config file, validated.

    Accepts the keys of a sweep spec — ``objectives``, ``datasets``, ``seeds`` (one value each
    here), ``steps`` and a ``run_options`` mapping — as well as any setting at the top level.
    """
    if not isinstance(data, dict):
        raise SettingError(f"{source}: expected a mapping of settings")
    flat = {str(k).replace("-", "_"): v for k, v in data.items() if k != "run_options"}
    nested = data.get("run_options", {}) or {}
    if not isinstance(nested, dict):
        raise SettingError(f"{source}: run_options must be a mapping of settings to values")
    flat.update({str(k).replace("-", "_"): v for k, v in nested.items()})
    out: dict[str, Any] = {}
    for key, value in flat.items():
        name = PLURALS.get(key, key)
        if key in PLURALS:
            value = _single(key, value, source)
        if name not in SETTINGS or name in DERIVED:
            accepted = ", ".join(k for k in SETTINGS if k not in DERIVED)
            raise SettingError(f"{source}: unknown setting {key!r}; accepted: {accepted}, run_options")
        try:
            out[name] = coerce(name, value)
        except SettingError as exc:
            raise SettingError(f"{source}: {exc}") from None
    return out


def _single(key: str, value: Any, source: str) -> Any:
    """One value from a sweep-style list key (a run has one objective, dataset and seed)."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    if len(items) != 1:
        raise SettingError(f"{source}: {key}: a run takes exactly one value, got {value!r} (use `distmatch sweep`)")
    item = items[0]
    return item.strip() if isinstance(item, str) else item


SEEDS_HELP = (f"expected e.g. '0-9', '0,3,5' or a list of integers (0 to {MAX_SEED}, "
              f"at most {MAX_SEEDS:,} seeds)")


def parse_seeds(value: Any) -> list[int]:
    """Seeds from '0-9', '0,3,5', '0-4,7', an int, or a list of ints (0 <= seed <= MAX_SEED), in the
    order given, each once; the one seed-list reader of sweeps and diagnostics."""
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list = [value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise SettingError(f"seeds: {SEEDS_HELP}, got {value!r}")
    seeds: dict[int, None] = {}
    for part in parts:
        lo, hi = _seed_part(part, value)
        if hi - lo + 1 + len(seeds) > MAX_SEEDS:
            raise SettingError(f"seeds: {value!r} gives more than {MAX_SEEDS:,} seeds")
        seeds.update(dict.fromkeys(range(lo, hi + 1)))
    if not seeds:
        raise SettingError(f"seeds: {SEEDS_HELP}, got {value!r}")
    return list(seeds)


def _seed_part(part: Any, whole: Any) -> tuple[int, int]:
    """(low, high) of one seed or inclusive range."""
    bad = SettingError(f"seeds: bad seed or range {part!r} in {whole!r}; {SEEDS_HELP}")
    if isinstance(part, bool) or not isinstance(part, (int, str)):
        raise bad
    text = str(part).strip()
    lo_text, sep, hi_text = text.partition("-")
    try:
        lo, hi = (int(lo_text), int(hi_text)) if sep else (int(text), int(text))
    except ValueError:
        raise bad from None
    if not 0 <= lo <= hi <= MAX_SEED:
        raise bad
    return lo, hi
