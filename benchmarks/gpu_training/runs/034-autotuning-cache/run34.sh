#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 33: three fit() calls of the first model all stay at 1.74x, so the slower host belongs to
# the first model's compiled step. the second model's compile skips autotuning (it finds the
# first's results in memory): is it autotuning? XLA's autotuning cache on disk, written by one
# two-process command and read by the next, whose first model then compiles without autotuning
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run34_one_gpu.json 2>&1 | S
for pass in write read; do
  XLA_FLAGS=--xla_gpu_per_fusion_autotune_cache_dir=/tmp/autotune $B --variants fp32-perdev-unroll-fused8 \
    --parallel 2 --processes 2 --one-gpu-json $OUT/run34_one_gpu.json --out $OUT/run34_$pass.json 2>&1 | S
  cp /tmp/gpu_training_workers/worker1.log $OUT/run34_${pass}_worker1.log
  ls /tmp/autotune | wc -l
done
