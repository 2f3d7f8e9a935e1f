"""Debiased Sinkhorn divergence, log-domain, eps-scaling, fused or tiled log-sum-exp (CPU) / Triton (GPU).

Conventions follow GeomLoss ``SamplesLoss("sinkhorn", p, blur, scaling, debias)`` with uniform
weights a = 1/N, b = 1/M:  cost C(x, y) = ||x - y||^p / p (p = 1 uses sqrt(max(d^2, 1e-8)) as
GeomLoss does), eps = blur^p, and the eps schedule  [diam^p, exp(arange(p log diam, p log blur,
p log scaling))..., blur^p]  with diam the diagonal of the joint bounding box.  One symmetric
(averaged) update per eps; then one final "extrapolation" softmin whose gradient w.r.t. the first
argument of C is the envelope-theorem gradient (potentials are constants at convergence):

    S_eps(a, b) = <a, f_ba - f_aa> + <b, g_ab - g_bb>,
    dS/dx_i = a_i (sum_j P^ba_ij d1C(x_i, y_j) - sum_j P^aa_ij d1C(x_i, x_j)),

with P the row-normalised (softmax) plans of the final softmins.  No iteration is unrolled.

The softmin itself (the log-sum-exp over a :class:`~.softmin.Cloud`) and its torch tiled form live in
:mod:`distmatch.kernels.softmin`; ``Cloud``, ``make_cloud``, ``softmin_tiled``, ``P1_MIN_D2`` and
``p1_threshold`` are re-exported here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from . import fused_cpu
from ._common import check_points, refuse_double_backward

# P1_MIN_D2, p1_threshold are unused here: re-exported for the old import path
from .softmin import P1_MIN_D2, Cloud, make_cloud, p1_threshold, softmin_tiled  # noqa: F401

DEFAULT_TILE = 1024


@dataclass
class SinkhornInfo:
    """Convergence report: eps steps run, final eps, L1 error of the x-marginal of the plan."""

    iterations: int
    eps: float
    marginal_error: float
    backend: str


def epsilon_schedule(p: int, diameter: float, blur: float, scaling: float) -> list[float]:
    """GeomLoss' eps list: [diam^p] + exp(arange(p log diam, p log blur, p log scaling)) + [blur^p]."""
    mids = np.arange(p * np.log(diameter), p * np.log(blur), p * np.log(scaling))
    return [diameter**p] + [float(np.exp(e)) for e in mids] + [blur**p]


def max_diameter(x: Tensor, y: Tensor) -> float:
    """Diagonal length of the bounding box of x and y (GeomLoss' default ``diameter``)."""
    lo = torch.minimum(x.min(0).values, y.min(0).values)  # (D,)
    hi = torch.maximum(x.max(0).values, y.max(0).values)  # (D,)
    return float((hi - lo).norm())


# --------------------------------------------------------------------------- solver
Softmin = Callable[..., tuple[Tensor, "Tensor | None"]]


def _loop(softmin: Softmin, a: Cloud, b: Cloud, eps_list: list[float], debias: bool):
    """GeomLoss' symmetric eps-scaling loop; returns the potentials (f_ba, g_ab, f_aa, g_bb)."""
    eps = eps_list[0]
    za, zb = torch.full_like(a.sq, a.logw), torch.full_like(b.sq, b.logw)  # (N,), (M,) log weights
    g_ab, _ = softmin(eps, b, a, za)
    f_ba, _ = softmin(eps, a, b, zb)
    f_aa = softmin(eps, a, a, za)[0] if debias else None
    g_bb = softmin(eps, b, b, zb)[0] if debias else None
    for eps in eps_list:
        ft_ba, _ = softmin(eps, a, b, zb + g_ab / eps)
        gt_ab, _ = softmin(eps, b, a, za + f_ba / eps)
        if debias:
            ft_aa, _ = softmin(eps, a, a, za + f_aa / eps)
            gt_bb, _ = softmin(eps, b, b, zb + g_bb / eps)
            f_aa, g_bb = 0.5 * (f_aa + ft_aa), 0.5 * (g_bb + gt_bb)
        f_ba, g_ab = 0.5 * (f_ba + ft_ba), 0.5 * (g_ab + gt_ab)
    return f_ba, g_ab, f_aa, g_bb


def sinkhorn_raw(x: Tensor, y: Tensor, blur: float, scaling: float, p: int, debias: bool,
                 softmin: Softmin, max_iter: int, need_grad: bool, want_info: bool):
    """Value, gradients (or None) and info of the Sinkhorn divergence; no autograd involved."""
    shift = torch.cat([x, y]).mean(0)  # (D,) translation does not change C
    a, b = make_cloud(x, shift), make_cloud(y, shift)
    eps_list = epsilon_schedule(p, max(max_diameter(x, y), blur), blur, scaling)
    if len(eps_list) > max_iter:
        warnings.warn(f"eps schedule has {len(eps_list)} steps > max_iter={max_iter}; truncating", stacklevel=3)
        eps_list = eps_list[: max_iter - 1] + [eps_list[-1]]
    f_ba, g_ab, f_aa, g_bb = _loop(softmin, a, b, eps_list, debias)
    eps = eps_list[-1]
    za, zb = torch.full_like(a.sq, a.logw), torch.full_like(b.sq, b.logw)
    fe_ba, gx = softmin(eps, a, b, zb + g_ab / eps, grad=need_grad)  # final extrapolation
    ge_ab, gy = softmin(eps, b, a, za + f_ba / eps, grad=need_grad)
    value = a.w * fe_ba.sum() + b.w * ge_ab.sum()
    if debias:
        fe_aa, gxx = softmin(eps, a, a, za + f_aa / eps, grad=need_grad)
        ge_bb, gyy = softmin(eps, b, b, zb + g_bb / eps, grad=need_grad)
        value = value - a.w * fe_aa.sum() - b.w * ge_bb.sum()
        if need_grad:
            gx, gy = gx - gxx, gy - gyy
    if need_grad:
        gx, gy = gx * a.w, gy * b.w
    info = _info(softmin, a, b, fe_ba, ge_ab, eps, len(eps_list)) if want_info else None
    return value, gx, gy, info


def _info(softmin: Softmin, a: Cloud, b: Cloud, f: Tensor, g: Tensor, eps: float, iters: int) -> SinkhornInfo:
    """L1 error of the x-marginal of pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)."""
    f_new, _ = softmin(eps, a, b, torch.full_like(b.sq, b.logw) + g / eps)
    marg = a.w * torch.exp((f - f_new) / eps)  # (N,)
    return SinkhornInfo(iters, eps, float((marg - a.w).abs().sum()), "")


class _SinkhornFn(torch.autograd.Function):
    """Backward = envelope-theorem gradient computed during the forward's final softmins."""

    @staticmethod
    def forward(ctx, x, y, opts: dict, need_grad: bool, info_box: list):
        value, gx, gy, info = sinkhorn_raw(x.detach(), y.detach(), need_grad=need_grad, **opts)
        info_box.append(info)
        if need_grad:
            ctx.save_for_backward(gx, gy)
        return value.to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        refuse_double_backward("sinkhorn", "Keep it out of gradient penalties (detach it there), or use "
                               "geomloss.SamplesLoss(..., backend='tensorized'), whose autograd graph covers "
                               "its last iteration.")
        gx, gy = ctx.saved_tensors
        return grad_out * gx, grad_out * gy, None, None, None


def _resolve(backend: str, x: Tensor) -> str:
    """The shared backend rule (:func:`.mmd.resolve_backend`, fused on CPU at any dimension); no 'naive'."""
    from .mmd import resolve_backend

    if backend == "naive":
        raise ValueError("sinkhorn has no 'naive' backend; use 'auto', 'fused', 'tiled' or 'triton'")
    return resolve_backend(backend, x)


def sinkhorn(x: Tensor, y: Tensor, blur: float = 0.05, scaling: float = 0.5, p: int = 2,
             debias: bool = True, backend: str = "auto", max_iter: int = 1000,
             return_info: bool = False, tile: int | None = None):
    """Sinkhorn divergence between uniform point clouds (GeomLoss conventions, see module doc).

    Parameters
    ----------
    x : (N, D) Tensor;  y : (M, D) Tensor
    blur : eps = blur^p, the final temperature.   scaling : eps ratio per step, in (0, 1).
    p : 1 or 2 (cost ||x - y||^p / p).   debias : subtract (OT(a,a) + OT(b,b)) / 2.
    backend : 'auto' (Triton on CUDA, else fused), 'fused' (numba, one pass per tile; 'tiled' with a
        warning when numba cannot load), 'tiled' (torch ops per tile), 'triton'.
    max_iter : cap on the number of eps steps (the schedule length; a warning if it truncates).
    return_info : also return a :class:`SinkhornInfo`.

    Returns
    -------
    0-dim Tensor (and SinkhornInfo), differentiable w.r.t. x and y.
    """
    check_points(x, y)
    _check_sinkhorn_args(blur, scaling, p, max_iter)
    which = _resolve(backend, x)
    softmin = _softmin_for(which, p, tile)
    opts = {"blur": blur, "scaling": scaling, "p": p, "debias": debias, "softmin": softmin,
            "max_iter": max_iter, "want_info": return_info}
    need_grad = torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)
    box: list = []
    value = _SinkhornFn.apply(x, y, opts, need_grad, box)
    if not return_info:
        return value
    box[0].backend = which
    return value, box[0]


def _softmin_for(which: str, p: int, tile: int | None) -> Softmin:
    if which == "triton":
        from .triton_sinkhorn import softmin_triton

        return lambda eps, r, c, h, grad=False: softmin_triton(eps, r, c, h, p, tile, grad)
    t = tile or DEFAULT_TILE

    def tiled(eps, r, c, h, grad=False):
        return softmin_tiled(eps, r, c, h, p, t, grad)

    if which == "tiled":
        return tiled

    def fused(eps, r, c, h, grad=False):
        try:
            return fused_cpu.softmin_fused(eps, r, c, h, p, tile, grad)
        except fused_cpu.FusedUnavailable:
            return tiled(eps, r, c, h, grad)

    return fused


def _check_sinkhorn_args(blur: float, scaling: float, p: int, max_iter: int) -> None:
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    if not (blur > 0 and math.isfinite(blur)):
        raise ValueError(f"blur must be positive, got {blur!r}")
    if not (0 < scaling < 1):
        raise ValueError(f"scaling must lie in (0, 1), got {scaling!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
