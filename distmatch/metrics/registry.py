"""One registry of every metric a run logs: how it is labelled, formatted and compared.

Tables, the curves and sweep figures, the run summary and the progress bar all read it, so adding
a metric is one function (in :mod:`distmatch.metrics`) plus one entry here. This module imports
nothing heavy: the CLI reads it to print a summary or a table without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """How one metric is shown. ``better``: "higher", "lower" or None (no best cell is marked)."""

    name: str
    label: str  # figure axes and the run summary
    short: str  # Markdown table headers
    tex: str  # LaTeX table headers
    fmt: str = "{:.3g}"  # table cells and the summary
    better: str | None = "lower"
    log_scale: bool = False  # figures use a log axis when every value is positive
    postfix: bool = False  # shown in the training progress bar


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("modes", "modes covered", "modes", "modes", "{:.1f}", "higher", postfix=True),
    Metric("hq", "high-quality samples (%)", "HQ (%)", r"HQ (\%)", "{:.1f}", "higher", postfix=True),
    Metric("rkl", "reverse KL (nats)", "rev-KL", "rev-KL", "{:.3f}"),
    Metric("mmd", "MMD² (unbiased)", "MMD²", r"MMD$^2$", log_scale=True, postfix=True),
    Metric("sinkhorn", "Sinkhorn divergence", "Sinkhorn", "Sinkhorn", log_scale=True),
    Metric("w1", "W1 (exact)", "W1", "$W_1$", log_scale=True),
    Metric("w2", "W2 (exact)", "W2", "$W_2$", log_scale=True),
    Metric("fd", "Fréchet distance (classifier)", "FD", "FD", log_scale=True, postfix=True),
    Metric("kid", "KID (classifier)", "KID", "KID"),
    Metric("kid_pixel", "KID (pixels; no classifier)", "KID (pixels)", "KID$_{px}$"),
    Metric("precision", "precision (k=3)", "precision", "precision", better="higher"),
    Metric("recall", "recall (k=3)", "recall", "recall", better="higher"),
    Metric("coverage", "class coverage", "coverage", "coverage", "{:.3g}", "higher", postfix=True),
    Metric("kl", "label KL to uniform (nats)", "label KL", "label KL"),
    Metric("modes_1k", "modes covered (of 1,000, Stacked MNIST)", "modes (1k)", r"modes (of $10^3$)", "{:.0f}",
           "higher", postfix=True),
    Metric("kl_1k", "mode KL to uniform (nats, 1,000 modes)", "KL (1k)", r"KL$_{10^3}$", "{:.3f}"),
    Metric("g_loss", "generator loss", "G loss", "$L_G$", better=None, postfix=True),
    Metric("d_loss", "critic loss", "D loss", "$L_D$", better=None, postfix=True),
    Metric("g_grad_norm", "generator gradient norm", "|grad G|", r"$\|\nabla_G\|$", better=None, log_scale=True),
    Metric("d_real", "D(x) (mean sigmoid)", "D(x)", "$D(x)$", "{:.3f}", better=None),
    Metric("d_fake", "D(G(z)) (mean sigmoid)", "D(G(z))", "$D(G(z))$", "{:.3f}", better=None, postfix=True),
    Metric("critic_acc", "critic accuracy", "D acc", "D acc.", "{:.3f}", better=None),
    Metric("critic_real", "critic f(x)", "f(x)", "$f(x)$", better=None),
    Metric("critic_fake", "critic f(G(z))", "f(G(z))", "$f(G(z))$", better=None),
]}


def metric(name: str) -> Metric:
    """The registered metric, or a plain one (label = name, 3 significant digits, no best) for a
    key the registry does not know (e.g. a user's own column)."""
    return METRICS.get(name) or Metric(name, name, name, name.replace("_", r"\_"), better=None)


def label(name: str) -> str:
    return metric(name).label


def format_value(name: str, value: float) -> str:
    """``value`` in the metric's table format."""
    return metric(name).fmt.format(value)
