"""Would a batched ensemble speed the toy sweep up?  Step time of S seeds trained one after another
against the same S generators (and critics) stacked and run as one ``torch.func.vmap`` ensemble.

    python benchmarks/ensemble_probe.py                    # S = 5, 200 timed steps, one torch thread
    python benchmarks/ensemble_probe.py --members 5 --steps 300 --threads 2

Both sides use the package's own models (MLPGenerator / MLPCritic of the toy defaults: 3 x 128) and
losses written out here: ``mmd`` (the product's fused MMD² kernel on each member's batch, with the
default 7-octave ladder) and ``gan`` (non-saturating BCE losses, one critic step per generator step).
Adam on the stacked parameters is the same elementwise update as S separate Adams.  The ratio is
measured in one process, sequential first; it is a probe for issue #17, not a product feature.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from distmatch.kernels import geometric_bandwidths, mmd2
from distmatch.models.mlp import MLPCritic, MLPGenerator

LADDER = geometric_bandwidths(0.25, 7)


def models(seed: int, critic: bool) -> tuple[torch.nn.Module, torch.nn.Module | None]:
    torch.manual_seed(seed)
    return MLPGenerator(2, (2,), 128, 3), (MLPCritic((2,), 128, 3) if critic else None)


def gan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def sequential_step(gens, crits, g_opts, c_opts, z, real, kind: str) -> None:
    """One step of every member, one after another (what S single runs do)."""
    for s, gen in enumerate(gens):
        if kind == "gan":
            c_opts[s].zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = gen(z[s])
            gan_d_loss(crits[s](real[s]), crits[s](fake)).backward()
            c_opts[s].step()
        g_opts[s].zero_grad(set_to_none=True)
        fake = gen(z[s])
        loss = mmd2(fake, real[s], LADDER) if kind == "mmd" else F.softplus(-crits[s](fake)).mean()
        loss.backward()
        g_opts[s].step()


class Ensemble:
    """S models as one: parameters stacked on a leading axis, forward by vmap(functional_call)."""

    def __init__(self, members: list[torch.nn.Module], lr: float):
        self.params, self.buffers = stack_module_state(members)
        self.base = copy.deepcopy(members[0]).to("meta")
        self.opt = torch.optim.Adam(list(self.params.values()), lr=lr)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:  # x: (S, B, ...)
        return vmap(lambda p, b, xi: functional_call(self.base, (p, b), (xi,)))(self.params, self.buffers, x)


def ensemble_step(gen: Ensemble, crit: Ensemble | None, z, real, kind: str) -> None:
    if kind == "gan":
        crit.opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = gen(z)
        # the sum over members of each member's mean loss: each member's gradient is its own
        gan_d_loss(crit(real), crit(fake)).mul(len(z)).backward()
        crit.opt.step()
    gen.opt.zero_grad(set_to_none=True)
    fake = gen(z)
    if kind == "mmd":
        loss = sum(mmd2(fake[s], real[s], LADDER) for s in range(len(z)))
    else:
        loss = F.softplus(-crit(fake)).mean() * len(z)
    loss.backward()
    gen.opt.step()


def timed(step, steps: int) -> float:
    for _ in range(20):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    s, b = args.members, args.batch
    g = torch.Generator().manual_seed(0)
    z, real = torch.randn(s, b, 2, generator=g), torch.randn(s, b, 2, generator=g)
    print(f"{s} members, batch {b}, {args.threads} torch thread(s); median ms per step of all members")
    for kind in ("mmd", "gan"):
        pairs = [models(seed, kind == "gan") for seed in range(s)]
        gens, crits = [p[0] for p in pairs], [p[1] for p in pairs]
        g_opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in gens]
        c_opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in crits] if kind == "gan" else []
        seq = timed(lambda: sequential_step(gens, crits, g_opts, c_opts, z, real, kind), args.steps)
        eg = Ensemble(gens, 1e-3)
        ec = Ensemble(crits, 1e-3) if kind == "gan" else None
        ens = timed(lambda: ensemble_step(eg, ec, z, real, kind), args.steps)
        print(f"{kind:4s} sequential {seq * 1e3:7.2f} ms   ensemble {ens * 1e3:7.2f} ms   "
              f"speed-up {seq / ens:.2f}x")


if __name__ == "__main__":
    main()
