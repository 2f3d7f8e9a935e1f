"""The common interface of every objective (GAN_stability / Dirac-GAN shape)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from .._lazy import nn, torch

if TYPE_CHECKING:
    from ..data import Dataset


@dataclass(frozen=True)
class ObjectiveOption:
    """A run setting an objective reads beyond the shared ones: its default (None: chosen per run,
    e.g. per kind of data in ``run_defaults``) and its help text. Its type and range are declared
    once in :data:`distmatch.settings.SETTINGS`; the ``run`` command's option is generated from both."""

    default: Any
    help: str


def option_value(config, name: str, objective: type["Objective"]):
    """``config.<name>``, or the objective's declared default when the run left it empty."""
    value = getattr(config, name)
    return objective.options[name].default if value is None else value


@dataclass(frozen=True)
class TrainingDefaults:
    """Optimiser settings an objective was published with (docs/protocols.md)."""

    optimizer: str  # 'adam' | 'rmsprop' | 'sgd'
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    critic_steps: int = 1
    source: str = ""
    lr_schedule: str = "constant"


class Objective:
    """A distribution-matching objective.

    Subclasses set ``name`` and ``defaults`` (the description is in the registry) and implement
    :meth:`generator_loss`; adversarial ones set ``uses_critic`` and implement
    :meth:`critic_loss`. The trainer calls, per generator step: ``critic_steps`` x
    (critic_loss → optimiser step → :meth:`after_critic_step`), then generator_loss.

    Optional hooks, all no-ops by default, for objectives that own more than a loss:

    * :meth:`setup` once, after torch is seeded and before the models are built (gmmn-ae builds
      its auto-encoder here); :meth:`build_generator` may replace the usual generator (gmmn-ae:
      an MLP onto the codes); ``critic_out_features`` > 1 gives a critic that returns a feature
      vector per sample instead of a logit (mmd-gan's kernel embedding).
    * :meth:`prepare` once on a fresh run, before the step-0 evaluation (gmmn-ae: stage 1, the
      auto-encoder); when it returns True the trainer checkpoints right after it.
    * :meth:`decode` maps the generator's output to data space wherever samples are drawn.
    * :meth:`state_dict` / :meth:`load_state_dict`: the objective's own state, kept in the checkpoint
      (tensors and plain containers only: checkpoints are loaded with ``weights_only=True``).
    """

    name: ClassVar[str]  # its key in distmatch.objectives.REGISTRY (which also holds its description)
    defaults: ClassVar[TrainingDefaults]
    # Run settings per kind of data ("points": toys and point files; "image"), for fields the user
    # left empty; merged along the class hierarchy, subclass over base. The base's gp_weight is
    # the WGAN-GP toy script's 0.1 for points and the paper's 10 for images.
    run_defaults: ClassVar[dict[str, dict]] = {"points": dict(gp_weight=0.1), "image": dict(gp_weight=10.0)}
    # Objectives whose kernel lives in a learned space choose its bandwidths at run time; this says
    # how, for the run's config (the MMD metric keeps the data's own ladder).
    latent_bandwidths: ClassVar[str | None] = None
    options: ClassVar[dict[str, ObjectiveOption]] = {}  # the run settings this objective reads (see ObjectiveOption)
    uses_critic: ClassVar[bool] = True
    critic_batchnorm: bool = True  # wgan-gp (and penalised mmd-gan, per instance) need per-sample critics
    critic_out_features: int = 1  # > 1: the critic returns (B, k) features, not (B,) logits
    # What the critic's output means, for the log: "logit" (D = sigmoid), "value" (a Wasserstein
    # critic's f) or "features" (an embedding: nothing scalar to log)
    critic_output: ClassVar[str] = "features"

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Scalar loss the critic minimises; ``fake`` is detached by the caller."""
        raise NotImplementedError(f"{self.name} has no critic")

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Scalar loss the generator minimises."""
        raise NotImplementedError

    def after_critic_step(self, critic: nn.Module) -> None:
        """Hook run after each critic optimiser step (weight clipping lives here)."""

    @classmethod
    def defaults_for(cls, kind: str) -> dict:
        """The merged :attr:`run_defaults` for data of ``kind`` ("points" or "image")."""
        merged: dict = {}
        for klass in reversed(cls.__mro__):
            merged.update(getattr(klass, "__dict__", {}).get("run_defaults", {}).get(kind, {}))
        return merged

    @classmethod
    def default_bandwidths(cls, dataset: "Dataset", seed: int) -> tuple[list[float] | None, str]:
        """Kernel bandwidths for a run that gave none, and how they were chosen (none by default)."""
        return None, cls.latent_bandwidths or ""

    @classmethod
    def from_config(cls, config) -> "Objective":
        """Build from a resolved ``RunConfig`` (subclasses read their own options)."""
        return cls()

    def settings(self) -> dict:
        """Objective-specific settings to record in config/summary."""
        return {}

    # ---------------------------------------------------------------- optional hooks (see class docstring)
    def setup(self, dataset: "Dataset", device: torch.device) -> None:
        """Build the objective's own modules for this dataset on ``device`` (called once, seeded)."""

    def build_generator(self, config, dataset: "Dataset") -> nn.Module | None:
        """A generator of the objective's own; None: the run's usual model for the data."""
        return None

    def prepare(self, real_batch: Callable[[], torch.Tensor]) -> bool:
        """Train before step 0 on batches drawn with ``real_batch``; True if a checkpoint should keep it."""
        return False

    def decode(self, samples: torch.Tensor) -> torch.Tensor:
        """Generator output -> data-space samples (the identity unless the generator works in a latent space)."""
        return samples

    def state_dict(self) -> dict:
        """The objective's own training state (tensors and plain containers), for checkpoints."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s output."""


class GANObjective(Objective):
    """A GAN: the discriminator minimises binary cross-entropy on logits; subclasses differ only in
    the generator's loss, a function of the fake logits (DCGAN optimiser settings)."""

    defaults = TrainingDefaults("adam", 2e-4, (0.5, 0.999), 1, "DCGAN (Radford et al. 2016)")
    critic_output = "logit"

    @staticmethod
    def generator_loss_from_logits(fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return gan_critic_loss(critic(real), critic(fake))

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return self.generator_loss_from_logits(critic(fake))


def gan_critic_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of D on logits: -log D(x) - log(1 - D(G(z))) = softplus(-l_r) + softplus(l_f)."""
    return nn.functional.softplus(-real_logits).mean() + nn.functional.softplus(fake_logits).mean()
