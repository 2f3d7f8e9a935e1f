"""Figures of the diagnostics (one function per figure), drawn from the result objects."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..data import get_dataset
from ..report.plots import objective_colors, save, style
from ..report.style import PALETTE
from .mmd_bandwidth import BWResult, numbers
from .mode_collapse import ModeCollapseResult
from .saturation import SATURATION_SLOPE, SatResult, analytic_costs, at_fake_mode
from .vanishing_gradient import COST_LABELS, COSTS, VGResult

COST_COLORS = {"minimax": "minimax", "nonsaturating": "nonsaturating", "wgan": "wgan-clip"}


def cost_color(cost: str) -> tuple:
    """Colour of a generator cost = colour of the objective that uses it."""
    return objective_colors()[COST_COLORS[cost]]


def band(ax: plt.Axes, x: np.ndarray, values: np.ndarray, color, label: str, log: bool = False,
         lo: float = -np.inf, hi: float = np.inf) -> None:
    """Mean line with a +-1 std band (clipped to [lo, hi]) over the first axis (geometric on log scale)."""
    v = np.log10(np.maximum(values, 1e-45)) if log else values
    mean, std = v.mean(0), v.std(0)
    tr = (lambda a: 10 ** a) if log else (lambda a: a)
    ax.plot(x, tr(mean), color=color, label=label, lw=1.6)
    ax.fill_between(x, np.clip(tr(mean - std), lo, hi), np.clip(tr(mean + std), lo, hi), color=color,
                    alpha=0.25, lw=0)


# ----------------------------------------------------------------------------- mode collapse
def mode_collapse_figure(result: ModeCollapseResult, path: Path) -> list[Path]:
    """Rows = objectives, columns = snapshots (first seed), and modes covered vs step below."""
    style()
    dataset = get_dataset(result.dataset)
    real = dataset.heldout(1000, np.random.default_rng(0))
    n_obj, n_snap = len(result.objectives), len(result.snapshot_steps)
    fig = plt.figure(figsize=(1.75 * n_snap + 0.6, 1.75 * n_obj + 3.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.75 * n_obj, 3.2])
    axes = top.subplots(n_obj, n_snap, squeeze=False, gridspec_kw=dict(hspace=0.05, wspace=0.05))
    lim = 1.25 * float(np.abs(dataset.centers).max()) + 6 * dataset.std
    seed = result.seeds[0]
    for i, obj in enumerate(result.objectives):
        trace = result.trace(obj, seed)
        for j, step in enumerate(result.snapshot_steps):
            ax = axes[i, j]
            _snapshot_panel(ax, trace.snapshots[j], real, dataset.centers, lim, objective_colors()[obj])
            k = trace.eval_steps.index(step)
            ax.text(0.03, 0.03, f"{int(trace.metrics['modes'][k])}/{result.n_modes}", transform=ax.transAxes,
                    fontsize=7, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
            if i == 0:
                ax.set_title(f"step {step:,}", fontsize=9)
            if j == 0:
                ax.set_ylabel(obj, fontsize=9, fontweight="bold")
    _modes_panel(bottom.subplots(), result)
    top.suptitle(f"Mode coverage on {result.dataset}: samples of seed {seed} (grey: data, x: mode centres; "
                 f"corner: modes covered)", fontsize=10)
    return save(fig, path, pdf=True)


def _snapshot_panel(ax: plt.Axes, samples: np.ndarray, real: np.ndarray, centers: np.ndarray, lim: float,
                    color) -> None:
    ax.scatter(real[:, 0], real[:, 1], s=4, c="0.6", alpha=0.5, rasterized=True, lw=0)
    ax.scatter(samples[:, 0], samples[:, 1], s=1.5, color=color, alpha=0.45, rasterized=True, lw=0)
    ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=14, c="k", linewidths=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _modes_panel(ax: plt.Axes, result: ModeCollapseResult) -> None:
    steps = np.asarray(result.eval_steps)
    for obj in result.objectives:
        band(ax, steps, result.metric_array(obj, "modes"), objective_colors()[obj], obj, lo=0, hi=result.n_modes)
    ax.axhline(result.n_modes, color="k", ls=":", lw=1)
    ax.set_xlabel("generator step")
    ax.set_ylabel(f"modes covered (of {result.n_modes})")
    ax.set_ylim(-0.3, result.n_modes + 0.5)
    ax.set_xlim(0, steps[-1])
    seeds = ",".join(map(str, result.seeds))
    ax.set_title(f"modes covered vs step: mean ± std over seeds {seeds} "
                 f"({result.settings['n_samples']} samples, within 3 std of a centre)", fontsize=9)
    ax.legend(ncol=len(result.objectives), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)


# ----------------------------------------------------------------------------- vanishing gradient
def vanishing_gradient_figure(result: VGResult, path: Path) -> list[Path]:
    """Generator gradient norm per cost (log y) and discriminator accuracy vs D iterations."""
    style()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.5, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    its = np.asarray(result.iterations)
    for cost in COSTS:
        label = COST_LABELS[cost] + (f" ({result.settings.wgan_critic} critic)" if cost == "wgan" else "")
        band(ax, its[1:], result.grads[cost][:, 1:], cost_color(cost), label, log=True)
    ax.set_xscale("symlog", linthresh=100, linscale=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("discriminator / critic iterations (symlog)")
    ax.set_ylabel(r"generator gradient norm $\|\nabla_\theta\,\mathrm{cost}\|_2$")
    s = result.settings
    pre = f"trained {s.pretrain_steps} steps" if s.pretrain_steps else "untrained"
    critic = f"GP λ={s.gp_weight:g}, Adam 1e-4" if s.wgan_critic == "gp" else f"clip {s.clip:g}, RMSProp 5e-5"
    ax.set_title(f"fixed {pre} generator on {s.dataset}; D: Adam lr {s.d_lr:g}; W critic: {critic}\n"
                 f"mean ± std over seeds {','.join(map(str, result.seeds))}", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    band(ax2, its, result.accuracy, objective_colors()["minimax"], "discriminator", lo=0.0, hi=1.0)
    ax2.set_xscale("symlog", linthresh=1)
    ax2.set_ylim(0.4, 1.02)
    ax2.set_xlabel("discriminator iterations (symlog)")
    ax2.set_ylabel("accuracy on real + fake batch")
    ax2.set_title(f"discriminator accuracy (Adam, lr {s.d_lr:g})", fontsize=9)
    fig.tight_layout()
    return save(fig, path, pdf=True)


# ----------------------------------------------------------------------------- saturation
def saturation_figure(result: SatResult, path: Path) -> list[Path]:
    """(a) D(x) and f(x); (b) |gradient| a sample at x gets; (c) costs vs logit; (d) their slopes."""
    style()
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 7.0))
    _outputs_panel(axes[0, 0], result)
    _grad_x_panel(axes[0, 1], result)
    _analytic_panels(axes[1, 0], axes[1, 1], result)
    fig.tight_layout()
    return save(fig, path, pdf=True)


def _densities(ax: plt.Axes, result: SatResult) -> None:
    s, x = result.settings, result.x
    for mean, name, c, hatch in ((s.real_mean, "real", "0.45", None), (s.fake_mean, "generated", "0.75", "///")):
        dens = np.exp(-0.5 * ((x - mean) / s.std) ** 2)
        ax.fill_between(x, 0, dens, color=c, alpha=0.45, lw=0.8, ec="0.3", hatch=hatch,
                        label=f"{name} $N({mean:g}, {s.std:g}^2)$")


def _outputs_panel(ax: plt.Axes, result: SatResult) -> None:
    _densities(ax, result)
    col_d, col_f = objective_colors()["minimax"], cost_color("wgan")
    mid = int(np.argmin(np.abs(result.x - 0.5 * (result.settings.real_mean + result.settings.fake_mean))))
    for i in range(len(result.seeds)):
        ax.plot(result.x, result.d_prob[i], color=col_d, lw=1.4, alpha=0.9,
                label="GAN discriminator $D(x)$" if i == 0 else None)
    ax.set_ylabel("$D(x)$, density (scaled)")
    ax.set_xlabel("$x$")
    ax2 = ax.twinx()
    for i in range(len(result.seeds)):
        ax2.plot(result.x, result.critic[i] - result.critic[i, mid], color=col_f, lw=1.4, ls="--",
                 label="WGAN-GP critic $f(x)$" if i == 0 else None)
    ax2.set_ylabel("critic $f(x) - f(\\mathrm{midpoint})$", color=col_f)
    ax2.grid(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    ax.set_title(f"(a) trained to near optimum ({result.settings.steps} steps, seeds "
                 f"{','.join(map(str, result.seeds))})", fontsize=9)


def _grad_x_panel(ax: plt.Axes, result: SatResult) -> None:
    g = result.generator_grads()
    for cost in COSTS:
        band(ax, result.x, g[cost], cost_color(cost), COST_LABELS[cost], log=True)
    s = result.settings
    ax.axvline(s.fake_mean, color="0.4", ls=":", lw=1)
    ax.axvline(s.real_mean, color="0.4", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_ylim(bottom=max(1e-12, ax.get_ylim()[0]))
    ax.set_xlabel("generated sample position $x$")
    ax.set_ylabel(r"$|\partial\,\mathrm{cost} / \partial x|$")
    num = at_fake_mode(result)
    ax.set_title(f"(b) gradient a sample at $x$ receives; at the fake mode: minimax "
                 f"{np.mean(num['grad_minimax']):.1e}, W {np.mean(num['grad_wgan']):.2f}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")


def _analytic_panels(ax_cost: plt.Axes, ax_slope: plt.Axes, result: SatResult) -> None:
    logits = np.linspace(-16, 16, 641)
    costs = analytic_costs(logits)
    for cost, (value, slope) in costs.items():
        ax_cost.plot(logits, value, color=cost_color(cost), lw=1.6, label=COST_LABELS[cost].replace("f(G(z))", "l"))
        ax_slope.plot(logits, slope, color=cost_color(cost), lw=1.6, label=COST_LABELS[cost].replace("f(G(z))", "l"))
    t = float(np.log(SATURATION_SLOPE / (1 - SATURATION_SLOPE)))
    for ax in (ax_cost, ax_slope):
        ax.axvspan(logits[0], t, color=cost_color("minimax"), alpha=0.08, lw=0)
        ax.axvspan(-t, logits[-1], color=cost_color("nonsaturating"), alpha=0.08, lw=0)
        for lv in at_fake_mode(result)["d_logit"]:
            ax.axvline(lv, color="k", lw=0.8, ls="--")
        ax.set_xlabel(r"discriminator logit $l$ on a generated sample ($D = \sigma(l)$)")
    ax_cost.set_ylabel("generator cost (minimised)")
    ax_cost.set_ylim(-16, 16)
    ax_cost.set_title("(c) generator costs vs logit; dashed: trained D's logit at the fake mode", fontsize=9)
    ax_cost.legend(fontsize=7, loc="upper right")
    ax_slope.set_yscale("log")
    ax_slope.set_ylim(1e-7, 3)
    ax_slope.set_ylabel(r"$|\partial\,\mathrm{cost} / \partial l|$")
    ax_slope.set_title(f"(d) slopes; shaded: saturated (slope < {SATURATION_SLOPE:g}) for minimax (left), "
                       f"$-\\log D$ (right)", fontsize=9)
    ax_slope.legend(fontsize=7, loc="lower center")


# ----------------------------------------------------------------------------- MMD bandwidth
def mmd_bandwidth_figure(result: BWResult, path: Path) -> list[Path]:
    """Top: witness maps with the pull on generated points per kernel; bottom: ring profile and shift landscape."""
    style()
    names = list(result.settings.kernels)
    fig = plt.figure(figsize=(3.1 * len(names) + 0.8, 7.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
    num = numbers(result)
    axes = top.subplots(1, len(names), sharey=True)
    for ax, name in zip(axes, names):
        im = _witness_panel(ax, result, name, num[name])
    axes[0].set_ylabel("$x_2$")
    top.colorbar(im, ax=list(axes), fraction=0.02, pad=0.01).set_label("$w / \\max|w|$ (per panel)")
    ax_ring, ax_land = bottom.subplots(1, 2)
    _ring_panel(ax_ring, result)
    _landscape_panel(ax_land, result)
    top.suptitle(f"MMD witness $w = E\\,k(\\cdot,x) - E\\,k(\\cdot,y)$ on {result.settings.dataset}: generated set "
                 f"covers modes {list(result.settings.covered)}, pushed out by {result.settings.shift:g} "
                 f"(seed {result.seed}); arrows: pull on generated points", fontsize=10)
    return save(fig, path, pdf=True)


def _witness_panel(ax: plt.Axes, result: BWResult, name: str, num: dict):
    w = result.witness[name] / num["witness_max_abs"]
    lim = result.settings.grid_lim
    im = ax.imshow(w, origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.scatter(result.real[:400, 0], result.real[:400, 1], s=1, c="k", alpha=0.4, lw=0, rasterized=True)
    ax.scatter(result.fake[:400, 0], result.fake[:400, 1], s=1, c="darkorange", alpha=0.6, lw=0, rasterized=True)
    sel = np.arange(0, len(result.fake), max(1, len(result.fake) // 60))
    g = result.fake_grad[name][sel]
    g = g / (np.abs(g).max() + 1e-300)
    ax.quiver(result.fake[sel, 0], result.fake[sel, 1], g[:, 0], g[:, 1], color="k", scale=6, width=0.006)
    ax.grid(False)
    ax.set_aspect("equal")
    bws = ", ".join(f"{b:g}" for b in result.settings.kernels[name])
    ax.set_title(f"{name}: $\\sigma$ = {bws}\nMMD² {num['mmd2']:.3f}, "
                 f"median data pull {num['median_attraction_on_fake']:.0e}",
                 fontsize=8.5)
    ax.set_xlabel("$x_1$")
    return im


def _ring_panel(ax: plt.Axes, result: BWResult) -> None:
    pal = [PALETTE[i % len(PALETTE)] for i in range(len(result.ring_witness))]
    for (name, w), c in zip(result.ring_witness.items(), pal):
        ax.plot(np.degrees(result.ring_angle), w / np.abs(w).max(), color=c, lw=1.4, label=name)
    angles = np.degrees(np.arctan2(result.centers[:, 1], result.centers[:, 0]))
    for k, a in enumerate(angles):
        ax.axvline(a, color="0.3" if k in result.uncovered else "0.75", ls="--" if k in result.uncovered else ":", lw=1)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("angle on the circle of mode centres (degrees)")
    ax.set_ylabel("$w / \\max|w|$")
    ax.set_title("witness on the circle of modes (dashed: uncovered modes); > 0: data mass missing", fontsize=9)
    ax.legend(fontsize=7, ncol=4, loc="lower left")


def _landscape_panel(ax: plt.Axes, result: BWResult) -> None:
    pal = [PALETTE[i % len(PALETTE)] for i in range(len(result.landscape))]
    shifts = np.asarray(result.settings.shifts)
    for (name, v), c in zip(result.landscape.items(), pal):
        ax.plot(shifts, v, color=c, lw=1.4, marker="o", ms=2.5, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(get_dataset(result.settings.dataset).std, color="0.4", ls=":", lw=1)
    ax.set_xlabel("radial shift δ of all modes (data units; dotted: mode std)")
    ax.set_ylabel("MMD²")
    ax.set_title("MMD² vs shift: flat where the kernel gives no gradient", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
