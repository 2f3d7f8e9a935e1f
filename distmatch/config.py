"""One dataclass of run settings, JSON-serialisable, with defaults per dataset kind and objective."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io, settings
from .data import Dataset
from .objectives import OBJECTIVES, objective_class, option_declarations

# Settings that may change between an interrupted run and its resumption (Setting.runtime), and the
# learning-rate schedules (the lr_schedule setting's choices): both declared in distmatch.settings_table.
RUNTIME_FIELDS = settings.RUNTIME
LR_SCHEDULES = settings.LR_SCHEDULES

# Per-dataset-kind defaults (toy / points / image) for fields left as None. Point data (toys and
# files) get noise of the data's own dimension (see resolve): with 8-D noise mmd left 2-3 of the
# 25gaussians modes empty on some seeds (22-25/25 over seeds 0-4); with 2-D noise every GAN
# objective also spreads over more modes (benchmarks/results/toy_sweep.md).
KIND_DEFAULTS: dict[str, dict] = {
    "toy": {"width": 128, "depth": 3, "batch_size": 256, "eval_every": 250, "threads": 1},
    "points": {"width": 128, "depth": 3, "batch_size": 256, "eval_every": 250, "threads": 1},
    "image": {"noise_dim": 32, "depth": 3, "batch_size": 64, "eval_every": 250},  # width, threads: image_defaults
}

DEFAULT_STEPS = {"toy": 2000, "points": 2000, "image": 1500}
MLP_IMAGE_WIDTH = 256  # hidden units of --model mlp on images (GMMN's MLP is 64-256-256-1024)


def image_defaults(cfg: RunConfig, dataset: Dataset) -> None:
    """Fill model, width and threads for images in place: dcgan with base channels by image side
    (32 for 8x8, 64 for 28x28), or 256 hidden units for mlp; 1 torch thread for images of at most
    16x16 pixels (tiny convs run fastest single-threaded on a shared CPU), torch's default above."""
    from .models import default_model
    from .models.dcgan import DEFAULT_BASE_CHANNELS

    side = int(dataset.shape[-1])
    cfg.model = cfg.model or default_model("image")
    if cfg.width is None:
        cfg.width = MLP_IMAGE_WIDTH if cfg.model == "mlp" else DEFAULT_BASE_CHANNELS.get(side, 64 if side > 16 else 32)
    if cfg.threads is None:
        cfg.threads = 1 if side <= 16 else 0


@dataclass
class RunConfig:
    """Every setting of one training run. ``None`` means "use the default" until :func:`resolve`.

    Each field is declared once in :data:`distmatch.settings.SETTINGS` (range, default, help); the
    fields stay written out so that a type checker sees them (see the settings module)."""

    # The types; default, range and help: distmatch.settings.SETTINGS.
    objective: str = settings.default_of("objective")
    dataset: str = settings.default_of("dataset")
    seed: int = settings.default_of("seed")
    steps: int | None = settings.default_of("steps")
    batch_size: int | None = settings.default_of("batch_size")
    noise: str = settings.default_of("noise")
    noise_dim: int | None = settings.default_of("noise_dim")
    model: str | None = settings.default_of("model")
    width: int | None = settings.default_of("width")
    depth: int | None = settings.default_of("depth")
    optimizer: str | None = settings.default_of("optimizer")
    lr: float | None = settings.default_of("lr")
    critic_lr: float | None = settings.default_of("critic_lr")
    betas: tuple[float, float] | None = settings.default_of("betas")
    critic_steps: int | None = settings.default_of("critic_steps")
    lr_schedule: str | None = settings.default_of("lr_schedule")
    clip: float | None = settings.default_of("clip")
    gp_weight: float | None = settings.default_of("gp_weight")
    bandwidths: list[float] | None = settings.default_of("bandwidths")  # noqa: RUF009 - it is None
    bandwidth_source: str = settings.default_of("bandwidth_source")
    mmd_estimator: str = settings.default_of("mmd_estimator")
    blur: float | None = settings.default_of("blur")
    eval_every: int | None = settings.default_of("eval_every")
    checkpoint_every: int | None = settings.default_of("checkpoint_every")
    eval_samples: int = settings.default_of("eval_samples")
    final_metrics: str = settings.default_of("final_metrics")
    data_dir: str | None = settings.default_of("data_dir")
    device: str = settings.default_of("device")
    threads: int | None = settings.default_of("threads")
    dataset_id: str | None = settings.default_of("dataset_id")
    pack: int = settings.default_of("pack")
    critic: str = settings.default_of("critic")
    maxout_pieces: int = settings.default_of("maxout_pieces")
    critic_width: int | None = settings.default_of("critic_width")
    critic_depth: int | None = settings.default_of("critic_depth")
    generator_norm: str = settings.default_of("generator_norm")
    init_std: float | None = settings.default_of("init_std")
    update: str = settings.default_of("update")
    train_samples: int | None = settings.default_of("train_samples")
    preset: str | None = settings.default_of("preset")
    tensorboard: bool = settings.default_of("tensorboard")
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return io.dumps(dataclasses.asdict(self))

    def validate(self) -> RunConfig:
        """Check every setting's type and range (None = default still allowed); normalise in place."""
        for f in dataclasses.fields(self):
            if f.name == "extra":
                if not isinstance(self.extra, dict):
                    raise settings.SettingError(f"extra: expected a mapping, got {self.extra!r}")
                continue
            setattr(self, f.name, settings.check(f.name, getattr(self, f.name)))
        if self.objective not in OBJECTIVES:
            raise settings.SettingError(f"objective: unknown objective {self.objective!r}; "
                                        f"choose one of {', '.join(OBJECTIVES)}")
        if self.preset is not None:
            from .presets import check_name
            check_name(self.preset)
        return self

    def check_combination(self) -> None:
        """Refuse settings that cannot work together (after :func:`resolve` filled the defaults)."""
        has_critic = objective_class(self.objective).uses_critic
        problems = [
            (self.pack > 1 and not has_critic, f"pack: {self.objective} has no critic to pack samples for"),
            (self.update == "simultaneous" and has_critic and self.critic_steps != 1,
             ("update: simultaneous updates take one critic step per generator step, got critic_steps = "
              f"{self.critic_steps}")),
            (self.critic == "maxout" and self.model != "mlp", "critic: the maxout critic is an MLP (needs --model mlp)"),
            (self.generator_norm != "none" and self.model != "mlp",
             "generator_norm: applies to MLP generators (DCGAN generators always use batch norm)"),
        ]
        for bad, message in problems:
            if bad:
                raise settings.SettingError(message)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """Build and validate; unknown keys are refused (a typo must not become a default)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(k for k in d if k not in names)
        if unknown:
            raise settings.SettingError(f"unknown setting {unknown[0]!r}")
        return cls(**d).validate()

    @classmethod
    def from_stored(cls, d: object, path: str | Path) -> RunConfig:
        """Settings read back from a run's file; FileFormatError naming ``path`` when malformed."""
        if not isinstance(d, dict) or any(k not in d for k in ("objective", "dataset", "seed")):
            raise io.FileFormatError(f"{path}: not a distmatch config (needs objective, dataset and seed)")
        try:
            return cls.from_dict(d)
        except (settings.SettingError, TypeError) as exc:
            raise io.FileFormatError(f"{path}: bad setting ({exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        return cls.from_stored(io.read_json(path), path)

    def differences(self, other: RunConfig) -> list[str]:
        """Names of settings that differ, ignoring those that may change on resume. The dataset's
        spelling (``./a.npy`` vs ``a.npy``) does not count when both identities are known and equal."""
        a, b = dataclasses.asdict(self), dataclasses.asdict(other)
        same_data = a["dataset_id"] is not None and a["dataset_id"] == b["dataset_id"]
        return [k for k in a if k not in RUNTIME_FIELDS and not (k == "dataset" and same_data)
                and _norm(a[k]) != _norm(b[k])]


def _norm(v):
    return list(v) if isinstance(v, tuple) else v


def median_heuristic_ladder(data: np.ndarray, n: int = 7, ratio: float = 2.0, max_points: int = 1000) -> list[float]:
    """Bandwidths median/ratio^k, k = 0..n-1, from the median pairwise distance of the data.

    The median comes from :func:`distmatch.kernels.median_bandwidth` (at most ``max_points``
    evenly strided points, so a concatenation of two sets is sampled from both). Seven octaves
    reach from the data's scale down to 1/64 of it, fine enough to resolve narrow modes
    (8gaussians: 1.4 -> 0.02 against a mode std of 0.014). With ratio 2 each narrower Gaussian
    is the 4th power of the previous one, so the tiled kernel can serve all bandwidths from one
    ``exp``.
    """
    import torch

    from .kernels.mmd import median_bandwidth

    x = torch.from_numpy(np.ascontiguousarray(data.reshape(len(data), -1), dtype=np.float64))
    med = median_bandwidth(x, max_points=max_points)
    return [med / ratio**k for k in range(n)]


def metric_bandwidths(cfg: RunConfig, dataset: Dataset) -> list[float]:
    """Bandwidths of the MMD metric: the run's own (mmd objective) or the data's median ladder."""
    return cfg.bandwidths or median_heuristic_ladder(dataset.sample(1000, np.random.default_rng(0)))


def lr_factor(schedule: str, step: int, total: int) -> float:
    """Multiplier of the base learning rate at ``step`` of ``total``: 1, or cosine decay to 0."""
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    return 1.0


def resolve(cfg: RunConfig, dataset: Dataset) -> RunConfig:
    """Validate, then fill every ``None`` with the default for this objective and dataset kind."""
    from .data.identity import dataset_identity

    cfg = dataclasses.replace(cfg).validate()
    kind = dataset.kind if dataset.kind in KIND_DEFAULTS else "points"
    if kind == "image":
        image_defaults(cfg, dataset)
    objective = objective_class(cfg.objective)
    per_objective = objective.defaults_for("image" if kind == "image" else "points")
    for key, value in {"steps": DEFAULT_STEPS[kind], **KIND_DEFAULTS[kind], **per_objective}.items():
        if getattr(cfg, key) is None:
            setattr(cfg, key, value)
    for key, (default, _) in option_declarations().items():  # every run records them, as before
        if getattr(cfg, key) is None and default is not None:
            setattr(cfg, key, default)
    defaults = objective.defaults
    cfg.optimizer = defaults.optimizer if cfg.optimizer is None else cfg.optimizer
    cfg.lr = defaults.lr if cfg.lr is None else cfg.lr
    cfg.critic_lr = cfg.lr if cfg.critic_lr is None else cfg.critic_lr
    cfg.betas = defaults.betas if cfg.betas is None else tuple(cfg.betas)
    cfg.critic_steps = defaults.critic_steps if cfg.critic_steps is None else cfg.critic_steps
    cfg.lr_schedule = cfg.lr_schedule or defaults.lr_schedule
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr schedule {cfg.lr_schedule!r}; choose one of {', '.join(LR_SCHEDULES)}")
    if cfg.model is None:
        from .models import default_model
        cfg.model = default_model(dataset.kind)
    cfg.checkpoint_every = cfg.eval_every if cfg.checkpoint_every is None else cfg.checkpoint_every
    if cfg.noise_dim is None:  # images: KIND_DEFAULTS; points: the data's dimension
        cfg.noise_dim = dataset.dim
    if cfg.bandwidths is None:  # the objective's own rule (mmd: the median-heuristic ladder), if it has one
        cfg.bandwidths, source = objective.default_bandwidths(dataset, cfg.seed)
        cfg.bandwidth_source = source or cfg.bandwidth_source
    elif cfg.bandwidths is not None and not cfg.bandwidth_source:
        cfg.bandwidth_source = "user"
    cfg.dataset_id = dataset_identity(dataset)
    cfg.validate().check_combination()
    return cfg
