#!/usr/bin/env bash
# Our GAN and PacGAN2 under PacGAN's protocol (--preset pacgan) on ring and grid, 3 seeds, then our
# other objectives under the same preset (OTHERS, default mmd,sinkhorn,gmmn-ae; SEEDS_OTHERS default
# 0-2), then the critic objectives under it (CRITICS, default wgan-gp,mmd-gan, on CRITIC_DATASETS
# default ring,grid, SEEDS_CRITICS default 0-2), then the side-by-side table with PacGAN's Table 1
# (benchmarks/results/pacgan.md).
# EPOCHS (default 10 of the protocol's 400) sets the length: one epoch is 1,000 steps of batch 100,
# ~23 ms per step (GAN) and ~29 ms (PacGAN2) on one core of the 2-core CPU. Re-running with a
# larger EPOCHS continues every run from its checkpoint (constant learning rate: the same as
# having trained that long at once); completed runs are skipped.
# DEVICE=cuda trains every run on the GPU (default cpu); on an H200 a preset step takes ~7 ms (launch-bound,
# benchmarks/results/gpu_training.md), so 400 epochs are ~48 min per run there.
set -euo pipefail
EPOCHS=${EPOCHS:-10}
DEVICE=${DEVICE:-cpu}
STEPS=$((EPOCHS * 1000))
for m in 1 2; do
  distmatch sweep --objectives nonsaturating --datasets ring,grid --seeds 0-2 --workers 1 \
    --set preset=pacgan --set pack=$m --set eval_every=2000 --steps "$STEPS" --device "$DEVICE" --quiet --out "sweeps/pacgan-m$m" &
done
wait
distmatch sweep --objectives "${OTHERS:-mmd,sinkhorn,gmmn-ae}" --datasets ring,grid --seeds "${SEEDS_OTHERS:-0-2}" \
  --workers 2 --set preset=pacgan --set eval_every=2000 --steps "$STEPS" --device "$DEVICE" --quiet --out sweeps/pacgan-others
distmatch sweep --objectives "${CRITICS:-wgan-gp,mmd-gan}" --datasets "${CRITIC_DATASETS:-ring,grid}" \
  --seeds "${SEEDS_CRITICS:-0-2}" --workers 2 --set preset=pacgan --set eval_every=2000 --steps "$STEPS" --device "$DEVICE" --quiet \
  --out sweeps/pacgan-critics
python benchmarks/pacgan_table.py sweeps/pacgan-m1 sweeps/pacgan-m2 sweeps/pacgan-others sweeps/pacgan-critics \
  --epochs "$EPOCHS" --made-by "EPOCHS=$EPOCHS SEEDS_OTHERS=${SEEDS_OTHERS:-0-2} CRITIC_DATASETS=${CRITIC_DATASETS:-ring,grid} SEEDS_CRITICS=${SEEDS_CRITICS:-0-2} bash benchmarks/pacgan_sweep.sh" \
  --output benchmarks/results/pacgan.md
