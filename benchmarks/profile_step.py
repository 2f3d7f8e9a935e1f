"""Where a training step's time goes: wall time per step, then torch.profiler's table over the same steps.

    python benchmarks/profile_step.py --preset pacgan --dataset ring --device cuda
    python benchmarks/profile_step.py --objective mmd --dataset 8gaussians --steps 200

Builds the run's Trainer exactly as ``distmatch run`` does (preset, then the options given; no run
directory), takes --warmup untimed steps, times --steps steps (CUDA synchronised), then profiles
as many again and prints the operators by self CPU time (and by CUDA time on a GPU).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from distmatch.config import RunConfig, resolve  # noqa: E402
from distmatch.data import get_dataset  # noqa: E402
from distmatch.presets import apply as apply_preset  # noqa: E402
from distmatch.trainer import Trainer  # noqa: E402


def build(objective: str | None, dataset: str, preset: str | None, **settings) -> Trainer:
    settings = apply_preset({"preset": preset, **settings} if preset else settings)
    objective = objective or settings.pop("objective", None) or "mmd"
    settings.pop("objective", None)
    cfg = RunConfig(objective=objective, dataset=dataset, **settings).validate()
    data = get_dataset(cfg.dataset, cfg.data_dir, cfg.seed)
    return Trainer(resolve(cfg, data), data, None, quiet=True)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objective")
    ap.add_argument("--dataset", default="8gaussians")
    ap.add_argument("--preset")
    ap.add_argument("--pack", type=int)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rows", type=int, default=25)
    args = ap.parse_args()
    settings = {"device": args.device, "steps": 10**6}
    if args.pack:
        settings["pack"] = args.pack
    trainer = build(args.objective, args.dataset, args.preset, **settings)
    for _ in range(args.warmup):
        trainer.train_step()
    sync(args.device)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        trainer.train_step()
    sync(args.device)
    per_step = (time.perf_counter() - t0) / args.steps
    cfg = trainer.cfg
    print(f"{cfg.objective} on {cfg.dataset}, pack {cfg.pack}, batch {cfg.batch_size}, device {args.device}: "
          f"{per_step * 1e3:.2f} ms per step (mean of {args.steps} after {args.warmup} warm-up steps)")
    cuda = args.device.startswith("cuda")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(args.steps):
            trainer.train_step()
        sync(args.device)
    averages = prof.key_averages()
    print(averages.table(sort_by="self_cpu_time_total", row_limit=args.rows))
    if cuda:
        print(averages.table(sort_by="self_cuda_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
