#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and, for train.py, .devdata/fonts + .devdata/words.txt carried along
# two-GPU scaling: old per-fit timing vs per-epoch timing (one fit), 20k and 80k images
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L; nvidia-smi topo -m | head -4
B="python3 benchmarks/gpu_training/gpu_training.py --variants fp32,fp32-perdev --modes package,device --parallel 1,2 --cache-file /tmp/words.npz"
$B --timing epochs --epochs 5 --out $OUT/run6_timing_epochs_20k.json 2>&1 | grep -v "^{" | tail -14
$B --timing epochs --epochs 5 --copies 4 --out $OUT/run6_timing_epochs_80k.json 2>&1 | grep -v "^{" | tail -14
$B --timing fit --epochs 3 --out $OUT/run6_timing_fit_20k.json 2>&1 | grep -v "^{" | tail -14
ls $OUT
