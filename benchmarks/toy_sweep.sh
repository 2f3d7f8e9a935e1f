#!/usr/bin/env bash
# The committed toy sweep: 5 objectives x 4 datasets x 5 seeds, default per-objective settings,
# 2 local workers (1 torch thread each). Resumable: re-run to finish an interrupted sweep.
# Until `distmatch sweep|table` are registered on the main CLI, `python -m distmatch.sweep_cli` is the same command.
set -uo pipefail
cd "$(dirname "$0")/.."
DM="${DM:-python -m distmatch.sweep_cli}"
OUT="${OUT:-sweeps/toy}"

$DM sweep --objectives mmd,minimax,nonsaturating,wgan-clip,wgan-gp \
    --datasets 8gaussians,25gaussians,ring,grid --seeds 0-4 --workers 2 --out "$OUT" \
    || echo "some runs failed or are unfinished; see $OUT/manifest.json (re-run this script to resume)" >&2

$DM table "$OUT" --published --format md -o benchmarks/results/toy_sweep.md
$DM table "$OUT" --published --format tex -o benchmarks/results/toy_sweep.tex
$DM table "$OUT" --published --format csv -o benchmarks/results/toy_sweep.csv
python -c "from distmatch.sweep_plots import plot_sweep; print(plot_sweep('$OUT', out='figures/toy_sweep.png')[0])"
