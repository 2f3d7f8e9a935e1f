#!/usr/bin/env bash
# The committed toy sweep: 5 objectives x 4 toys x 5 seeds with default settings, then its tables
# (Markdown, LaTeX, CSV with the PacGAN/VEEGAN numbers beside ours) and figure.
# Re-running skips completed runs, so the tables can be remade without retraining.
set -euo pipefail
distmatch sweep --objectives mmd,minimax,nonsaturating,wgan-clip,wgan-gp \
  --datasets 8gaussians,25gaussians,ring,grid --seeds 0-4 --workers 2 --set final_metrics=all --out sweeps/toy
for fmt in md tex csv; do
  distmatch table sweeps/toy --format "$fmt" --published --output "benchmarks/results/toy_sweep.$fmt"
done
distmatch plot sweeps/toy
cp sweeps/toy/figures/sweep.png figures/toy_sweep.png
