"""Every run setting, declared once: its type and range, its default, its help text, where a user
may give it and whether it may change on resume (:class:`Setting`, the table :data:`SETTINGS`).
Reading and checking values against these declarations: :mod:`distmatch.settings`.

Each :class:`Setting` declares a type and a range chosen so that every number stays finite through
training (seeds fit a 64-bit generator after the evaluation-seed arithmetic, bandwidths keep
1/(2σ²) finite in float32, sizes fit in memory). Values are honoured as given or refused — never
replaced by a default.

Who reads the declaration (besides :mod:`distmatch.settings`' validation):

- ``distmatch run``: :func:`distmatch.cli_options.setting_options` generates one option per user-facing
  setting, in the order of :data:`SETTINGS` (so the order here is the order of ``run --help``):
  the name (``batch_size`` -> ``--batch-size``), the click type with the range or choices below,
  ``is_flag`` for bool settings, the default (shown in help when it is not None) and the help
  text. Options that are not settings (``--config``, ``--out``, ...) stay hand-written in run_cli.py.
- :class:`distmatch.config.RunConfig`: one field per setting, whose default is
  ``settings.default_of(name)``. The fields stay written out (not generated with
  ``dataclasses.make_dataclass``) so that config.py stays readable and a type checker sees every
  field with its type; the default is owned here, so the two cannot disagree, and
  tests/test_settings_declarations.py checks that the fields and :data:`SETTINGS` name the same
  settings.

- :func:`distmatch.config.resolve` and ``RunConfig.differences``: the choices of ``lr_schedule``
  (:data:`LR_SCHEDULES`) and the settings that may change on resume (:data:`RUNTIME`).

Adding a run setting = one :class:`Setting` entry here + one ``RunConfig`` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_SEED = 2**32 - 1  # seed * 1_000_003 + step stays below 2**63

# Where a setting may be given (Setting.where):
WHERE = {
    "run": "a `distmatch run` option generated from this entry (help required), and everywhere below",
    "objective": "a `distmatch run` option whose default and help the objectives that read it declare "
                 "(Objective.options); type and range from this entry",
    "file": "config files, sweep specs, --set and the Python API only (no `run` option)",
    "derived": "filled in by resolve, never by a user",
}


@dataclass(frozen=True)
class Setting:
    """Type and accepted range of one setting, its default and its help text.

    ``low_open``: the lower bound itself is refused. ``optional``: None is allowed (= resolve picks
    the default for the objective and data); exactly the optional settings default to None.
    ``help``: the ``run`` option's help text; a default that depends on the run is described in
    it in brackets (``[= --lr]``), a fixed default is shown by click (``[default: 0]``).
    ``registry``: the choices are the names of a registry (``objectives``, ``presets``), checked by
    config.py. ``is_dir``: a folder (the ``run`` option refuses a file). ``runtime``: how the run is
    carried out, not what it computes, so it may change on resume (:data:`RUNTIME`).
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
    runtime: bool = False  # may change between an interrupted run and its resumption

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
                     help="Total generator steps (default per objective; resume counts from 0).", runtime=True),
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
    "eval_every": Setting(int, 1, 10**9, optional=True, help="Evaluate and log every N steps [250].", runtime=True),
    "checkpoint_every": Setting(int, 1, 10**9, optional=True, help="Checkpoint every N steps [= --eval-every].",
                                runtime=True),
    "eval_samples": Setting(int, 10, 200_000, default=2500, help="Samples per evaluation."),
    "final_metrics": _choices("cheap", "all", default="cheap", runtime=True,
                              help="Metrics at the end: cheap = those logged during training; all adds the Sinkhorn "
                                   "divergence and exact W1/W2 (points; seconds each; `distmatch eval` adds them "
                                   "later)."),
    "data_dir": Setting(str, optional=True, is_dir=True,
                        help="Folder holding MNIST/Fashion-MNIST IDX files [$DISTMATCH_DATA/<name>, default "
                             "~/.cache/distmatch/data/<name>; see `distmatch data fetch`]."),
    "device": _choices("auto", "cpu", "cuda", default="auto", help="Where to train; auto picks CUDA when present.",
                       runtime=True),
    "threads": Setting(int, 0, 1024, optional=True, runtime=True,
                       help="Torch CPU threads [toy and images up to 16x16: 1 (fastest); larger images: 0 = all]."),
    "tensorboard": Setting(bool, default=False, runtime=True,
                           help="Also log every evaluation to <run>/tensorboard (pip install "
                                "'distmatch[tensorboard]')."),
    "dataset_id": Setting(str, optional=True, where="derived",
                          help="Full identity of the data (distmatch.data.identity)."),
}


DERIVED = tuple(k for k, s in SETTINGS.items() if s.where == "derived")  # set by resolve, never by a user
RUNTIME = tuple(k for k, s in SETTINGS.items() if s.runtime)  # may change between a run and its resumption
LR_SCHEDULES: tuple[str, ...] = SETTINGS["lr_schedule"].choices
