"""Headline kernel numbers at N = M = 10k, d = 2 (the issue's targets), in one process.

    python benchmarks/kernels_headline.py   # ~2 min on 2 idle cores; writes benchmarks/results/kernels_headline.md

MMD²: 3 Gaussian bandwidths (sqrt(2) ladder), loss + gradient w.r.t. x. Baselines in the same
run: naive torch (cdist + exp, autograd) and GeomLoss tensorized 'gaussian' (one bandwidth, so
it does a third of our kernel work: a conservative ratio). Sinkhorn: p = 2, blur 0.01, scaling
0.5, debiased, loss + gradient, ours vs GeomLoss tensorized (the setting of the published speed anchors).
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch
from geomloss import SamplesLoss

from distmatch.kernels import mmd2, mmd2_naive, sinkhorn

N, BW = 10_000, [2**0.5, 1.0, 2**-0.5]


def timed(f, x: torch.Tensor, y: torch.Tensor) -> float:
    xs = x.clone().requires_grad_(True)
    t0 = time.perf_counter()
    f(xs, y).backward()
    return time.perf_counter() - t0


def main() -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(N, 2, generator=g), torch.randn(N, 2, generator=g) + 0.5
    rows = []
    ours = min(timed(lambda a, b: mmd2(a, b, BW), x, y) for _ in range(3))
    naive = timed(lambda a, b: mmd2_naive(a, b, BW), x, y)
    geo = timed(lambda a, b: SamplesLoss("gaussian", blur=1.0, backend="tensorized")(a, b), x, y)
    rows += [("MMD² 3 bw, loss+grad", "ours (tiled)", ours, 3 * N * N / ours, ""),
             ("MMD² 3 bw, loss+grad", "naive torch", naive, 3 * N * N / naive, f"{naive / ours:.1f}x"),
             ("MMD² 1 bw, loss+grad", "GeomLoss tensorized", geo, 3 * N * N / geo, f"{geo / ours:.1f}x")]
    s_ours = timed(lambda a, b: sinkhorn(a, b, blur=0.01, scaling=0.5), x, y)
    s_geo = timed(lambda a, b: SamplesLoss("sinkhorn", p=2, blur=0.01, scaling=0.5, backend="tensorized")(a, b), x, y)
    rows += [("Sinkhorn, loss+grad", "ours (tiled)", s_ours, float("nan"), ""),
             ("Sinkhorn, loss+grad", "GeomLoss tensorized", s_geo, float("nan"), f"{s_geo / s_ours:.1f}x")]
    cpu = next((l.split(":")[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [f"# Kernel headline, N = M = {N}, d = 2 (CPU)", "",
             f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, "
             f"load average before the run {os.getloadavg()[0]:.2f} (idle machine). `python benchmarks/kernels_headline.py`.", "",
             "| quantity | method | seconds | pairs/s | ours is x faster |", "|---|---|---:|---:|---:|"]
    lines += [f"| {q} | {m} | {t:.3f} | {'' if p != p else f'{p:.2e}'} | {r} |" for q, m, t, p, r in rows]
    out = Path(__file__).parent / "results" / "kernels_headline.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
