#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 32: 16 or 32 steps per call leave the first model where 8 do (1.75x, 1.74x, 1.76x). is it
# the model or the first fit()? one model, three fit() calls in a row (--modes package x3: a new
# input each time, the compiled step reused), two processes
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
$B --modes package --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run33_one_gpu.json 2>&1 | S
$B --modes package,package,package --variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run33_one_gpu.json --out $OUT/run33_three_fits.json 2>&1 | S
cp /tmp/gpu_training_workers/worker1.log $OUT/run33_three_fits_worker1.log
