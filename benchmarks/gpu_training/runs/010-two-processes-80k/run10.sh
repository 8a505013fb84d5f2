#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and, for train.py, .devdata/fonts + .devdata/words.txt carried along
# final two-GPU figures: 80,000 images a epoch, 6 timed epochs; 1 GPU before and after
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L; uptime
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 6 --copies 4 --modes package"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32 --parallel 1 --out $OUT/run10_one_gpu_before.json 2>&1 | S
$B --variants fp32-perdev --parallel 2 --processes 2 --one-gpu-json $OUT/run10_one_gpu_before.json \
  --out $OUT/run10_two_processes.json 2>&1 | S
$B --variants fp32-perdev --parallel 2 --one-gpu-json $OUT/run10_one_gpu_before.json \
  --out $OUT/run10_one_process.json 2>&1 | S
$B --variants fp32 --parallel 1 --out $OUT/run10_one_gpu_after.json 2>&1 | S
uptime
