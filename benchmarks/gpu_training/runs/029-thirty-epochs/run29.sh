#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# in run 27 the first model's host ran all its code (Python included) 20-35 % slower than the
# second model's, a minute later in the same processes: does the first model speed up when it
# trains longer? 30 timed epochs, one GPU then two processes
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 30 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error"; }
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run29_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 --one-gpu-json $OUT/run29_one_gpu.json \
  --out $OUT/run29_two_processes.json 2>&1 | S
