"""Trainer: one generator, one objective, one dataset — steps, samples, evaluates and hands out its
state (checkpoints, resume, a NaN guard); :mod:`distmatch.fit_loop` trains it into a run directory,
whose files a :class:`~distmatch.run_writer.RunWriter` writes."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch

from . import io
from .config import RunConfig, lr_factor, metric_bandwidths
from .critic_log import grad_norm, probe_critic, probe_sources
from .data import Dataset
from .data.fixed import FixedTrainingSet
from .devices import resolve_device  # also imported from here by the API and tests
from .metrics import evaluate, final_rng, not_computed
from .models import critic_for, generator_for
from .noise import NoiseSampler
from .objectives import build_objective
from .optimizers import make_optimizer, toggle_grad
from .provenance import provenance
from .rundir import RunDir


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint is kept.

    ``what`` says which loss at which step, without the note on the checkpoint that ends the message.
    """

    def __init__(self, message: str, what: str | None = None):
        super().__init__(message)
        self.what = message if what is None else what


def set_threads(n: int) -> None:
    """Limit torch and BLAS/OpenMP threads (1 is fastest for small models and for parallel workers)."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    threadpool_limits(n)


class Trainer:
    """Train one generator with one objective on one dataset.

    It steps, samples, evaluates and hands out its state; :meth:`fit` trains it into ``out_dir``
    (:func:`distmatch.fit_loop.fit`, every file written by a :class:`~distmatch.run_writer.RunWriter`).
    ``out_dir=None`` gives a trainer that only steps and samples (the diagnostics drive
    :meth:`train_step` and :meth:`sample` themselves); :meth:`fit` and :meth:`resume` need a directory.
    """

    def __init__(self, config: RunConfig, dataset: Dataset, out_dir: str | Path | None, quiet: bool = False):
        self.cfg, self.dataset = config, dataset
        self.out = None if out_dir is None else Path(out_dir)
        self.rundir = None if out_dir is None else RunDir(self.out)
        self.quiet = quiet
        self.device = resolve_device(config.device)
        if config.threads:
            set_threads(config.threads)
        torch.manual_seed(config.seed)  # model init and the objective's own draws (GP interpolation)
        self.objective = build_objective(config)
        self.objective.setup(dataset, self.device)  # modules the objective owns (gmmn-ae: its auto-encoder)
        self.metric_bandwidths = metric_bandwidths(config, dataset)
        output = "tanh" if dataset.kind == "image" else "none"
        generator = self.objective.build_generator(config, dataset)
        if generator is None:
            generator = generator_for(config, dataset.shape, output)
        self.generator = generator.to(self.device)
        self.critic = None
        if self.objective.uses_critic:
            self.critic = critic_for(config, dataset.shape, self.objective.critic_batchnorm,
                                     self.objective.critic_out_features).to(self.device)
        self.noise = NoiseSampler(config.noise, config.noise_dim, config.seed, self.device)
        self.data_rng = np.random.default_rng(config.seed)
        self.train_set = None if config.train_samples is None else FixedTrainingSet(dataset, config.train_samples,
                                                                                     config.seed)
        self.n_batch = config.batch_size * config.pack  # samples per batch: batch_size packs of pack samples
        self.g_opt = make_optimizer(config.optimizer, self.generator.parameters(), config.lr, config.betas)
        self.c_opt = None if self.critic is None else make_optimizer(
            config.optimizer, self.critic.parameters(), config.critic_lr, config.betas)
        self.step = 0
        self.loaded_step: int | None = None  # the step of the state last loaded (None: a fresh start)
        self.last_samples: np.ndarray | None = None  # the final samples, once finish() has drawn them
        self._losses: dict[str, list[float]] = {"g_loss": [], "d_loss": [], "g_grad_norm": []}

    # ----------------------------------------------------------------- one step
    def real_batch(self) -> torch.Tensor:
        """(B·pack, *shape) data batch: the next points of the fixed training set, or fresh draws
        from the seeded numpy generator."""
        batch = self.train_set.next(self.n_batch) if self.train_set is not None else \
            self.dataset.sample(self.n_batch, self.data_rng)
        return torch.from_numpy(batch).to(self.device)

    def critic_trainstep(self) -> float:
        """One critic update on a fresh real batch and a detached fake batch."""
        toggle_grad(self.critic, True)
        real = self.real_batch()
        with torch.no_grad():
            fake = self.generator(self.noise.sample(self.n_batch))
        self.c_opt.zero_grad(set_to_none=True)
        loss = self.objective.critic_loss(self.critic, real, fake)
        loss.backward()
        self.c_opt.step()
        self.objective.after_critic_step(self.critic)
        return loss.item()

    def generator_trainstep(self) -> float:
        """One generator update; the critic (if any) is frozen."""
        toggle_grad(self.critic, False)
        real = self.real_batch()
        self.g_opt.zero_grad(set_to_none=True)
        loss = self.objective.generator_loss(self.critic, self.generator(self.noise.sample(self.n_batch)), real)
        loss.backward()
        self._losses["g_grad_norm"].append(grad_norm(self.generator.parameters()))
        self.g_opt.step()
        return loss.item()

    def simultaneous_trainstep(self) -> tuple[float, float]:
        """Both players step on one batch (PacGAN's Blocks ``ali_algorithm``): the critic's gradient
        of its loss on (real, detached fake), the generator's of its loss through the critic as it
        was before this step; returns (critic loss, generator loss)."""
        toggle_grad(self.critic, True)
        real = self.real_batch()
        fake = self.generator(self.noise.sample(self.n_batch))
        c_loss = self.objective.critic_loss(self.critic, real, fake.detach())
        g_loss = self.objective.generator_loss(self.critic, fake, real)
        for opt in (self.c_opt, self.g_opt):
            opt.zero_grad(set_to_none=True)
        for module, loss in ((self.critic, c_loss), (self.generator, g_loss)):
            params = [p for p in module.parameters() if p.requires_grad]
            for p, g in zip(params, torch.autograd.grad(loss, params, allow_unused=True)):
                p.grad = g
        self._losses["g_grad_norm"].append(grad_norm(self.generator.parameters()))
        self.c_opt.step()
        self.g_opt.step()
        self.objective.after_critic_step(self.critic)
        return c_loss.item(), g_loss.item()

    def set_learning_rates(self) -> None:
        """Apply the schedule: lr(step) = base lr x factor(step / steps)."""
        factor = lr_factor(self.cfg.lr_schedule, self.step, self.cfg.steps)
        for opt, base in ((self.g_opt, self.cfg.lr), (self.c_opt, self.cfg.critic_lr)):
            for group in (opt.param_groups if opt is not None else []):
                group["lr"] = base * factor

    def train_step(self) -> None:
        """critic_steps critic updates, then one generator update; guard against NaN/inf."""
        self.set_learning_rates()
        if self.critic is not None and self.cfg.update == "simultaneous":
            d_loss, g_loss = self.simultaneous_trainstep()
            d_losses = [d_loss]
        else:
            d_losses = [self.critic_trainstep() for _ in range(self.cfg.critic_steps)] if self.critic else []
            g_loss = self.generator_trainstep()
        self.step += 1
        for name, value in [("g_loss", g_loss)] + [("d_loss", v) for v in d_losses]:
            if not math.isfinite(value):
                self._diverged(name, value)
            self._losses[name].append(value)

    def _diverged(self, name: str, value: float) -> None:
        what = f"training diverged at step {self.step}: {name} = {value}"
        raise TrainingDiverged(f"{what}; no checkpoint was written yet", what=what)

    # ----------------------------------------------------------------- sampling / eval
    @torch.no_grad()
    def sample(self, n: int, seed: int) -> np.ndarray:
        """(n, *shape) samples from noise drawn with its own seed (training RNG untouched), mapped
        to data space by the objective's :meth:`~distmatch.objectives.base.Objective.decode`.

        The generator runs in eval mode: batchnorm layers (DCGAN) use their running statistics,
        so a sample does not depend on which others share its batch and sampling changes no
        state (training, resume and determinism are unaffected by how often we evaluate).
        """
        noise = NoiseSampler(self.cfg.noise, self.cfg.noise_dim, seed, self.device)
        was_training = self.generator.training
        self.generator.eval()
        out = torch.cat([self.objective.decode(self.generator(noise.sample(min(1000, n - i))))
                         for i in range(0, n, 1000)])
        self.generator.train(was_training)
        return out.cpu().numpy()

    def grid_samples(self) -> np.ndarray:
        """(100, *shape) samples from the same fixed noise at every step (the image grids)."""
        return self.sample(100, self.cfg.seed * 1_000_003 - 1)

    def eval_record(self, full: bool = False) -> dict:
        """Metrics at the current step, on ``eval_samples`` samples; losses averaged since the last eval."""
        seed = self.cfg.seed * 1_000_003 + self.step
        samples = self.sample(self.cfg.eval_samples, seed)
        metrics = evaluate(samples, self.dataset, self.metric_bandwidths,
                           np.random.default_rng(seed), full=full)
        losses = {k: float(np.mean(v)) for k, v in self._losses.items() if v}
        self._losses = {k: [] for k in self._losses}
        return {"step": self.step, **losses, **self.critic_record(), **metrics}

    def critic_record(self) -> dict:
        """D(x), D(G(z)) and accuracy (GANs) or f(x), f(G(z)) (Wasserstein critics) on a probe batch
        of its own (:mod:`distmatch.critic_log`); {} without a critic."""
        if self.critic is None:
            return {}
        data_rng, noise = probe_sources(self.cfg, self.step, self.device)
        real = self.dataset.sample(self.n_batch, data_rng)
        return probe_critic(self.critic, self.generator, self.objective.decode, self.objective.critic_output,
                            real, noise)

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict:
        """Everything a checkpoint holds: step, settings, models, optimisers and every RNG."""
        return {
            "step": self.step,
            "config": dataclasses.asdict(self.cfg),
            "generator": self.generator.state_dict(),
            "critic": None if self.critic is None else self.critic.state_dict(),
            "g_opt": self.g_opt.state_dict(),
            "c_opt": None if self.c_opt is None else self.c_opt.state_dict(),
            "noise": self.noise.state_dict(),
            "data_rng": self.data_rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "objective": self.objective.state_dict(),
            "train_position": None if self.train_set is None else self.train_set.position,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore every model, optimiser and RNG; a checkpoint that does not fit is a FileFormatError."""
        try:
            self.generator.load_state_dict(state["generator"])
            self.g_opt.load_state_dict(state["g_opt"])
            if self.critic is not None:
                self.critic.load_state_dict(state["critic"])
                self.c_opt.load_state_dict(state["c_opt"])
            self.noise.load_state_dict(state["noise"])
            self.objective.load_state_dict(state.get("objective", {}))
            if self.train_set is not None:
                position = int(state["train_position"])
                if position < 0:
                    raise ValueError(f"train_position {position} < 0")
                self.train_set.position = position
            self.data_rng.bit_generator.state = state["data_rng"]
            torch.set_rng_state(state["torch_rng"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            raise io.FileFormatError(f"{self.rundir.checkpoint}: does not fit this run "
                                     f"({' '.join(str(exc).split())[:200]})") from None
        self.step = state["step"]
        self.loaded_step = self.step

    def resume(self) -> bool:
        """Continue from the run directory's checkpoint after :meth:`RunDir.resume_state`'s checks
        (same settings and data, ``steps`` not below it, log cut back to it); True if resumed."""
        state = self.rundir.resume_state(self.cfg, self.device)
        if state is None:
            return False
        self.load_state_dict(state)
        return True

    # ----------------------------------------------------------------- the loop
    def fit(self) -> dict:
        """Train to ``cfg.steps`` total steps, evaluating and checkpointing into the run directory
        (:func:`distmatch.fit_loop.fit`); return the summary."""
        if self.rundir is None:
            raise ValueError("Trainer.fit writes a run directory: give out_dir")
        from .fit_loop import fit
        return fit(self)

    def finish(self, train_seconds: float) -> dict:
        """Draw the final samples (kept in :attr:`last_samples`) and return the summary with the
        final metrics; nothing is written (figures: :func:`distmatch.training.train_into`)."""
        t0 = time.perf_counter()
        samples = self.sample(self.cfg.eval_samples, self.cfg.seed * 1_000_003 + self.cfg.steps + 1)
        self.last_samples = samples
        distances = self.cfg.final_metrics == "all"
        metrics = evaluate(samples, self.dataset, self.metric_bandwidths,
                           final_rng(self.cfg.seed), full=True, distances=distances)
        return {
            "status": "completed", "step": self.step, "metrics": metrics,
            "not_computed": not_computed(self.dataset, distances),
            "train_seconds": round(train_seconds, 2), "eval_seconds": round(time.perf_counter() - t0, 2),
            "objective_settings": self.objective.settings(), "config": dataclasses.asdict(self.cfg),
            "provenance": provenance(self.device),
        }
