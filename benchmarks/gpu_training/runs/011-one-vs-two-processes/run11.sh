#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# one more side-by-side sample: one process vs two processes, per-device and GSPMD steps, 8 epochs
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L; uptime
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 8 --modes package"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32,fp32-perdev --parallel 1,2 --out $OUT/run11_one_process.json 2>&1 | S
$B --variants fp32-perdev,fp32 --parallel 2 --processes 2 --one-gpu-json $OUT/run11_one_process.json \
  --out $OUT/run11_two_processes.json 2>&1 | S
uptime
