#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# the BiLSTM unrolled over time (no cuDNN call, so no host wait inside the step) against cuDNN,
# eight steps per call: one GPU, then two processes
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 3 --modes package"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32-unroll-fused8,fp32-fused8 --parallel 1 --out $OUT/run20_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-fused8 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run20_one_gpu.json --out $OUT/run20_two_processes.json 2>&1 | S
