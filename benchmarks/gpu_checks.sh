#!/usr/bin/env bash
# The checks a session runs when it is lent a GPU (~6 min on an H200), one stage after another:
#   1. the Triton kernels, compiled, against float64 references (tests/kernels/test_exactness.py on CUDA),
#      while every objective trains on CUDA with its defaults (8gaussians, seed 0, all 8 at once) and two
#      image runs (digits) check the conv path;
#   2. the kernel timings (benchmarks/kernels_gpu.py; KeOps rows when pykeops compiles there);
#   3. PacGAN-preset step times on the GPU, alone and 8 runs at once (the budget for the preset's sweep),
#      and torch.profiler's view of one step (benchmarks/profile_step.py).
# Logs and tables go to OUT (default gpu-out).  Wheels in .whl/ (POT, geomloss, pykeops, keopscore: the
# machine has no package index) are installed first when present; made on a machine with an index by
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 -d .whl pot geomloss
#   pip wheel --no-deps pykeops keopscore -w .whl
# (KeOps 2.3 crashed compiling its first formula on an H200 with CUDA 13.0: its rows are then skipped.)
# No stage stops the others.
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TRITON_INTERPRET=0
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
DM="python3 -m distmatch"
stamp() { echo "[$(date +%T)] $*"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch, triton, numba; print('torch', torch.__version__, 'triton', triton.__version__, 'numba', numba.__version__, torch.cuda.get_device_name())"
  nproc; } > "$OUT/env.txt" 2>&1

stamp "1. tests on CUDA, objectives on CUDA"
( for o in mmd minimax nonsaturating wgan-clip wgan-gp sinkhorn gmmn-ae mmd-gan; do
    $DM run --objective $o --dataset 8gaussians --device cuda --final-metrics all --quiet --out /tmp/gpu-toy/$o &
  done
  wait
  for o in mmd minimax nonsaturating wgan-clip wgan-gp sinkhorn gmmn-ae mmd-gan; do
    python3 -c "import json; s = json.load(open('/tmp/gpu-toy/$o/summary.json')); m = s['metrics']
print('$o', s['status'], s['step'], s['train_seconds'], s['config']['device'], m['modes'], m['hq'], m['rkl'], m['w2'])"
  done
  for o in mmd nonsaturating; do
    $DM run --objective $o --dataset digits --device cuda --steps 1000 --quiet --out /tmp/gpu-digits-$o \
      && python3 -c "import json; s = json.load(open('/tmp/gpu-digits-$o/summary.json')); print('$o digits', s['train_seconds'], s['metrics'])"
  done ) > "$OUT/train.log" 2>&1 &
timeout 300 python3 -m pytest -q -p no:cacheprovider tests/kernels/test_exactness.py tests/kernels/test_mmd.py \
  tests/kernels/test_sinkhorn.py -k "triton or cuda" -x > "$OUT/pytest.log" 2>&1
stamp "pytest rc $?"
wait
stamp "training done"

stamp "2. kernel timings"
KEOPS_FLAG=--no-keops
if timeout 150 python3 -c "import torch, pykeops; pykeops.test_torch_bindings()" > "$OUT/keops.log" 2>&1; then
  KEOPS_FLAG=
fi
timeout 330 python3 benchmarks/kernels_gpu.py $KEOPS_FLAG --out "$OUT/kernels_gpu.md" > "$OUT/kernels.log" 2>&1
stamp "kernels rc $?"

stamp "3. PacGAN preset step times; where a step's time goes"
{
  $DM run --preset pacgan --dataset ring --steps 3000 --eval-every 1000 --device cuda --quiet --out /tmp/pg-alone
  python3 -c "import json; s = json.load(open('/tmp/pg-alone/summary.json')); print('alone', s['train_seconds'] / 3000)"
  for i in 1 2 3 4 5 6 7 8; do
    $DM run --preset pacgan --dataset ring --pack $(( (i % 2) + 1 )) --seed $i --steps 3000 --eval-every 1000 \
      --device cuda --quiet --out /tmp/pg-par$i &
  done
  wait
  for i in 1 2 3 4 5 6 7 8; do
    python3 -c "import json; s = json.load(open('/tmp/pg-par$i/summary.json')); print('parallel $i', s['config']['pack'], s['train_seconds'] / 3000)"
  done
} > "$OUT/pacgan_probe.log" 2>&1
python3 benchmarks/profile_step.py --preset pacgan --dataset ring --device cuda --warmup 200 --steps 500 \
  > "$OUT/profile_pacgan.txt" 2>&1
python3 benchmarks/profile_step.py --objective mmd --dataset 8gaussians --device cuda > "$OUT/profile_mmd.txt" 2>&1
stamp "done"
