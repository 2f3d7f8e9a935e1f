"""Sweep specs: the grid of runs (objectives x datasets x seeds) and the run options they share,
from command-line options or a YAML/TOML/JSON spec file, validated before anything runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import io, settings
from ..objectives import OBJECTIVES

SPEC_KEYS = ("objectives", "datasets", "seeds", "steps", "run_options")
# RunConfig fields a spec may not set: they are the grid axes, belong to the sweep, or are derived.
RESERVED_OPTIONS = ("objective", "dataset", "seed", "threads", "device", "extra", "dataset_id",
                    "bandwidth_source")


class SpecError(ValueError):
    """A malformed sweep spec; the message says what was wrong and what is accepted."""


# --------------------------------------------------------------------------- spec
@dataclass
class SweepSpec:
    """The grid: objectives × datasets × seeds, plus fixed RunConfig options for every run."""

    objectives: list[str]
    datasets: list[str]
    seeds: list[int]
    run_options: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # dataset -> directory name (see dataset_label)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def runs(self) -> list["RunSpec"]:
        """Every run of the grid, objective-major (so a partial sweep covers objectives evenly per seed)."""
        return [RunSpec(o, d, s, dict(self.run_options), self.labels.get(d, ""))
                for s in self.seeds for d in self.datasets for o in self.objectives]


@dataclass
class RunSpec:
    """One run of a sweep."""

    objective: str
    dataset: str
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the dataset's directory name; "" = the dataset string itself

    @property
    def key(self) -> str:
        return f"{self.objective}/{self.label or self.dataset}/s{self.seed}"

    def directory(self, out: Path) -> Path:
        return Path(out) / self.key


def parse_list(value: Any, what: str) -> list[str]:
    """'a,b' or ['a', 'b'] -> ['a', 'b'] (non-empty, no duplicates); anything else is a SpecError."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise SpecError(f"{what}: expected a list of names or a comma-separated string, got {value!r}")
    items = [v for v in items if v]
    if not items:
        raise SpecError(f"{what}: expected a non-empty list, got {value!r}")
    return list(dict.fromkeys(items))


def parse_seeds(value: Any) -> list[int]:
    """:func:`distmatch.settings.parse_seeds`, with its errors as :class:`SpecError`."""
    try:
        return settings.parse_seeds(value)
    except settings.SettingError as exc:
        raise SpecError(str(exc)) from None


def check_objectives(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown:
        raise SpecError(f"unknown objective {unknown[0]!r}; choose from {', '.join(OBJECTIVES)}")
    return names


def check_datasets(names: list[str], data_dir: str | None = None) -> dict[str, str]:
    """Load every dataset once; return its directory label (two names for the same data refused)."""
    from ..data import get_dataset
    from ..data.identity import dataset_identity, dataset_label

    labels: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        try:
            identity = dataset_identity(get_dataset(name, data_dir))
        except (ValueError, OSError) as exc:  # DataError, unreadable file
            raise SpecError(f"dataset {name!r}: {exc}") from None
        if identity in seen:
            raise SpecError(f"datasets {seen[identity]!r} and {name!r} are the same data; list it once")
        seen[identity], labels[name] = name, dataset_label(identity)
    return labels


def coerce_option(key: str, value: Any) -> Any:
    """Check ``key`` is a RunConfig field a sweep may set and validate ``value`` (see settings.py)."""
    if key not in settings.SETTINGS or key in RESERVED_OPTIONS:
        allowed = ", ".join(k for k in settings.SETTINGS if k not in RESERVED_OPTIONS)
        raise SpecError(f"unknown run option {key!r}; accepted: {allowed}")
    try:
        return settings.coerce(key, value)
    except settings.SettingError as exc:
        raise SpecError(f"run option {exc}") from None


def parse_sets(pairs: Iterable[str]) -> dict[str, Any]:
    """['eval_samples=100', 'width=16'] -> {'eval_samples': 100, 'width': 16}."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SpecError(f"--set expects KEY=VALUE (a RunConfig field), got {pair!r}")
        key, value = pair.split("=", 1)
        key = key.strip().replace("-", "_")
        out[key] = coerce_option(key, value.strip())
    return out


def build_spec(objectives: Any, datasets: Any, seeds: Any, run_options: dict | None = None,
               check_data: bool = True) -> SweepSpec:
    """Validate and normalise a spec; raises :class:`SpecError` with a one-line message."""
    opts = {str(k).replace("-", "_"): v for k, v in (run_options or {}).items()}
    opts = expand_preset({k: coerce_option(k, v) for k, v in opts.items()})
    objs = check_objectives(parse_list(objectives, "objectives"))
    dsets = parse_list(datasets, "datasets")
    labels = check_datasets(dsets, opts.get("data_dir")) if check_data else {}
    return SweepSpec(objs, dsets, parse_seeds(seeds), opts, labels)


def expand_preset(options: dict[str, Any]) -> dict[str, Any]:
    """Run options over the preset they name, if any; the preset's grid axes (e.g. its objective)
    are left to the spec."""
    from ..presets import apply

    try:
        return apply(options, exclude=RESERVED_OPTIONS)
    except settings.SettingError as exc:
        raise SpecError(f"run option {exc}") from None


def load_spec_file(path: str | Path) -> SweepSpec:
    """Read a YAML (.yaml/.yml) or TOML (.toml) spec: objectives, datasets, seeds, [steps], [run_options]."""
    path = Path(path)
    data = _read_spec_file(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping with keys objectives, datasets, seeds")
    unknown = [k for k in data if k not in SPEC_KEYS]
    if unknown:
        raise SpecError(f"{path}: unknown key {unknown[0]!r}; accepted keys: {', '.join(SPEC_KEYS)}")
    missing = [k for k in ("objectives", "datasets", "seeds") if k not in data]
    if missing:
        raise SpecError(f"{path}: missing key {missing[0]!r} (required: objectives, datasets, seeds)")
    options = data.get("run_options") or {}
    if not isinstance(options, dict):
        raise SpecError(f"{path}: run_options must be a mapping of RunConfig fields to values")
    if "steps" in data:
        options = {**options, "steps": data["steps"]}
    return build_spec(data["objectives"], data["datasets"], data["seeds"], options)


def _read_spec_file(path: Path) -> Any:
    try:
        return io.read_settings_file(path)
    except io.FileFormatError as exc:
        raise SpecError(str(exc)) from None


