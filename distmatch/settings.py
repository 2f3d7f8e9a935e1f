"""Every run setting, declared once: its type and range, its default, its help text and where a user
may give it. One validation for every run setting, shared by ``run``, ``--set``, sweep specs,
config files read back from disk and the Python API.

Each :class:`Setting` declares a type and a range chosen so that every number stays finite through
training (seeds fit a 64-bit generator after the evaluation-seed arithmetic, bandwidths keep
1/(2σ²) finite in float32, sizes fit in memory). Values are honoured as given or refused — never
replaced by a default.

Who reads the declaration:

- ``distmatch run``: :func:`distmatch.cli.setting_options` generates one option per user-facing
  setting, in the order of :data:`SETTINGS` (so the order here is the order of ``run --help``):
  the name (``batch_size`` -> ``--batch-size``), the click type with the range or choices below,
  ``is_flag`` for bool settings, the default (shown in help when it is not None) and the help
  text. Options that are not settings (``--config``, ``--out``, ...) stay hand-written in cli.py.
- :class:`distmatch.config.RunConfig`: one field per setting, whose default is
  ``settings.default_of(name)``. The fields stay written out (not generated with
  ``dataclasses.make_dataclass``) so that config.py stays readable and a type checker sees every
  field with its type; the default is owned here, so the two cannot disagree, and
  tests/test_settings_declarations.py checks that the fields and :data:`SETTINGS` name the same
  settings.

Adding a run setting = one :class:`Setting` entry here + one ``RunConfig`` field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_SEED = 2**32 - 1  # seed * 1_000_003 + step stays below 2**63
MAX_SEEDS = 100_000  # seeds in one sweep

# Where a setting may be given (Setting.where):
WHERE = {
    "run": "a `distmatch run` option generated from this entry (help required), and everywhere below",
    "objective": "a `distmatch run` option whose default and help the objectives that read it declare "
                 "(Objective.options); type and range from this entry",
    "file": "config files, sweep specs, --set and the Python API only (no `run` option)",
    "derived": "filled in by resolve, never by a user",
}


class SettingError(ValueError):
    """A setting has the wrong type or is out of range; the message names it and what is accepted."""


@dataclass(frozen=True)
class Setting:
    """Type and accepted range of one setting, its default and its help text.

    ``low_open``: the lower bound itself is refused. ``optional``: None is allowed (= resolve picks
    the default for the objective and data); exactly the optional settings default to None.
    ``help``: the ``run`` option's help text; a default that depends on the run is described in
    it in brackets (``[= --lr]``), a fixed default is shown by click (``[default: 0]``).
    ``registry``: the choices are the names of a registry (``objectives``, ``presets``), checked by
    config.py. ``is_dir``: a folder (the ``run`` option refuses a file).
    """

    kind: type  # int, float, str, bool, list (of positive floats), tuple (of floats)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False  # None allowed (= use the default)
    length: int | None = None  # tuples
    default: Any = None  # RunConfig's default, and the `run` option's
    help: str | None = None
    where: str = "run"  # see WHERE
    registry: str | None = None
    is_dir: bool = False

    def __post_init__(self) -> None:
        if self.where not in WHERE:
            raise ValueError(f"Setting.where must be one of {', '.join(WHERE)}, got {self.where!r}")
        if self.where == "run" and not self.help:
            raise ValueError("a setting that is a `run` option needs its help text")
        if (self.default is None) != self.optional:
            raise ValueError("exactly the optional settings default to None")
        if not isinstance(self.default, (type(None), bool, int, float, str)):
            raise TypeError(f"a setting's default must be None, a bool, a number or text, got {self.default!r}")

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind in (int, float):
            low = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
            high = "" if self.high is None else f"<= {self.high:g}"
            word = "an integer" if self.kind is int else "a number"
            return f"{word} {' and '.join(p for p in (low, high) if p)}".strip()
        if self.kind is list:
            return f"a list of numbers in [{self.low:g}, {self.high:g}]"
        if self.kind is tuple:
            return f"{self.length} numbers in [{self.low:g}, {self.high:g})"
        if self.kind is bool:
            return "true or false"
        return "text"


def _choices(*names: str, default: str | None = None, **more: Any) -> Setting:
    """A text setting with fixed choices; without a default it is optional (None: chosen per run)."""
    return Setting(str, choices=names, default=default, optional=default is None, **more)


# The order is that of `distmatch run --help`. Objectives and presets are checked against their
# registries by config.py.
SETTINGS: dict[str, Setting] = {
    # what to train, on what
    "objective": Setting(str, default="mmd", registry="objectives", help="Training objective (see `distmatch list`)."),
    "dataset": Setting(str, default="8gaussians",
                       help="Toy name, image name, or a .npy/.csv file of points (rows = points)."),
    "seed": Setting(int, 0, MAX_SEED, default=0, help="Seed for all randomness."),
    "steps": Setting(int, 1, 10**9, optional=True,
                     help="Total generator steps (default per objective; resume counts from 0)."),
    "batch_size": Setting(int, 1, 2**20, optional=True, help="Batch size for real and generated batches."),
    "noise": _choices("uniform", "gaussian", default="gaussian",
                      help="Noise distribution: uniform on [-1, 1] or standard normal."),
    "noise_dim": Setting(int, 1, 65536, optional=True,
                         help="Noise dimension [points: the data dimension, images: 32]."),
    "model": _choices("mlp", "dcgan", help="Model family [points: mlp, images: dcgan]."),
    "width": Setting(int, 1, 65536, optional=True,
                     help="Hidden units (MLP) or base channels (DCGAN) [toy: 128; images: 32 for 8x8, 64 for 28x28, "
                          "mlp 256]."),
    "depth": Setting(int, 1, 64, optional=True, help="Hidden layers of the MLPs [3]."),
    # optimisation
    "optimizer": _choices("adam", "rmsprop", "sgd", help="Optimiser [from the objective's paper]."),
    "lr": Setting(float, 0, 10, low_open=True, optional=True,
                  help="Generator learning rate [from the objective's paper]."),
    "critic_lr": Setting(float, 0, 10, low_open=True, optional=True, help="Critic learning rate [= --lr]."),
    "betas": Setting(tuple, 0, 1, optional=True, length=2, where="file",
                     help="Adam's (β1, β2) [from the objective's paper]."),
    "critic_steps": Setting(int, 0, 1000, optional=True, help="Critic updates per generator update [paper value]."),
    "lr_schedule": _choices("constant", "cosine",
                            help="Learning-rate schedule [mmd: cosine decay to 0; others: constant]."),
    # objective options: default and help from the objectives that read them (Objective.options)
    "bandwidths": Setting(list, 1e-12, 1e12, optional=True, where="objective"),
    "clip": Setting(float, 0, 1e3, low_open=True, optional=True, where="objective"),
    "gp_weight": Setting(float, 0, 1e6, optional=True, where="objective"),
    "blur": Setting(float, 1e-6, 1e6, optional=True, where="objective"),
    "mmd_estimator": _choices("biased", "unbiased", default="biased", where="file",
                              help="MMD² estimator of mmd, mmd-gan and gmmn-ae: biased (V-statistic) or unbiased."),
    "bandwidth_source": Setting(str, default="", where="derived",
                                help="How the bandwidths were chosen: user, or the objective's rule."),
    # the PacGAN protocol (distmatch/presets/pacgan.yaml): packing, maxout critic, fixed training set
    "preset": Setting(str, optional=True, registry="presets",
                      help="Settings of a published protocol, applied before the other options "
                           "(pacgan: PacGAN's toy protocol, docs/protocols.md)."),
    "pack": Setting(int, 1, 64, default=1,
                    help="Samples the critic judges at once (PacGAN packing; --batch-size counts packs)."),
    "critic": _choices("default", "maxout", default="default",
                       help="Critic architecture: default (the --model family's) or maxout (PacGAN's maxout MLP)."),
    "maxout_pieces": Setting(int, 2, 64, default=5, help="Pieces per maxout unit (--critic maxout)."),
    "critic_width": Setting(int, 1, 65536, optional=True, help="Critic hidden units / base channels [= --width]."),
    "critic_depth": Setting(int, 1, 64, optional=True, help="Critic hidden layers [= --depth]."),
    "generator_norm": _choices("none", "batch", default="none",
                               help="Batch norm in the MLP generator's hidden layers (PacGAN: batch)."),
    "init_std": Setting(float, 0, 1, low_open=True, optional=True,
                        help="Initialise weights ~ N(0, std²), biases 0 [torch's default; DCGAN: 0.02]."),
    "update": _choices("alternating", "simultaneous", default="alternating",
                       help="alternating: critic steps, then a generator step on new batches; simultaneous: both "
                            "on one batch (PacGAN, ALI)."),
    "train_samples": Setting(int, 1, 10**7, optional=True,
                             help="Train on a fixed set of N data points drawn once, in epochs [fresh draws every "
                                  "batch]."),
    # evaluation, checkpoints, where and how to run
    "eval_every": Setting(int, 1, 10**9, optional=True, help="Evaluate and log every N steps [250]."),
    "checkpoint_every": Setting(int, 1, 10**9, optional=True, help="Checkpoint every N steps [= --eval-every]."),
    "eval_samples": Setting(int, 10, 200_000, default=2500, help="Samples per evaluation."),
    "final_metrics": _choices("cheap", "all", default="cheap",
                              help="Metrics at the end: cheap = those logged during training; all adds the Sinkhorn "
                                   "divergence and exact W1/W2 (points; seconds each; `distmatch eval` adds them "
                                   "later)."),
    "data_dir": Setting(str, optional=True, is_dir=True,
                        help="Folder holding MNIST/Fashion-MNIST IDX files [$DISTMATCH_DATA/<name>, default "
                             "~/.cache/distmatch/data/<name>; see `distmatch data fetch`]."),
    "device": _choices("auto", "cpu", "cuda", default="auto", help="Where to train; auto picks CUDA when present."),
    "threads": Setting(int, 0, 1024, optional=True,
                       help="Torch CPU threads [toy and images up to 16x16: 1 (fastest); larger images: 0 = all]."),
    "tensorboard": Setting(bool, default=False,
                           help="Also log every evaluation to <run>/tensorboard (pip install "
                                "'distmatch[tensorboard]')."),
    "dataset_id": Setting(str, optional=True, where="derived",
                          help="Full identity of the data (distmatch.data.identity)."),
}


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


DERIVED = tuple(k for k, s in SETTINGS.items() if s.where == "derived")  # set by resolve, never by a user
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
