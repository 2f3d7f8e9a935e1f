"""Headline kernel numbers against the issue's targets, side by side in one process.

    python benchmarks/kernels_headline.py            # ~10 min on 2 cores (KeOps compiles ~1 min once)
    python benchmarks/kernels_headline.py --repeat 5 # median of 5 timed calls per row (default 3)

Writes benchmarks/results/kernels_headline.md.  Every row is loss + gradient w.r.t. x, x ~ N(0, I),
y ~ N(0.5, I), float32.  MMD²: 3 Gaussian bandwidths (a sqrt(2) ladder, scaled by sqrt(d)), biased.
Sinkhorn: p = 2, blur 0.01, scaling 0.5, debiased.  Baselines: KeOps 2.x on CPU (pykeops LazyTensor
sum of exp over the 3 bandwidths; GeomLoss backend='online' for Sinkhorn) whenever pykeops is
installed (pip install 'distmatch[bench]'), else skipped; naive torch (full matrices, autograd).
KeOps formulas are compiled by a warm-up call before timing.  The contention row starts a
neighbouring process that multiplies matrices with 2 torch threads, times the same call, stops it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from distmatch.kernels import fused_cpu, mmd2, mmd2_naive, sinkhorn  # noqa: E402

LADDER = [2**0.5, 1.0, 2**-0.5]
NEIGHBOUR = ("import torch\ntorch.set_num_threads(2)\na = torch.randn(1500, 1500)\n"
             "while True:\n    a = torch.tanh(a @ a * 1e-3)\n")


def cpu_name() -> str:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def data(n: int, d: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g) + 0.5


def timed(f: Callable, x: torch.Tensor, y: torch.Tensor, repeat: int) -> float:
    """Median seconds of loss + backward over ``repeat`` calls (after one untimed warm-up call)."""
    times = []
    for k in range(repeat + 1):
        xs = x.clone().requires_grad_(True)
        t0 = time.perf_counter()
        f(xs, y).backward()
        if k:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def keops_mmd2(bws: list[float]) -> Callable | None:
    if importlib.util.find_spec("pykeops") is None:
        return None
    from pykeops.torch import LazyTensor

    def ksum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = ((LazyTensor(a[:, None, :]) - LazyTensor(b[None, :, :])) ** 2).sum(-1)
        k = (-d2 / (2.0 * bws[0] ** 2)).exp()
        for s in bws[1:]:
            k = k + (-d2 / (2.0 * s * s)).exp()
        return k.sum(dim=1).sum()

    def f(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        n, m = len(x), len(y)
        return ksum(x, x) / n**2 + ksum(y, y) / m**2 - 2.0 * ksum(x, y) / (n * m)

    return f


def geomloss_online() -> Callable | None:
    if importlib.util.find_spec("pykeops") is None:
        return None
    from geomloss import SamplesLoss

    return SamplesLoss("sinkhorn", p=2, blur=0.01, scaling=0.5, backend="online")


def peak_extra_mib(f: Callable, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(seconds, MiB over the RSS before the call) of one loss + backward, from VmHWM reset first."""
    def vm(field: str) -> float:
        return next(int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith(field))

    xs = x.clone().requires_grad_(True)
    base = vm("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    t0 = time.perf_counter()
    f(xs, y).backward()
    return time.perf_counter() - t0, vm("VmHWM") - base


def contention(f: Callable, x: torch.Tensor, y: torch.Tensor, repeat: int) -> tuple[float, float]:
    """(idle, with a 2-thread torch neighbour) median seconds of the same call."""
    idle = timed(f, x, y, repeat)
    proc = subprocess.Popen([sys.executable, "-c", NEIGHBOUR])
    try:
        time.sleep(2.0)
        busy = timed(f, x, y, repeat)
    finally:
        proc.terminate()
        proc.wait()
    return idle, busy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per row of ours (median); baselines: 1")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "kernels_headline.md")
    args = ap.parse_args()
    r, load0, t_start = args.repeat, os.getloadavg()[0], time.time()
    fused = "fused" if fused_cpu.available() else "tiled (numba missing)"
    rows: list[tuple] = []  # (quantity, method, seconds, pairs/s, note)

    def add(q: str, method: str, sec: float, pairs: float | None, note: str = "") -> None:
        rows.append((q, method, sec, pairs / sec if pairs else None, note))
        print(f"{q:32s} {method:34s} {sec:8.3f} s  {note}", flush=True)

    n = 10_000
    x, y = data(n, 2)
    pairs = 3 * n * n
    ours = timed(lambda a, b: mmd2(a, b, LADDER), x, y, r)
    add("MMD² 10k, d=2", f"ours ({fused})", ours, pairs,
        f"target >= 4e9 pairs/s: {'met' if pairs / ours >= 4e9 else 'not met'}")
    add("MMD² 10k, d=2", "ours (tiled, torch ops)", timed(lambda a, b: mmd2(a, b, LADDER, backend="tiled"), x, y, 1),
        pairs)
    keops = keops_mmd2(LADDER)
    if keops is not None:
        k = timed(keops, x, y, 1)
        add("MMD² 10k, d=2", "KeOps CPU (LazyTensor)", k, pairs, f"ours {k / ours:.1f}x faster (target >= 40x)")
    nv = timed(lambda a, b: mmd2_naive(a, b, LADDER), x, y, 1)
    add("MMD² 10k, d=2", "naive torch", nv, pairs, f"ours {nv / ours:.1f}x faster")

    x64, y64 = data(n, 64)
    bw64 = [s * 8.0 for s in LADDER]
    ours64 = timed(lambda a, b: mmd2(a, b, bw64), x64, y64, r)
    add("MMD² 10k, d=64", "ours (auto)", ours64, pairs)
    add("MMD² 10k, d=64", "ours (tiled, torch ops)", timed(lambda a, b: mmd2(a, b, bw64, backend="tiled"), x64, y64, 1),
        pairs)
    keops64 = keops_mmd2(bw64)
    if keops64 is not None:
        k64 = timed(keops64, x64, y64, 1)
        add("MMD² 10k, d=64", "KeOps CPU (LazyTensor)", k64, pairs, f"ours {k64 / ours64:.1f}x faster (target >= 10x)")

    s_ours = timed(lambda a, b: sinkhorn(a, b, blur=0.01, scaling=0.5), x, y, r)
    add("Sinkhorn 10k, d=2, blur 0.01", f"ours ({fused})", s_ours, None)
    online = geomloss_online()
    if online is not None:
        g = timed(online, x, y, 1)
        add("Sinkhorn 10k, d=2, blur 0.01", "GeomLoss online (KeOps CPU)", g, None,
            f"ours {g / s_ours:.1f}x faster (target >= 15x)")

    xb, yb = data(100_000, 2)
    sec, mib = peak_extra_mib(lambda a, b: mmd2(a, b, LADDER), xb, yb)
    add("MMD² 100k, d=2", f"ours ({fused})", sec, 3 * 100_000**2,
        f"+{mib:.0f} MiB peak RSS (targets <= 15 s, < 100 MiB)")

    idle, busy = contention(lambda a, b: mmd2(a, b, LADDER), x, y, max(r, 5))
    add("MMD² 10k, d=2, contention", f"ours ({fused}), idle", idle, pairs)
    add("MMD² 10k, d=2, contention", "same, next to a 2-thread torch job", busy, pairs,
        f"{busy / idle:.2f}x idle (target <= 2.2x)")
    t_idle, t_busy = contention(lambda a, b: mmd2(a, b, LADDER, backend="tiled"), x, y, max(r, 5))
    add("MMD² 10k, d=2, contention", "tiled (torch ops), idle", t_idle, pairs)
    add("MMD² 10k, d=2, contention", "same, next to a 2-thread torch job", t_busy, pairs, f"{t_busy / t_idle:.2f}x idle")
    write(args.out, rows, r, load0, os.getloadavg()[0], time.time() - t_start)


def write(path: Path, rows: list[tuple], repeat: int, load0: float, load1: float, wall: float) -> None:
    shared = load0 > 0.5  # the load after includes this benchmark's own threads and the contention neighbour
    lines = [
        "# Kernel headline (CPU), loss + gradient, float32", "",
        f"{cpu_name()}, {os.cpu_count()} logical cores, torch {torch.__version__} with {torch.get_num_threads()} "
        f"threads; median of {repeat} timed calls of ours (baselines: 1) after an untimed warm-up call; "
        f"load average {load0:.2f} before, {load1:.2f} after; {wall:.0f} s in all.  "
        + ("**The load average was above 0.5 before the run: the machine was shared with other jobs and the "
           "timings are noisy.**" if shared else "The machine was idle before the run (load average below 0.5; "
           "the run's own threads and the contention row's neighbour raise it afterwards)."),
        "", "`python benchmarks/kernels_headline.py` (see its docstring for the exact setting).", "",
        "| quantity | method | seconds | pairs/s | note |", "|---|---|---:|---:|---|"]
    for q, m, sec, pps, note in rows:
        lines.append(f"| {q} | {m} | {sec:.3f} | {'' if pps is None else f'{pps:.2e}'} | {note} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
