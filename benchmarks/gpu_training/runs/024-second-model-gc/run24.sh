#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# why is the second model of a two-process command faster (runs 22-23)? the same variant twice;
# then Python's garbage collector disabled, and frozen after the warm-up epoch; one GPU with it off
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error"; }
P="--parallel 2 --processes 2"
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run24_one_gpu.json 2>&1 | S
$B --variants fp32-unroll-fused8 --parallel 1 --gc off --out $OUT/run24_one_gpu_gc_off.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8 $P --one-gpu-json $OUT/run24_one_gpu.json \
  --out $OUT/run24_twice.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8 $P --gc off --one-gpu-json $OUT/run24_one_gpu_gc_off.json \
  --out $OUT/run24_gc_off.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8 $P --gc freeze --one-gpu-json $OUT/run24_one_gpu.json \
  --out $OUT/run24_gc_freeze.json 2>&1 | S
