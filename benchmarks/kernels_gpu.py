"""Kernel timings on a CUDA GPU: our Triton kernels against torch on the same GPU and KeOps/GeomLoss.

    python benchmarks/kernels_gpu.py                      # ~3 min on an H200 (KeOps compiles ~1 min once)
    python benchmarks/kernels_gpu.py --out results.md     # where the Markdown table goes

Every row is loss + gradient w.r.t. x, float32, x ~ N(0, I), y ~ N(0.5, I), timed with CUDA
synchronisation: median of --repeat calls after two untimed warm-up calls (Triton and KeOps compile
there).  MMD²: 3 Gaussian bandwidths (a sqrt(2) ladder scaled by sqrt(d)), biased.  Sinkhorn: p = 2,
blur 0.01, scaling 0.5, debiased.  "extra MiB" is the peak of torch's CUDA allocator during one call
above what was allocated before it (KeOps allocates outside torch's allocator: not counted).
Baselines: our tiled torch-ops code on the GPU, naive torch (full matrices, autograd; skipped where
they would not fit), KeOps LazyTensor (pykeops) and GeomLoss (tensorized; online = KeOps) when
installed.  The exactness column compares the float32 value with float64 Triton on the same points.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from distmatch.kernels import mmd2, mmd2_naive, sinkhorn  # noqa: E402
from kernels_headline import geomloss_online, keops_mmd2  # noqa: E402

LADDER = [2**0.5, 1.0, 2**-0.5]
DEVICE = "cuda"  # --smoke: "cpu", to check this script's logic on a machine without a GPU
SCALE = 1  # --smoke: sizes divided by 100


def data(n: int, d: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    n //= SCALE
    return (torch.randn(n, d, generator=g, device=DEVICE),
            torch.randn(n, d, generator=g, device=DEVICE) + 0.5)


def _sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _allocated(peak: bool) -> float:
    if DEVICE != "cuda":
        return 0.0
    return (torch.cuda.max_memory_allocated() if peak else torch.cuda.memory_allocated()) / 2**20


def timed(f: Callable, x: torch.Tensor, y: torch.Tensor, repeat: int, warmup: int = 2) -> tuple[float, float]:
    """(median seconds, peak extra MiB) of loss + backward, after ``warmup`` untimed calls."""
    times, extra = [], 0.0
    for k in range(repeat + warmup):
        xs = x.clone().requires_grad_(True)
        _sync()
        base = _allocated(peak=False)
        if DEVICE == "cuda":
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        f(xs, y).backward()
        _sync()
        if k >= warmup:
            times.append(time.perf_counter() - t0)
            extra = max(extra, _allocated(peak=True) - base)
        del xs
    return statistics.median(times), extra


def rel_err_f32(f: Callable, x: torch.Tensor, y: torch.Tensor) -> float:
    """|value(float32) - value(float64)| / |value(float64)| of the same call on the same points."""
    with torch.no_grad():
        v32, v64 = float(f(x, y)), float(f(x.double(), y.double()))
    return abs(v32 - v64) / abs(v64)


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, q: str, method: str, res: tuple[float, float] | None, pairs: float | None, note: str = "") -> None:
        if res is None:
            self.rows.append((q, method, None, None, None, note))
            print(f"{q:30s} {method:36s} skipped   {note}", flush=True)
            return
        sec, mib = res
        self.rows.append((q, method, sec, pairs / sec if pairs else None, mib, note))
        print(f"{q:30s} {method:36s} {sec:9.4f} s {mib:9.1f} MiB  {note}", flush=True)

    def markdown(self, header: list[str]) -> str:
        lines = header + ["| quantity | method | seconds | pairs/s | extra MiB | note |", "|---|---|---:|---:|---:|---|"]
        for q, m, sec, pps, mib, note in self.rows:
            cells = ["—" if sec is None else f"{sec:.4f}", "" if pps is None else f"{pps:.2e}",
                     "" if mib is None else f"{mib:.0f}"]
            lines.append(f"| {q} | {m} | {' | '.join(cells)} | {note} |")
        return "\n".join(lines) + "\n"


def attempt(f: Callable, x, y, repeat: int, warmup: int = 2) -> tuple[tuple[float, float] | None, str]:
    """timed(), or (None, the reason) when the call fails (out of memory, a compile error)."""
    try:
        return timed(f, x, y, repeat, warmup), ""
    except Exception as exc:  # a baseline that cannot run is reported, not fatal
        if DEVICE == "cuda":
            torch.cuda.empty_cache()
        return None, f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"


def faster(res, r) -> str:
    return f"ours {r[0] / res[0]:.1f}x faster" if res and r else ""


def mmd_rows(t: Table, n: int, d: int, repeat: int, keops: bool, baselines: bool, blocks: tuple[int, ...]) -> None:
    """Ours (auto and other block sizes), KeOps, and with ``baselines`` our tiled torch code and naive torch."""
    x, y = data(n, d)
    bws = [s * d**0.5 for s in LADDER]
    pairs, q = 3 * n * n, f"MMD² {n // 1000}k, d={d}"
    ours = lambda a, b: mmd2(a, b, bws)  # noqa: E731  (auto = triton on CUDA)
    res, why = attempt(ours, x, y, repeat)
    err = rel_err_f32(ours, x[:20000], y[:20000])
    t.add(q, "ours (triton, auto)" if DEVICE == "cuda" else "ours (auto)", res, pairs, why or f"f32 vs f64 rel. error {err:.1e}")
    for b in blocks:
        r, why = attempt(lambda a, c: mmd2(a, c, bws, backend="triton", tile=b), x, y, repeat)
        t.add(q, f"ours (triton, block {b})", r, pairs, why)
    if keops:
        r, why = attempt(keops_mmd2(bws), x, y, repeat)
        t.add(q, "KeOps GPU (LazyTensor)", r, pairs, why or faster(res, r))
    if baselines:
        r, why = attempt(lambda a, b: mmd2(a, b, bws, backend="tiled"), x, y, 1, warmup=1)
        t.add(q, "ours (tiled torch ops, GPU)", r, pairs, why or faster(res, r))
    if baselines and n <= 10_000:
        r, why = attempt(lambda a, b: mmd2_naive(a, b, bws), x, y, 1, warmup=1)
        t.add(q, "naive torch (GPU)", r, pairs, why or faster(res, r))


def sinkhorn_rows(t: Table, n: int, repeat: int, keops: bool, baselines: bool) -> None:
    """Ours, GeomLoss online (KeOps), and with ``baselines`` our tiled code and GeomLoss tensorized."""
    x, y = data(n, 2)
    q = f"Sinkhorn {n // 1000}k, d=2, blur 0.01"
    ours = lambda a, b: sinkhorn(a, b, blur=0.01, scaling=0.5)  # noqa: E731
    res, why = attempt(ours, x, y, repeat)
    err = rel_err_f32(ours, x[:20000], y[:20000])
    t.add(q, "ours (triton, auto)", res, None, why or f"f32 vs f64 rel. error {err:.1e}")
    if keops:
        r, why = attempt(geomloss_online(), x, y, repeat)
        t.add(q, "GeomLoss online (KeOps GPU)", r, None, why or faster(res, r))
    if baselines:
        r, why = attempt(lambda a, b: sinkhorn(a, b, blur=0.01, scaling=0.5, backend="tiled"), x, y, 1, warmup=1)
        t.add(q, "ours (tiled torch ops, GPU)", r, None, why or faster(res, r))
    if baselines and importlib.util.find_spec("geomloss") is not None:
        from geomloss import SamplesLoss

        r, why = attempt(SamplesLoss("sinkhorn", p=2, blur=0.01, scaling=0.5, backend="tensorized"), x, y, 1, warmup=1)
        t.add(q, "GeomLoss tensorized (GPU)", r, None, why or faster(res, r))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "kernels_gpu.md")
    ap.add_argument("--no-keops", action="store_true", help="skip the KeOps / GeomLoss-online baselines")
    ap.add_argument("--smoke", action="store_true",
                    help="check the script on the CPU (interpreted Triton, sizes / 100, no KeOps); not a measurement")
    args = ap.parse_args()
    global DEVICE, SCALE
    if args.smoke:
        DEVICE, SCALE, args.no_keops = "cpu", 100, True
    elif not torch.cuda.is_available():
        sys.exit("Error: no CUDA device (this benchmark times the GPU kernels; --smoke checks it on the CPU)")
    keops = not args.no_keops and importlib.util.find_spec("pykeops") is not None
    import triton

    t0, r, t = time.time(), args.repeat, Table()
    mmd_rows(t, 10_000, 2, r, keops, baselines=True, blocks=(64, 128))
    mmd_rows(t, 100_000, 2, r, keops, baselines=True, blocks=(64, 128))
    mmd_rows(t, 1_000_000, 2, max(1, r // 2), keops, baselines=False, blocks=())
    mmd_rows(t, 10_000, 64, r, keops, baselines=True, blocks=(64,))
    mmd_rows(t, 100_000, 64, max(1, r // 2), keops, baselines=False, blocks=())
    sinkhorn_rows(t, 10_000, r, keops, baselines=True)
    sinkhorn_rows(t, 100_000, max(1, r // 2), keops, baselines=False)
    name = "CPU smoke run (not a measurement)"
    if DEVICE == "cuda":
        p = torch.cuda.get_device_properties(0)
        name = f"{p.name} ({p.multi_processor_count} SMs, {p.total_memory / 2**30:.0f} GiB)"
    header = [
        "# Kernel timings on a GPU, loss + gradient, float32", "",
        f"{name}, torch {torch.__version__}, "
        f"triton {triton.__version__}, CUDA {torch.version.cuda}; KeOps "
        f"{'installed' if keops else 'rows skipped (--no-keops)' if args.no_keops else 'not installed: its rows are missing'}"
        f"; median of {r} timed calls "
        f"({max(1, r // 2)} at 1M and 100k d=64; 1 for the tiled and naive rows) after two untimed warm-ups; "
        f"{time.time() - t0:.0f} s in all.", "",
        "`python benchmarks/kernels_gpu.py` (see its docstring for the exact setting).", ""]
    text = t.markdown(header)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
